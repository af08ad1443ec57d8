r"""Names a worked example accepts besides the rules: the textbook methods that are SGD settings.

.. math::

    \begin{align*}
    \texttt{gd}:\ & \theta_t = \theta_{t-1} - \eta\, g_t
        && (\text{sgd, momentum } \mu = 0) \\
    \texttt{momentum}:\ & b_t = \mu b_{t-1} + g_t,\ \theta_t = \theta_{t-1} - \eta\, b_t
        && (\text{sgd, } \mu > 0;\ \text{default } \mu = 0.9) \\
    \texttt{nesterov}:\ & \theta_t = \theta_{t-1} - \eta\,(g_t + \mu b_t)
        && (\text{sgd, nesterov, } \mu > 0;\ \text{default } \mu = 0.9)
    \end{align*}

Every registered rule name (``optsym.rules.names()``) is accepted as itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from optsym.spec import SpecError


@dataclass(frozen=True)
class Alias:
    """A method name for a rule under fixed settings."""

    name: str
    rule: str
    title: str
    #: settings the alias fixes (a different value given for them is an error)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    #: defaults the alias uses where the user gives none
    defaults: Mapping[str, Any] = field(default_factory=dict)


ALIASES: dict[str, Alias] = {
    "gd": Alias("gd", "sgd", "gradient descent", fixed={"momentum": 0, "nesterov": False}),
    "momentum": Alias("momentum", "sgd", "gradient descent with (heavy-ball) momentum",
                      fixed={"nesterov": False}, defaults={"momentum": "0.9"}),
    "nesterov": Alias("nesterov", "sgd", "Nesterov momentum (torch's form)",
                      fixed={"nesterov": True}, defaults={"momentum": "0.9"}),
}


def resolve(name: str) -> tuple[Alias | None, str]:
    """``(alias or None, rule name)`` for a method or rule name; unknown names raise
    :class:`SpecError` with suggestions."""
    from optsym import rules
    from optsym.spec import unknown_name_message

    key = name.strip().lower()
    if key in ALIASES:
        return ALIASES[key], ALIASES[key].rule
    if key in rules.names():
        return None, key
    raise SpecError(unknown_name_message("method", name, [*ALIASES, *rules.names()]))


def apply_alias(alias: Alias | None, given: Mapping[str, Any]) -> dict[str, Any]:
    """The user's settings with the alias's defaults and fixed settings applied."""
    if alias is None:
        return dict(given)
    out = {**alias.defaults, **given}
    for key, value in alias.fixed.items():
        if key in given and _differs(given[key], value):
            raise SpecError(f"{alias.name} fixes --{key.replace('_', '-')} to {value!s}; "
                            f"use {_other(alias, key)} for another value")
        out[key] = value
    if alias.name in ("momentum", "nesterov") and _is_zero(out.get("momentum")):
        raise SpecError(f"{alias.name} needs --momentum > 0; use gd for plain gradient descent")
    return out


def _differs(a: Any, b: Any) -> bool:
    if isinstance(b, bool):
        return bool(a) != b
    try:
        return float(a) != float(b)
    except (TypeError, ValueError):
        return True


def _is_zero(value: Any) -> bool:
    try:
        return float(value) == 0
    except (TypeError, ValueError):
        return False


def _other(alias: Alias, key: str) -> str:
    if key == "momentum":
        return "momentum (or sgd --momentum ...)"
    return "nesterov" if alias.name != "nesterov" else "momentum"


__all__ = ["Alias", "ALIASES", "resolve", "apply_alias"]
