r"""Keras 3's optimizers (on JAX) as dialects, their code, and a runner on the real classes.

Read from Keras 3.15: every optimizer's ``weight_decay`` is decoupled, applied to the variable
before the update as :math:`\theta \leftarrow \theta - \theta \lambda \eta_t`; SGD and RMSprop
fold the learning rate into the momentum buffer (:math:`m \leftarrow \mu m - \eta_t g`,
:math:`\theta \leftarrow \theta + m`); RMSprop and Adagrad put eps inside the square root
(Adagrad's accumulator starts at 0.1); Adam is TF's eps-hat form,
:math:`\theta \leftarrow \theta - \eta_t \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}
\frac{m}{\sqrt v + \hat\epsilon}`, whose eps is not divided by :math:`\sqrt{1-\beta_2^t}`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from optsym.port.dialects import Arg, Dialect

_WD = Arg("weight_decay", None, "weight_decay")

SGD = Dialect("keras", "sgd", "keras.optimizers.SGD", (
    Arg("learning_rate", 0.01, "lr"), Arg("momentum", 0.0, "momentum"),
    Arg("nesterov", False, "nesterov"), _WD),
    fixed={"momentum_lr": "after", "dampening": 0.0, "wd_mode": "decoupled"})

RMSPROP = Dialect("keras", "rmsprop", "keras.optimizers.RMSprop", (
    Arg("learning_rate", 0.001, "lr"), Arg("rho", 0.9, "decay"),
    Arg("momentum", 0.0, "momentum"), Arg("epsilon", 1e-7, "eps"),
    Arg("centered", False, "centered"), _WD),
    fixed={"eps_in_sqrt": True, "v0": 0.0, "momentum_lr": "after", "wd_mode": "decoupled",
           "nesterov": False, "bias_correction": False})

ADAGRAD = Dialect("keras", "adagrad", "keras.optimizers.Adagrad", (
    Arg("learning_rate", 0.001, "lr"), Arg("initial_accumulator_value", 0.1, "v0"),
    Arg("epsilon", 1e-7, "eps"), _WD),
    fixed={"eps_in_sqrt": True, "wd_mode": "decoupled", "zero_where_empty": False})

_ADAM_ARGS = (Arg("learning_rate", 0.001, "lr"), Arg("beta_1", 0.9, "beta1"),
              Arg("beta_2", 0.999, "beta2"), Arg("epsilon", 1e-7, "eps"))

ADAM = Dialect("keras", "adam", "keras.optimizers.Adam", _ADAM_ARGS + (_WD,),
               fixed={"eps_form": "hat", "eps_root": 0.0, "wd_mode": "decoupled"})

ADAMW = Dialect("keras", "adam", "keras.optimizers.AdamW",
                _ADAM_ARGS + (Arg("weight_decay", 0.004, "weight_decay"),),
                fixed={"eps_form": "hat", "eps_root": 0.0, "wd_mode": "decoupled"})

DIALECTS = (SGD, RMSPROP, ADAGRAD, ADAM, ADAMW)


def code(dialect: Dialect, args: dict[str, Any], schedule: str) -> str:
    parts = [f"learning_rate={schedule}"] + [f"{k}={v!r}" for k, v in args.items()
                                             if k != "learning_rate" and v is not None]
    return f"{dialect.name}({', '.join(parts)})"


def _keras():
    if "keras" not in __import__("sys").modules:
        os.environ["KERAS_BACKEND"] = "jax"
    import keras

    if keras.backend.backend() != "jax":
        raise RuntimeError(f"Keras runs on {keras.backend.backend()!r}; optsym port needs "
                           "KERAS_BACKEND=jax")
    return keras


def run(dialect: Dialect, args: dict[str, Any], x0: np.ndarray, grads: Sequence[np.ndarray],
        lrs: Sequence[float]) -> np.ndarray:
    """The parameters after each step of the real Keras optimizer (float64)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    keras = _keras()
    keras.config.set_floatx("float64")  # else the learning-rate variable is float32
    cls = getattr(keras.optimizers, dialect.name.rsplit(".", 1)[1])
    var = keras.Variable(np.asarray(x0, dtype=np.float64), dtype="float64")
    ctor = {k: v for k, v in args.items() if k != "learning_rate"}
    opt = cls(learning_rate=float(lrs[0]), **ctor)
    out = []
    for g, lr in zip(grads, lrs):
        opt.learning_rate = float(lr)
        opt.apply([np.asarray(g, dtype=np.float64)], [var])
        out.append(np.asarray(var.value).copy())
    return np.stack(out)
