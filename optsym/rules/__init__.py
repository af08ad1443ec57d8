"""The registry of rule specifications, by name (``optsym list`` shows them)."""

from __future__ import annotations

from optsym.spec import Rule, SpecError, unknown_name_message

RULE_MODULES = {
    "sgd": ("optsym.rules.sgd", "RULE"),
    "adagrad": ("optsym.rules.adagrad", "RULE"),
    "rmsprop": ("optsym.rules.rmsprop", "RULE"),
    "adam": ("optsym.rules.adam", "RULE"),
    "adamw": ("optsym.rules.adam", "ADAMW"),
}


def names() -> list[str]:
    return list(RULE_MODULES)


def get(name: str) -> Rule:
    """The rule called ``name``; an unknown name raises :class:`SpecError` with suggestions."""
    import importlib

    key = name.lower()
    if key not in RULE_MODULES:
        raise SpecError(unknown_name_message("rule", name, names()))
    module, attr = RULE_MODULES[key]
    return getattr(importlib.import_module(module), attr)


def all_rules() -> list[Rule]:
    return [get(n) for n in names()]
