r"""One parameter type for every spec: a rule's hyperparameters, a schedule's, a derivation's,
a transform's.

A :class:`Param` is what the command line shows as ``--name VALUE``: its kind (real, integer,
flag, choice, list of integers), its SymPy symbol (and so its LaTeX name), default, domain in
words, the check and the reference's own message for a bad value, the interval a numeric proof
check samples from, and how the reference takes it (``argument``, and ``position`` within a
tuple argument: Adam's ``beta1`` is ``betas[0]``).  :class:`ParamSet` gives a spec with
``params`` (and cross-parameter ``checks``) its configuration methods.

:func:`Hyper` is the older spelling a rule file uses (``Hyper(name, symbol, default, doc,
domain, valid, error, sample)``); it builds a :class:`Param` of kind ``real`` or ``flag``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

import sympy as sp

from optsym.errors import SpecError, unknown_name_message

Config = Mapping[str, Any]

KINDS = ("real", "int", "flag", "choice", "ints")


@dataclass(frozen=True)
class Param:
    """A parameter: its name (``--eta-max`` on the command line), kind, symbol and domain."""

    name: str
    default: Any
    doc: str
    #: ``real``, ``int``, ``flag`` (true/false), ``choice`` (one of ``choices``) or ``ints``
    kind: str = "real"
    symbol: sp.Symbol | None = None
    choices: tuple[str, ...] = ()
    #: True when the value is valid; ``error`` is the message otherwise (``{value}``,
    #: ``{name}``): the reference's own message where it has one
    valid: Callable[[Any], bool] | None = None
    error: str = ""
    #: the domain in words (``lr >= 0``), shown by ``optsym list``
    domain: str = ""
    #: interval to sample from when a proof is checked numerically
    sample: tuple[float, float] = (0.0, 1.0)
    #: the reference's argument name (default: ``name``)
    argument: str | None = None
    #: the index within a tuple argument (``betas[0]``), or None
    position: int | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def is_flag(self) -> bool:
        return self.kind == "flag"

    @property
    def latex(self) -> str:
        """The parameter's name in formulas (``\\eta`` for ``lr``)."""
        if self.symbol is None:
            return r"\mathrm{" + self.name.replace("_", r"\_") + "}"
        from optsym.spec import LATEX_NAMES

        return LATEX_NAMES.get(self.symbol, sp.latex(self.symbol))

    @property
    def reference_argument(self) -> str:
        """``betas[0]``, ``lr``: how the reference takes it."""
        arg = self.argument or self.name
        return arg if self.position is None else f"{arg}[{self.position}]"

    def coerce(self, value: Any) -> Any:
        """``value`` in the parameter's type; a value of the wrong type raises SpecError."""
        if value is None and self.default is None:  # torch's None (Adafactor's eps1)
            return None
        if self.kind == "flag":
            return bool(value)
        if self.kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise SpecError(f"option {self.flag} expects an integer, got {value!r}")
            return int(value)
        if self.kind == "real":
            return float(value)
        if self.kind == "choice":
            if value not in self.choices:
                raise SpecError(f"option {self.flag} expects one of {', '.join(self.choices)}, "
                                f"got {value!r}")
            return value
        if self.kind == "ints":
            return tuple(int(v) for v in value)
        raise AssertionError(self.kind)

    def check(self, value: Any) -> None:
        """Raise the reference's message when ``value`` is outside the domain."""
        if self.valid is not None and not self.valid(value):
            # a check that carries its own message (a transform's ``Condition``) says it
            message = self.error or getattr(self.valid, "message", "") or \
                f"{{name}}: invalid value {{value}}"
            raise SpecError(message.format(value=shown(value), name=self.flag))


def Hyper(name: str, symbol: sp.Symbol | None, default: float | bool | None, doc: str,  # noqa: N802
          domain: str = "", valid: Callable[[Any], bool] | None = None, error: str = "",
          sample: tuple[float, float] = (0.0, 1.0), *, argument: str | None = None,
          position: int | None = None) -> Param:
    """A rule's hyperparameter in the rule files' order of arguments: a real number (default
    ``None`` for torch's derived default) or, with a bool default, a flag."""
    return Param(name, default, doc, "flag" if isinstance(default, bool) else "real", symbol,
                 valid=valid, error=error, domain=domain, sample=sample, argument=argument,
                 position=position)


def find(params, name: str, owner: str, as_flags: bool = False) -> Param:
    """The parameter called ``name``; an unknown name suggests the closest (as ``--flags``
    with ``as_flags``)."""
    for p in params:
        if p.name == name:
            return p
    if as_flags:
        name, known = "--" + name.replace("_", "-"), [p.flag for p in params]
    else:
        known = [p.name for p in params]
    raise SpecError(unknown_name_message("option", name, known, f" for {owner}"))


class ParamSet:
    """Configuration methods for a spec with ``name``, ``params`` and ``checks``."""

    def param(self, name: str) -> Param:
        return find(self.params, name, self.name, as_flags=True)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def config(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults with ``overrides`` applied and checked (types first, then domains)."""
        cfg = self.defaults()
        for key, value in (overrides or {}).items():
            cfg[key] = self.param(key).coerce(value)
        for p in self.params:
            p.check(cfg[p.name])
        for bad, message in self.checks:
            if bad(cfg):
                raise SpecError(message.format(**{n: shown(v) for n, v in cfg.items()}))
        return cfg

    def values(self, cfg: Config) -> dict[sp.Symbol, sp.Expr]:
        """Each parameter symbol's value as an exact SymPy number (floats as their doubles)."""
        out = {}
        for p in self.params:
            if p.symbol is not None:
                v = cfg[p.name]
                out[p.symbol] = sp.Integer(v) if p.kind == "int" else sp.Rational(float(v))
        return out

    def non_default(self, cfg: Config) -> dict[str, Any]:
        return {n: v for n, v in cfg.items() if self.param(n).default != v}


def shown(value: Any) -> Any:
    """A value as the user most likely typed it (``-1``, not ``-1.0``; ``30,80``)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return value


_shown = shown  # the older name

__all__ = ["Hyper", "KINDS", "Param", "ParamSet", "find", "shown"]
