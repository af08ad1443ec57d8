"""Named conventions of each rule family, by family name (``optsym compare --table`` shows them).

A family is looked up by its own name (``momentum``, ``nesterov``, ``rmsprop``, ``adagrad``,
``adam``, ``adamw``); a rule with a single family is found by the rule's name too.
"""

from __future__ import annotations

from optsym.conventions.spec import Family
from optsym.registry import Registry
from optsym.spec import SpecError

FAMILY_MODULES = {
    "momentum": ("optsym.conventions.momentum", "FAMILY"),
    "nesterov": ("optsym.conventions.nesterov", "FAMILY"),
    "rmsprop": ("optsym.conventions.eps", "RMSPROP"),
    "adagrad": ("optsym.conventions.eps", "ADAGRAD"),
    "adam": ("optsym.conventions.adam_eps", "FAMILY"),
    "adamw": ("optsym.conventions.adamw", "FAMILY"),
}

#: the rule each family belongs to (without importing the family modules)
FAMILY_RULES = {"momentum": "sgd", "nesterov": "sgd", "rmsprop": "rmsprop",
                "adagrad": "adagrad", "adam": "adam", "adamw": "adamw"}

REGISTRY = Registry("convention family", FAMILY_MODULES)


def names() -> list[str]:
    return REGISTRY.names()


def for_rule(rule: str) -> list[str]:
    """The families of the registered rule ``rule`` (may be empty)."""
    return [f for f, r in FAMILY_RULES.items() if r == rule.lower()]


def get(name: str) -> Family:
    """The family called ``name`` (or the only family of the rule ``name``)."""
    key = name.lower()
    if key not in FAMILY_MODULES:
        families = for_rule(key)
        if len(families) > 1:
            raise SpecError(f"{name} has several convention families: {', '.join(families)}; "
                            "name one")
        if families:
            key = families[0]
    return REGISTRY.get(key)


def all_families() -> list[Family]:
    return REGISTRY.all()
