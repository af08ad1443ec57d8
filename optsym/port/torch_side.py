r"""torch.optim's optimizers as dialects, their code, and a runner on the real classes.

Read from torch 2.13's single-tensor code: SGD adds weight decay to the gradient (coupled), its
buffer is :math:`b \leftarrow \mu b + (1-d) g` (``b = g`` on step 1) and
:math:`\theta \leftarrow \theta - \eta_t b` (the learning rate after the buffer); RMSprop and
Adagrad add eps outside the square root and start the accumulator at 0 (Adagrad: at
``initial_accumulator_value``, with ``lr / (1 + (t-1) lr_decay)``); Adam adds eps to
:math:`\sqrt{\hat v}` (the bias-corrected form); AdamW multiplies the weights by
:math:`1 - \eta_t \lambda` (decoupled, tied to the schedule).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from optsym.port.dialects import Arg, Dialect

SGD = Dialect("torch", "sgd", "torch.optim.SGD", (
    Arg("lr", 1e-3, "lr"), Arg("momentum", 0.0, "momentum"), Arg("dampening", 0.0, "dampening"),
    Arg("weight_decay", 0.0, "weight_decay"), Arg("nesterov", False, "nesterov")),
    fixed={"momentum_lr": "before", "wd_mode": "coupled"})

RMSPROP = Dialect("torch", "rmsprop", "torch.optim.RMSprop", (
    Arg("lr", 1e-2, "lr"), Arg("alpha", 0.99, "decay"), Arg("eps", 1e-8, "eps"),
    Arg("weight_decay", 0.0, "weight_decay"), Arg("momentum", 0.0, "momentum"),
    Arg("centered", False, "centered")),
    fixed={"eps_in_sqrt": False, "v0": 0.0, "momentum_lr": "before", "wd_mode": "coupled",
           "nesterov": False, "bias_correction": False})

ADAGRAD = Dialect("torch", "adagrad", "torch.optim.Adagrad", (
    Arg("lr", 1e-2, "lr"), Arg("lr_decay", 0.0, "lr_decay"),
    Arg("weight_decay", 0.0, "weight_decay"),
    Arg("initial_accumulator_value", 0.0, "v0"), Arg("eps", 1e-10, "eps")),
    fixed={"eps_in_sqrt": False, "wd_mode": "coupled", "zero_where_empty": False})

_ADAM_ARGS = (Arg("lr", 1e-3, "lr"), Arg("beta1", 0.9, "beta1", "betas[0]"),
              Arg("beta2", 0.999, "beta2", "betas[1]"), Arg("eps", 1e-8, "eps"))

ADAM = Dialect("torch", "adam", "torch.optim.Adam",
               _ADAM_ARGS + (Arg("weight_decay", 0.0, "weight_decay"),),
               fixed={"eps_form": "corrected", "eps_root": 0.0, "wd_mode": "coupled"})

ADAMW = Dialect("torch", "adam", "torch.optim.AdamW",
                _ADAM_ARGS + (Arg("weight_decay", 1e-2, "weight_decay"),),
                fixed={"eps_form": "corrected", "eps_root": 0.0, "wd_mode": "decoupled"})

DIALECTS = (SGD, RMSPROP, ADAGRAD, ADAM, ADAMW)


def _ctor_args(dialect: Dialect, args: dict[str, Any]) -> dict[str, Any]:
    out = dict(args)
    if "beta1" in out:
        out["betas"] = (out.pop("beta1"), out.pop("beta2"))
    return out


def code(dialect: Dialect, args: dict[str, Any]) -> str:
    """``torch.optim.RMSprop(params, lr=0.01, alpha=0.9, ...)`` for ``args``."""
    parts = ["params"] + [f"{k}={v!r}" for k, v in _ctor_args(dialect, args).items()]
    return f"{dialect.name}({', '.join(parts)})"


def run(dialect: Dialect, args: dict[str, Any], x0: np.ndarray, grads: Sequence[np.ndarray],
        lrs: Sequence[float]) -> np.ndarray:
    """The parameters after each step of the real torch optimizer (float64, CPU)."""
    import torch

    cls = getattr(torch.optim, dialect.name.rsplit(".", 1)[1])
    p = torch.nn.Parameter(torch.tensor(x0, dtype=torch.float64))
    ctor = _ctor_args(dialect, args)
    ctor["lr"] = float(lrs[0])
    opt = cls([p], **ctor, foreach=False)
    out = []
    for g, lr in zip(grads, lrs):
        opt.param_groups[0]["lr"] = float(lr)
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.stack(out)
