r"""A schedule's named slips, each a schedule derived from the spec's phases.

With :math:`k` the number of ``scheduler.step()`` calls made (:math:`\eta_0` is the first
step's lr) and :math:`W` the warmup length:

.. math::

    \text{one step early: } \eta'_k = \eta_{k+1}, \qquad
    \text{one step late: } \eta'_k = \eta_{k-1}\ (k \ge 1),\ \eta'_0 = \eta_0, \qquad
    \text{warmup counted from 1: } \eta'_k = \eta\,\tfrac{k+1}{W}\ (k < W)

and the warmup's test written ``k <= W`` for ``k < W`` (the warmup formula one step longer).
Each is the spec's closed form rewritten (:class:`~optsym.schedules.spec.Phase` by phase) and
printed by the same code generator, so a diagnosis is the generated code reproducing the target.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from optsym.schedules.spec import Phase, Schedule, k

Phases = tuple[Phase, ...]


@dataclass(frozen=True)
class ScheduleVariant:
    name: str
    description: str
    rewrite: Callable[[Schedule, Phases], Phases]
    #: only for schedules with this parameter
    needs: str | None = None


def _shift(d: int) -> Callable[[Schedule, Phases], Phases]:
    def rewrite(schedule: Schedule, phases: Phases) -> Phases:
        out = [Phase(ph.start - d, ph.end - d, ph.expr.xreplace({k: k + d}), ph.label)
               for ph in phases]
        if d < 0:  # the first lr is the spec's own (torch sets it at construction)
            out = [Phase(sp.S.Zero, sp.S.One, phases[0].expr.xreplace({k: 0}), "k = 0")] + out
        return tuple(out)
    return rewrite


def _warmup_symbol(schedule: Schedule) -> sp.Symbol:
    return next(p.symbol for p in schedule.params if p.name == "warmup")


def _warmup_from_1(schedule: Schedule, phases: Phases) -> Phases:
    first = phases[0]
    return (Phase(first.start, first.end, first.expr.xreplace({k: k + 1}), first.label),
            *phases[1:])


def _warmup_le(schedule: Schedule, phases: Phases) -> Phases:
    w = _warmup_symbol(schedule)
    out = []
    for ph in phases:
        start = ph.start + 1 if ph.start == w else ph.start
        end = ph.end + 1 if ph.end == w else ph.end
        out.append(Phase(start, end, ph.expr, ph.label))
    return tuple(out)


CATALOGUE: tuple[ScheduleVariant, ...] = (
    ScheduleVariant("one-step-early", "the whole schedule one step early (k counted from 1: "
                    "the first lr is the spec's second)", _shift(1)),
    ScheduleVariant("one-step-late", "the whole schedule one step late (the first lr "
                    "repeated)", _shift(-1)),
    ScheduleVariant("warmup-from-1", "warmup counted from 1: eta*(k+1)/W, the peak one step "
                    "early", _warmup_from_1, "warmup"),
    ScheduleVariant("warmup-le", "warmup test k <= W instead of k < W (the warmup formula one "
                    "step longer)", _warmup_le, "warmup"),
)


def for_schedule(schedule: Schedule) -> list[ScheduleVariant]:
    names = {p.name for p in schedule.params}
    return [v for v in CATALOGUE if v.needs is None or v.needs in names]


def variant_schedule(schedule: Schedule, v: ScheduleVariant) -> Schedule:
    """``schedule`` with its phases rewritten (its neat one-formula form dropped)."""
    return dataclasses.replace(schedule, name=f"{schedule.name}+{v.name}", formula=None,
                               phases=lambda cfg: v.rewrite(schedule, schedule.phases(cfg)))
