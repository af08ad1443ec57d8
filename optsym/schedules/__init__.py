"""The registry of learning-rate schedules, by name (``optsym schedule --list`` shows them)."""

from __future__ import annotations

from optsym.registry import Registry
from optsym.schedules.spec import Schedule

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
    "transformer": ("optsym.schedules.decay", "TRANSFORMER"),
    "cosine": ("optsym.schedules.cosine", "COSINE"),
    "cosine-restarts": ("optsym.schedules.cosine", "RESTARTS"),
    "warmup-cosine": ("optsym.schedules.cosine", "WARMUP_COSINE"),
    "onecycle": ("optsym.schedules.cyclic", "ONECYCLE"),
    "cyclic": ("optsym.schedules.cyclic", "CYCLIC"),
}


REGISTRY = Registry("schedule", SCHEDULE_MODULES)


def names() -> list[str]:
    return REGISTRY.names()


def get(name: str) -> Schedule:
    """The schedule called ``name``; an unknown name raises :class:`SpecError` with suggestions."""
    return REGISTRY.get(name)


def all_schedules() -> list[Schedule]:
    return REGISTRY.all()
