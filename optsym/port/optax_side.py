r"""optax's optimizers as dialects, optax chains for what an alias cannot say, and a runner.

Read from optax 0.2.8: ``optax.sgd`` is ``chain(trace(momentum, nesterov),
scale_by_learning_rate)`` (the learning rate after the buffer, as torch); ``optax.rmsprop`` is
``chain(scale_by_rms(decay, eps, initial_scale, eps_in_sqrt=True), scale_by_learning_rate,
trace(momentum))``: eps inside the square root by default, and the momentum buffer accumulates
updates *already scaled by the learning rate*; ``optax.adagrad`` starts its accumulator at 0.1,
puts eps inside the square root and returns 0 where the accumulator is 0; ``optax.adam`` adds
eps to :math:`\sqrt{\hat v}` (and ``eps_root`` inside); ``optax.adamw`` adds ``weight_decay *
params`` to the Adam direction before the learning rate (decoupled, tied to the schedule).

Where no alias computes a torch or Keras optimizer, a chain of optax's own transformations often
does: :func:`chain_for` builds it (momentum before or after the learning rate, coupled or
decoupled weight decay, eps inside or outside the square root).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from optsym.port.dialects import Arg, Dialect, Form, Mismatch, differences, normalized

SGD = Dialect("optax", "sgd", "optax.sgd", (
    Arg("learning_rate", None, "lr"), Arg("momentum", None, "momentum"),
    Arg("nesterov", False, "nesterov")),
    fixed={"momentum_lr": "before", "dampening": 0.0, "weight_decay": 0.0})

RMSPROP = Dialect("optax", "rmsprop", "optax.rmsprop", (
    Arg("learning_rate", None, "lr"), Arg("decay", 0.9, "decay"), Arg("eps", 1e-8, "eps"),
    Arg("initial_scale", 0.0, "v0"), Arg("eps_in_sqrt", True, "eps_in_sqrt"),
    Arg("centered", False, "centered"), Arg("momentum", None, "momentum"),
    Arg("nesterov", False, "nesterov"), Arg("bias_correction", False, "bias_correction")),
    fixed={"momentum_lr": "after", "weight_decay": 0.0})

ADAGRAD = Dialect("optax", "adagrad", "optax.adagrad", (
    Arg("learning_rate", None, "lr"), Arg("initial_accumulator_value", 0.1, "v0"),
    Arg("eps", 1e-7, "eps")),
    fixed={"eps_in_sqrt": True, "zero_where_empty": True, "weight_decay": 0.0})

_ADAM_ARGS = (Arg("learning_rate", None, "lr"), Arg("b1", 0.9, "beta1"),
              Arg("b2", 0.999, "beta2"), Arg("eps", 1e-8, "eps"),
              Arg("eps_root", 0.0, "eps_root"))

ADAM = Dialect("optax", "adam", "optax.adam", _ADAM_ARGS,
               fixed={"eps_form": "corrected", "weight_decay": 0.0})

ADAMW = Dialect("optax", "adam", "optax.adamw",
                _ADAM_ARGS + (Arg("weight_decay", 1e-4, "weight_decay"),),
                fixed={"eps_form": "corrected", "wd_mode": "decoupled"})

DIALECTS = (SGD, RMSPROP, ADAGRAD, ADAM, ADAMW)

#: what an optax chain can choose freely, per family (the rest is fixed as below)
_CHAIN_FIXED: dict[str, Form] = {
    "sgd": {"dampening": 0.0},
    "rmsprop": {"bias_correction": False},
    "adagrad": {"eps_in_sqrt": True, "zero_where_empty": True},
    "adam": {"eps_form": "corrected"},
}

Step = tuple[str, dict[str, Any]]


def chain_for(form: Form) -> tuple[list[Step], list[Mismatch]]:
    """An optax chain that computes ``form``, and what even a chain cannot match."""
    fam = form["family"]
    have = normalized(fam, {**form, **_CHAIN_FIXED[fam]})
    have.pop("family", None)
    want = {k: v for k, v in form.items() if k != "family"}
    misses = differences(fam, want, have)
    wd, mode = form["weight_decay"], form["wd_mode"]
    lr: dict[str, Any] = {"learning_rate": "LR"}
    steps: list[Step] = []
    if wd and mode == "coupled":
        steps.append(("add_decayed_weights", {"weight_decay": wd}))
    if fam == "sgd":
        core: list[Step] = []
    elif fam == "rmsprop":
        name = "scale_by_stddev" if form["centered"] else "scale_by_rms"
        core = [(name, {"decay": form["decay"], "eps": form["eps"],
                        "initial_scale": form["v0"], "eps_in_sqrt": form["eps_in_sqrt"]})]
    elif fam == "adagrad":
        core = [("scale_by_rss", {"initial_accumulator_value": form["v0"], "eps": form["eps"]})]
    else:
        core = [("scale_by_adam", {"b1": form["beta1"], "b2": form["beta2"], "eps": form["eps"],
                                   "eps_root": form["eps_root"]})]
    steps += core
    momentum = form.get("momentum") or 0.0
    trace: list[Step] = ([("trace", {"decay": momentum, "nesterov": bool(form["nesterov"])})]
                         if momentum else [])
    decoupled: list[Step] = ([("add_decayed_weights", {"weight_decay": "WD_LR"})]
                             if wd and mode == "decoupled" else [])
    if form.get("momentum_lr", "before") == "after":
        steps += [("scale_by_learning_rate", lr)] + trace + decoupled
    else:
        if decoupled:  # -lr (u + wd p): decay tied to the learning rate, as torch's AdamW
            decoupled = [("add_decayed_weights", {"weight_decay": wd})]
        steps += trace + decoupled + [("scale_by_learning_rate", lr)]
    return steps, misses


def _value(v: Any, lr_fn, wd: float) -> Any:
    if v == "LR":
        return lr_fn
    if v == "WD_LR":  # decoupled decay after the learning rate: -wd * lr_t * p
        return lambda count: -wd * lr_fn(count)
    return v


def transformation(kind: str, spec: Any, lrs: Sequence[float], wd: float = 0.0):
    """The real optax GradientTransformation: an alias (``kind='alias'``) or a chain."""
    import jax.numpy as jnp
    import optax

    table = jnp.asarray(np.asarray(lrs, dtype=np.float64))

    def lr_fn(count):
        return table[jnp.minimum(count, len(lrs) - 1)]

    if kind == "alias":
        dialect, args = spec
        fn = getattr(optax, dialect.name.split(".", 1)[1])
        return fn(**{**args, "learning_rate": lr_fn})
    return optax.chain(*[getattr(optax, name)(**{k: _value(v, lr_fn, wd) for k, v in kw.items()})
                         for name, kw in spec])


def run(kind: str, spec: Any, x0: np.ndarray, grads: Sequence[np.ndarray],
        lrs: Sequence[float], wd: float = 0.0) -> np.ndarray:
    """The parameters after each step of the real optax transformation (float64)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax

    tx = transformation(kind, spec, lrs, wd)
    params = jnp.asarray(x0, dtype=jnp.float64)
    state = tx.init(params)
    update = jax.jit(tx.update)
    out = []
    for g in grads:
        updates, state = update(jnp.asarray(g, dtype=jnp.float64), state, params)
        params = optax.apply_updates(params, updates)
        out.append(np.asarray(params))
    return np.stack(out)


def alias_code(dialect: Dialect, args: dict[str, Any], schedule: str) -> str:
    parts = [f"learning_rate={schedule}"] + [f"{k}={v!r}" for k, v in args.items()
                                             if k != "learning_rate"]
    return f"{dialect.name}({', '.join(parts)})"


def chain_code(steps: list[Step], schedule: str) -> str:
    def shown(v: Any) -> str:
        if v == "LR":
            return schedule
        if v == "WD_LR":
            return f"lambda count: -weight_decay * {schedule}(count)"
        return repr(v)

    calls = [f"    optax.{name}({', '.join(f'{k}={shown(v)}' for k, v in kw.items())})"
             for name, kw in steps]
    return "optax.chain(\n" + ",\n".join(calls) + ",\n)"
