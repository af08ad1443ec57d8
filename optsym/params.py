r"""Named parameters of a spec (a schedule, a derivation), parsed and checked once.

A :class:`Param` is what the command line shows as ``--name VALUE``: its kind (real, integer,
choice, list of integers), default, domain and the message for a bad value.  :class:`ParamSet`
gives a spec with ``params`` (and cross-parameter ``checks``) its configuration methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

import sympy as sp

from optsym.spec import SpecError, unknown_name_message

Config = Mapping[str, Any]


@dataclass(frozen=True)
class Param:
    """A parameter: its name (``--eta-max`` on the command line), kind and domain."""

    name: str
    default: Any
    doc: str
    #: ``real``, ``int``, ``choice`` (one of ``choices``) or ``ints`` (a list of integers)
    kind: str = "real"
    symbol: sp.Symbol | None = None
    choices: tuple[str, ...] = ()
    #: True when the value is valid; ``error`` is the message otherwise (``{value}``)
    valid: Callable[[Any], bool] | None = None
    error: str = ""

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")



class ParamSet:
    """Configuration methods for a spec with ``name``, ``params`` and ``checks``."""

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise SpecError(unknown_name_message("option", "--" + name.replace("_", "-"),
                                             [p.flag for p in self.params], f" for {self.name}"))

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def config(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults with ``overrides`` applied and checked (types first, then domains)."""
        cfg = self.defaults()
        for key, value in (overrides or {}).items():
            cfg[key] = _coerce(self.param(key), value)
        for p in self.params:
            if p.valid is not None and not p.valid(cfg[p.name]):
                raise SpecError(p.error.format(value=_shown(cfg[p.name]), name=p.flag))
        for bad, message in self.checks:
            if bad(cfg):
                raise SpecError(message.format(**{n: _shown(v) for n, v in cfg.items()}))
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


def _coerce(p: Param, value: Any) -> Any:
    if p.kind == "int":
        if isinstance(value, float) and not value.is_integer():
            raise SpecError(f"option {p.flag} expects an integer, got {value!r}")
        return int(value)
    if p.kind == "real":
        return float(value)
    if p.kind == "choice":
        if value not in p.choices:
            raise SpecError(f"option {p.flag} expects one of {', '.join(p.choices)}, "
                            f"got {value!r}")
        return value
    if p.kind == "ints":
        return tuple(int(v) for v in value)
    raise AssertionError(p.kind)


def _shown(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return value
