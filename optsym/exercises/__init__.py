"""Exercise sheets with exact answers, each checked by optsym's generated code
(``optsym exercises --list`` shows the topics).

A topic (:class:`optsym.exercises.topic.Topic`) draws tidy parameters from a seed, solves them
from optsym's symbolic sources (rules, derivations, schedules) and checks every answer with
optsym's generated code; :func:`make_sheet` refuses a sheet whose check fails.
"""

from __future__ import annotations

from optsym.exercises.topic import (
    MAX_PROBLEMS,
    ExerciseSheet,
    SheetRefused,
    Topic,
    make_sheet,
)
from optsym.registry import Registry

TOPIC_MODULES: dict[str, tuple[str, str]] = {
    "gd-quadratic": ("optsym.exercises.gd_quadratic", "TOPIC"),
    "momentum-steps": ("optsym.exercises.momentum_steps", "TOPIC"),
    "adam-first-step": ("optsym.exercises.adam_first_step", "TOPIC"),
    "step-size-bound": ("optsym.exercises.step_size_bound", "TOPIC"),
    "schedule-values": ("optsym.exercises.schedule_values", "TOPIC"),
    "implement-optimizer": ("optsym.exercises.implement", "TOPIC"),
}

REGISTRY = Registry("exercise topic", TOPIC_MODULES)


def names() -> list[str]:
    return REGISTRY.names()


def get(name: str) -> Topic:
    """The topic called ``name``; an unknown name raises ``SpecError`` with suggestions."""
    return REGISTRY.get(name)


def all_topics() -> list[Topic]:
    return REGISTRY.all()


def sheet(name: str, n: int = 5, seed: int = 0) -> ExerciseSheet:
    """``n`` checked problems of topic ``name`` from ``seed``."""
    return make_sheet(get(name), n, seed)


__all__ = ["ExerciseSheet", "SheetRefused", "Topic", "MAX_PROBLEMS", "all_topics", "get",
           "make_sheet", "names", "sheet"]
