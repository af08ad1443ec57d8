r"""Learning-rate sweeps: the final loss against the lr per rule, and each rule's best lr.

For each rule and each :math:`\eta` of the grid, :math:`T` steps of optsym's generated code from
:math:`x_0` (median over R runs with noise) and the quantity

.. math::

    q(\eta) = f(x_T) - f^\star \quad (f^\star \text{ the value at a known minimum; else }
    q = f(x_T)),

with a diverged run (a non-finite iterate) counted as :math:`+\infty`.  A rule's best lr is
:math:`\arg\min_\eta q(\eta)` over the grid; the grid is geometric, ``LO:HI:N`` meaning N values
from LO to HI evenly spaced in :math:`\log \eta`.  A race at one shared lr compares the rules at
a point that may suit only one of them; the best-lr race runs each at its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from optsym.dynamics.curves import curves_data
from optsym.dynamics.optimum import minima
from optsym.spec import SpecError

MAX_GRID = 60


def lr_grid(text: str) -> list[float]:
    """``"1e-4:1e-1:13"`` (N values evenly spaced in log lr) or ``"0.001,0.01,0.1"``."""
    from optsym.objective import exact_decimal

    def number(part: str) -> float:
        try:
            value = float(exact_decimal(part.strip()))
        except SpecError:
            raise SpecError(f"--lrs: {part.strip()!r} is not a number") from None
        if not value > 0 or not np.isfinite(value):
            raise SpecError(f"--lrs: learning rates must be > 0, got {part.strip()}")
        return value

    text = text.strip()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3 or not parts[2].strip().isdigit():
            raise SpecError(f"--lrs expects LO:HI:N (e.g. 1e-4:1e-1:13), got {text!r}")
        lo, hi, n = number(parts[0]), number(parts[1]), int(parts[2])
        if not 2 <= n <= MAX_GRID or not lo < hi:
            raise SpecError(f"--lrs LO:HI:N needs LO < HI and 2 <= N <= {MAX_GRID}, got {text}")
        return [float(v) for v in np.geomspace(lo, hi, n)]
    values = [number(p) for p in text.split(",") if p.strip()]
    if not values or len(values) > MAX_GRID:
        raise SpecError(f"--lrs expects 1 to {MAX_GRID} learning rates, got {text!r}")
    return sorted(set(values))


@dataclass(frozen=True)
class SweepRow:
    """One rule's final quantity at each lr of the grid (``inf`` where it diverged)."""

    label: str
    rule: str
    final: list[float]
    best_lr: float | None
    best_final: float | None


@dataclass(frozen=True)
class Sweep:
    objective: str
    quantity: str
    steps: int
    lrs: list[float]
    rows: list[SweepRow]

    def best(self, label: str) -> float | None:
        return next(r.best_lr for r in self.rows if r.label == label)


def sweep_data(objective, x0: Sequence, racers: Sequence, lrs: Sequence[float], steps: int,
               sigma: float = 0.0, runs: int = 1, seed: int = 0, progress=None) -> Sweep:
    """The sweep of every racer (its ``lr`` option replaced by each grid value); ``progress``
    (an :class:`optsym.progress.Progress`) advances once per (racer, lr)."""
    if not lrs:
        raise SpecError("the sweep needs at least one learning rate")
    points = minima(objective)
    f_star = 0.0
    quantity = "loss"
    if points:
        f, _ = objective.numpy()
        f_star = min(f(p) for p in points)
        quantity = "loss - f*" if f_star != 0 else "loss"
    rows = []
    for r in racers:
        finals = []
        for lr in lrs:
            c = curves_data(objective, x0, [replace(r, options={**r.options, "lr": lr})],
                            steps, sigma, runs, seed)[0]
            q = c.final("loss") - f_star
            finals.append(float(q) if np.isfinite(q) and not c.diverged else float("inf"))
            if progress is not None:
                progress.advance()
        ok = [i for i, v in enumerate(finals) if np.isfinite(v)]
        best = min(ok, key=lambda i: finals[i]) if ok else None
        rows.append(SweepRow(r.label, r.rule, finals, None if best is None else lrs[best],
                             None if best is None else finals[best]))
    return Sweep(objective.name, quantity, steps, [float(v) for v in lrs], rows)


def best_racers(sweep: Sweep, racers: Sequence) -> list:
    """The racers, each at its own best lr of the sweep (a rule that diverged everywhere is
    left out)."""
    out = []
    for r in racers:
        lr = sweep.best(r.label)
        if lr is not None:
            out.append(replace(r, options={**r.options, "lr": lr}))
    return out


def sweep_json(sweep: Sweep) -> dict:
    def plain(v):
        return None if v is None or not np.isfinite(v) else float(v)

    return {"objective": sweep.objective, "quantity": sweep.quantity, "steps": sweep.steps,
            "lrs": sweep.lrs, "rules": [
                {"racer": r.label, "rule": r.rule, "final": [plain(v) for v in r.final],
                 "diverged_at": [lr for lr, v in zip(sweep.lrs, r.final) if not np.isfinite(v)],
                 "best_lr": r.best_lr, "best_final": plain(r.best_final)} for r in sweep.rows]}


__all__ = ["lr_grid", "sweep_data", "best_racers", "sweep_json", "Sweep", "SweepRow"]
