"""The registry of rule specifications, by name (``optsym list`` shows them)."""

from __future__ import annotations

from optsym.registry import Registry
from optsym.spec import Rule

RULE_MODULES = {
    "sgd": ("optsym.rules.sgd", "RULE"),
    "lion": ("optsym.rules.lion", "RULE"),
    "lamb": ("optsym.rules.lamb", "RULE"),
    "adagrad": ("optsym.rules.adagrad", "RULE"),
    "rmsprop": ("optsym.rules.rmsprop", "RULE"),
    "adam": ("optsym.rules.adam", "RULE"),
    "adamw": ("optsym.rules.adam", "ADAMW"),
    "nadam": ("optsym.rules.nadam", "RULE"),
    "radam": ("optsym.rules.radam", "RULE"),
    "adamax": ("optsym.rules.adamax", "RULE"),
    "asgd": ("optsym.rules.asgd", "RULE"),
    "adadelta": ("optsym.rules.adadelta", "RULE"),
    "rprop": ("optsym.rules.rprop", "RULE"),
    "adafactor": ("optsym.rules.adafactor", "RULE"),
}


REGISTRY = Registry("rule", RULE_MODULES)


def names() -> list[str]:
    return REGISTRY.names()


def get(name: str) -> Rule:
    """The rule called ``name``; an unknown name raises :class:`SpecError` with suggestions."""
    return REGISTRY.get(name)


def all_rules() -> list[Rule]:
    return REGISTRY.all()
