r"""A schedule's named slips, each a schedule derived from the spec's phases.

With :math:`k` the number of ``scheduler.step()`` calls made (:math:`\eta_0` is the first
step's lr) and :math:`W` the warmup length:

.. math::

    \text{one step early: } \eta'_k = \eta_{k+1}, \qquad
    \text{one step late: } \eta'_k = \eta_{k-1}\ (k \ge 1),\ \eta'_0 = \eta_0, \qquad
    \text{warmup counted from 1: } \eta'_k = \eta\,\tfrac{k+1}{W}\ (k < W)

and the warmup's test written ``k <= W`` for ``k < W`` (the warmup formula one step longer);
and epoch against step, with :math:`e` steps an epoch (read from the target's values, then
checked): :math:`\eta'_k = \eta_{\lfloor k/e \rfloor}` (stepped once an epoch) or
:math:`\eta'_k = \eta_{e k}` (a schedule in epochs stepped every step).
Each is the spec's closed form rewritten (:class:`~optsym.schedules.spec.Phase` by phase) and
printed by the same code generator, so a diagnosis is the generated code reproducing the target.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
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


#: the largest number of steps per epoch an epoch-vs-step slip is searched for
MAX_EPOCH = 1000


def _per_epoch(e: int) -> Callable[[Schedule, Phases], Phases]:
    r"""The schedule counted in epochs of ``e`` steps: :math:`\eta'_k = \eta_{\lfloor k/e
    \rfloor}`, each phase ``e`` times as long."""
    def rewrite(schedule: Schedule, phases: Phases) -> Phases:
        return tuple(Phase(ph.start * e, ph.end * e, ph.expr.xreplace({k: sp.floor(k / e)}),
                           ph.label) for ph in phases)
    return rewrite


def _per_step(e: int) -> Callable[[Schedule, Phases], Phases]:
    r"""A schedule meant per epoch stepped ``e`` times an epoch: :math:`\eta'_k =
    \eta_{e k}`, each phase ``e`` times as short."""
    def rewrite(schedule: Schedule, phases: Phases) -> Phases:
        return tuple(Phase(sp.ceiling(ph.start / e), sp.ceiling(ph.end / e),
                           ph.expr.xreplace({k: e * k}), ph.label) for ph in phases)
    return rewrite


def epoch_variants(spec_lrs: Callable[[int], np.ndarray], lrs: np.ndarray
                   ) -> list[ScheduleVariant]:
    """The epoch-vs-step slips that fit the target's values, each epoch length ``e`` found by
    a numeric screen (``spec_lrs(n)``: the spec's closed form at k = 0..n-1); only candidates,
    each then checked as every variant is (its generated closed form against all of ``lrs``).
    """
    n = len(lrs)
    if n < 3:
        return []
    ks = np.arange(n)
    ours = spec_lrs(min((n - 1) * MAX_EPOCH + 1, 200_000))
    scale = max(float(np.max(np.abs(ours))), np.finfo(np.float64).tiny)

    def fits(picks: np.ndarray) -> bool:
        return picks[-1] < len(ours) and bool(np.all(np.abs(ours[picks] - lrs)
                                                     <= 1e-9 * scale))

    out = []
    for e in range(2, MAX_EPOCH + 1):
        if fits(ks // e):
            out.append(ScheduleVariant(
                f"per-epoch-{e}", f"the schedule counted in epochs of {e} steps (its "
                f"scheduler stepped once every {e} optimizer steps): each lr held {e} steps",
                _per_epoch(e)))
        if fits(ks * e):
            out.append(ScheduleVariant(
                f"per-step-{e}", f"a schedule in epochs stepped every optimizer step ({e} "
                f"steps an epoch): k runs {e} times too fast", _per_step(e)))
        if len(out) >= 3:
            break
    return out


def variant_schedule(schedule: Schedule, v: ScheduleVariant) -> Schedule:
    """``schedule`` with its phases rewritten (its neat one-formula form dropped)."""
    return dataclasses.replace(schedule, name=f"{schedule.name}+{v.name}", formula=None,
                               phases=lambda cfg: v.rewrite(schedule, schedule.phases(cfg)))
