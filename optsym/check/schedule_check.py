r"""A target's learning rates against a schedule spec, and the slip that explains a difference.

The target's :math:`\eta_0, \dots, \eta_{n-1}` (k = 0 at construction, then after each
``scheduler.step()``; or ``lr(k)``) are compared with the spec's generated code: **bitwise**
equal to torch's order (``torch-parity``), or **within the rounding bound** of the closed
form, :math:`|\eta_k - \eta^\text{closed}_k| \le 2 R\,u\,A` (R the closed form's operation count,
u = 2^-53, A the largest |lr|: both sides evaluate about the same formula), or **different**,
with the first k and both values.  A difference is searched in
:mod:`optsym.check.schedule_variants`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from optsym.verify import metrics

U64 = 2.0**-53


@dataclass
class ScheduleComparison:
    equal: bool
    mode: str  # bitwise | closed-form | different
    criterion: str
    first: dict[str, Any] | None = None
    worst_ratio: float = 0.0
    gap: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _closed(schedule: Any, cfg: Mapping[str, Any], n: int) -> tuple[np.ndarray, np.ndarray]:
    from optsym.schedules.codegen import load_lrs
    from optsym.verify.schedule import roundings

    lrs = np.array(load_lrs(schedule, cfg, "closed")(n), dtype=np.float64)
    r = max(roundings(schedule.closed_form(cfg)), 1)
    scale = float(np.max(np.abs(lrs), initial=0.0))
    return lrs, np.full(n, 2 * r * U64 * scale) + np.finfo(np.float64).tiny


def _first(ours: np.ndarray, theirs: np.ndarray, tol: np.ndarray | None) -> dict | None:
    err = metrics.abs_error(ours, theirs)
    bad = ~metrics.same_bits(ours, theirs) if tol is None else (
        (err != 0) & ~(np.isfinite(err) & (err <= tol)))
    if not bad.any():
        return None
    i = int(np.flatnonzero(bad)[0])
    return {"step": i, "tensor": f"lr at k = {i}", "target": float(theirs[i]),
            "spec": float(ours[i]), "bound": None if tol is None else float(tol[i])}


def compare_schedule(schedule: Any, overrides: Mapping[str, Any], lrs: Sequence[float],
                     bitwise: bool = True) -> ScheduleComparison:
    from optsym.schedules.codegen import load_lrs

    cfg = schedule.config(overrides)
    theirs = np.array(lrs, dtype=np.float64)
    n = len(theirs)
    closed, tol = _closed(schedule, cfg, n)
    gap = float(np.max(metrics.abs_error(closed, theirs), initial=0.0))
    if bitwise:
        parity = np.array(load_lrs(schedule, cfg, "torch-parity")(n), dtype=np.float64)
        if _first(parity, theirs, None) is None:
            return ScheduleComparison(True, "bitwise", "bitwise (same bits as torch's "
                                      "scheduler order, every k)", gap=gap)
    first = _first(closed, theirs, tol)
    err = metrics.abs_error(closed, theirs)
    with np.errstate(all="ignore"):
        worst = float(np.max(np.where(err <= tol, err / tol, 0.0), initial=0.0))
    return ScheduleComparison(first is None, "closed-form" if first is None else "different",
                              "within 2*R*u*A of the closed form", first, worst, gap)


def diagnose_schedule(schedule: Any, overrides: Mapping[str, Any], lrs: Sequence[float]
                      ) -> tuple[Any, ScheduleComparison] | None:
    """The first catalogue variant whose generated closed form reproduces ``lrs``."""
    from optsym.check.schedule_variants import epoch_variants, for_schedule, variant_schedule
    from optsym.schedules.codegen import load_lrs

    cfg = schedule.config(overrides)

    def spec_lrs(n: int) -> np.ndarray:
        return np.array(load_lrs(schedule, cfg, "closed")(n), dtype=np.float64)

    theirs = np.array(lrs, dtype=np.float64)
    for v in [*for_schedule(schedule), *epoch_variants(spec_lrs, theirs)]:
        try:
            c = compare_schedule(variant_schedule(schedule, v), overrides, lrs, bitwise=False)
        except Exception:  # noqa: BLE001 - a rewrite this schedule's form does not take
            continue
        if c.equal:
            return v, c
    return None
