"""The registry of learning-rate schedules, by name (``optsym schedule --list`` shows them)."""

from __future__ import annotations

from optsym.schedules.spec import Schedule
from optsym.spec import SpecError, unknown_name_message

SCHEDULE_MODULES = {
    "constant": ("optsym.schedules.steps", "CONSTANT"),
    "linear": ("optsym.schedules.linear", "LINEAR"),
    "warmup": ("optsym.schedules.linear", "WARMUP_LR"),
    "step": ("optsym.schedules.steps", "STEP_LR"),
    "multistep": ("optsym.schedules.steps", "MULTISTEP"),
    "exponential": ("optsym.schedules.decay", "EXPONENTIAL"),
    "polynomial": ("optsym.schedules.linear", "POLYNOMIAL"),
    "inverse-time": ("optsym.schedules.decay", "INVERSE_TIME"),
    "inverse-sqrt": ("optsym.schedules.decay", "INVERSE_SQRT"),
    "cosine": ("optsym.schedules.cosine", "COSINE"),
    "cosine-restarts": ("optsym.schedules.cosine", "RESTARTS"),
    "warmup-cosine": ("optsym.schedules.cosine", "WARMUP_COSINE"),
    "onecycle": ("optsym.schedules.cyclic", "ONECYCLE"),
    "cyclic": ("optsym.schedules.cyclic", "CYCLIC"),
}


def names() -> list[str]:
    return list(SCHEDULE_MODULES)


def get(name: str) -> Schedule:
    """The schedule called ``name``; an unknown name raises :class:`SpecError` with suggestions."""
    import importlib

    key = name.lower()
    if key not in SCHEDULE_MODULES:
        raise SpecError(unknown_name_message("schedule", name, names()))
    module, attr = SCHEDULE_MODULES[key]
    return getattr(importlib.import_module(module), attr)


def all_schedules() -> list[Schedule]:
    return [get(n) for n in names()]
