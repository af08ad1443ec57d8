r"""What a library's optimizer computes, as the values of one family's *canonical* parameters.

Porting is a question about conventions, and each convention is a canonical parameter: for
RMSprop, where the learning rate meets the momentum buffer (``momentum_lr``: torch
:math:`b \leftarrow \mu b + g/(\sqrt v+\epsilon),\ \theta \leftarrow \theta - \eta_t b`, or
optax/Keras :math:`b \leftarrow \mu b + \eta_t g/\sqrt{v+\epsilon},\ \theta \leftarrow \theta - b`),
whether eps sits inside the square root (``eps_in_sqrt``), where the accumulator starts (``v0``).
A library's optimizer is a :class:`Dialect`: each argument sets one canonical parameter
(:class:`Arg`), and the conventions it does not let you choose are ``fixed``.

Two dialects compute the same update when every canonical parameter agrees.  Where a fixed
convention differs, the difference still vanishes under a stated condition (``eps = 0``,
``momentum = 0``, a constant learning rate): :data:`IRRELEVANT_WHEN` holds those conditions,
written once.  Everything the mapping claims is then run on both real libraries
(:mod:`optsym.port.run`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Form = dict[str, Any]


@dataclass(frozen=True)
class Arg:
    """A library argument: its name, default, and the canonical parameter it sets."""

    name: str
    default: Any
    canon: str
    doc: str = ""


@dataclass(frozen=True)
class Dialect:
    """One library's optimizer (``torch.optim.RMSprop``, ``optax.rmsprop``, ...)."""

    library: str  # torch | optax | keras
    family: str  # sgd | rmsprop | adagrad | adam
    name: str  # as the user writes it
    args: tuple[Arg, ...]
    #: conventions the library fixes: canonical parameter -> value
    fixed: Mapping[str, Any] = field(default_factory=dict)
    #: checks of the arguments the library itself makes (returns an error message or None)
    check: Callable[[Form], str | None] | None = None
    #: the family as a whole this dialect stands for, when it is narrower (AdamW: decoupled)
    note: str = ""

    def arg(self, name: str) -> Arg:
        for a in self.args:
            if a.name == name:
                return a
        known = ", ".join("--" + a.name.replace("_", "-") for a in self.args)
        raise KeyError(f"{self.name} has no argument {name!r}; its arguments: {known}")

    def defaults(self) -> dict[str, Any]:
        return {a.name: a.default for a in self.args}

    def form(self, args: Mapping[str, Any] | None = None) -> Form:
        """The canonical parameters this optimizer computes with ``args`` (others: defaults)."""
        values = {**self.defaults(), **(args or {})}
        form: Form = dict(self.fixed)
        for a in self.args:
            form[a.canon] = values[a.name]
        return normalized(self.family, form)

    def express(self, form: Form) -> tuple[dict[str, Any], list[Mismatch]]:
        """This dialect's arguments for ``form``, and the conventions it cannot match."""
        args = {a.name: form[a.canon] for a in self.args if a.canon in form}
        own = self.form(args)
        return args, differences(self.family, form, own)


@dataclass(frozen=True)
class Mismatch:
    """A canonical parameter on which two optimizers differ, and when it would not matter."""

    canon: str
    source: Any
    target: Any
    when_equal: str  # "" when nothing makes the difference vanish

    def line(self) -> str:
        what = DESCRIPTIONS.get(self.canon, self.canon)
        tail = f" (no difference when {self.when_equal})" if self.when_equal else ""
        return f"{what}: {_shown(self.source)} here, {_shown(self.target)} there{tail}"


#: canonical parameters every family has unless a dialect sets them
COMMON: Form = {"weight_decay": 0.0, "wd_mode": "coupled", "lr_decay": 0.0}

FAMILY_DEFAULTS: dict[str, Form] = {
    "sgd": {"momentum": 0.0, "dampening": 0.0, "nesterov": False, "momentum_lr": "before"},
    "rmsprop": {"momentum": 0.0, "momentum_lr": "before", "centered": False, "v0": 0.0,
                "eps_in_sqrt": False, "nesterov": False, "bias_correction": False},
    "adagrad": {"v0": 0.0, "eps_in_sqrt": False, "zero_where_empty": False},
    "adam": {"eps_form": "corrected", "eps_root": 0.0, "amsgrad": False},
}

DESCRIPTIONS = {
    "lr": "learning rate", "momentum": "momentum", "dampening": "dampening",
    "nesterov": "Nesterov momentum", "momentum_lr": "learning rate applied before/after the "
    "momentum buffer", "weight_decay": "weight decay", "wd_mode": "weight decay "
    "coupled (added to the gradient) or decoupled (on the weights)", "decay": "second-moment "
    "decay", "eps": "eps", "eps_in_sqrt": "eps inside the square root", "v0": "initial "
    "accumulator", "centered": "centered", "bias_correction": "bias correction of v",
    "lr_decay": "lr_decay", "zero_where_empty": "update 0 where the accumulator is 0",
    "beta1": "beta1", "beta2": "beta2", "eps_form": "eps added to sqrt(v_hat) (corrected) or "
    "to sqrt(v) (TF's eps-hat)", "eps_root": "eps inside the square root (eps_root)",
    "amsgrad": "amsgrad",
}


def normalized(family: str, form: Form) -> Form:
    """``form`` with every canonical parameter of ``family`` present (defaults filled in)."""
    out = {**COMMON, **FAMILY_DEFAULTS[family], **form}
    if out.get("momentum") is None:
        out["momentum"] = 0.0
    if out.get("weight_decay") is None:
        out["weight_decay"] = 0.0
    return out


#: canonical parameter -> (condition on (family, form) under which its value does not matter,
#: in words).  ``constant_lr`` is set on a form when the learning rate does not change.
IRRELEVANT_WHEN: dict[str, tuple[Callable[[str, Form], bool], str]] = {
    "momentum_lr": (lambda fam, f: f["momentum"] == 0 or f.get("constant_lr", False),
                    "momentum = 0 or the learning rate is constant"),
    "eps_in_sqrt": (lambda fam, f: f["eps"] == 0, "eps = 0"),
    "eps_form": (lambda fam, f: f["eps"] == 0, "eps = 0"),
    "wd_mode": (lambda fam, f: f["weight_decay"] == 0 or (fam == "sgd" and f["momentum"] == 0),
                "weight_decay = 0 (or plain SGD without momentum)"),
    "dampening": (lambda fam, f: f["momentum"] == 0, "momentum = 0"),
    "nesterov": (lambda fam, f: f["momentum"] == 0, "momentum = 0"),
    "zero_where_empty": (lambda fam, f: f["v0"] > 0 or f["eps"] > 0,
                         "eps > 0 or the initial accumulator is > 0"),
}


def differences(family: str, want: Form, have: Form) -> list[Mismatch]:
    """The canonical parameters on which ``have`` does not compute ``want``."""
    out = []
    for key in sorted(set(want) | set(have)):
        if key in ("constant_lr",):
            continue
        a, b = want.get(key), have.get(key)
        if _same(a, b):
            continue
        cond = IRRELEVANT_WHEN.get(key)
        if cond and cond[0](family, want) and cond[0](family, have):
            continue
        out.append(Mismatch(key, a, b, cond[1] if cond else ""))
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
