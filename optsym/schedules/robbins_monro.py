r"""The Robbins-Monro conditions of a schedule on the infinite horizon,
:math:`\sum_k \eta_k = \infty` and :math:`\sum_k \eta_k^2 < \infty` (see
:mod:`optsym.schedules.properties` for how each is decided and cross-checked)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from optsym.schedules.sequence import peak_scale
from optsym.schedules.sequence import sums as _sums
from optsym.schedules.sequence import closed_values as _mp_values
from optsym.schedules.spec import Config, J, Schedule, k


@dataclass
class RobbinsMonro:
    applies: bool
    sum_lr: str  # "diverges" / "converges" / "undetermined"
    sum_lr2: str
    satisfied: bool | None
    argument: str
    numeric: dict[str, Any] = field(default_factory=dict)
    holds: bool = True

    def as_dict(self) -> dict:
        return asdict(self)


def _convergence(series: sp.Expr, start: int, var: sp.Symbol = k) -> str:
    if not series.has(var):
        return "converges" if series == 0 else "diverges"
    if series.has(sp.floor, sp.Mod):  # SymPy's tests answer wrongly here (step decay: diverges)
        return "undetermined"
    try:
        found = sp.Sum(series, (var, max(start, 1), sp.oo)).is_convergent()
    except (NotImplementedError, ValueError, TypeError):
        return "undetermined"
    return {True: "converges", False: "diverges"}.get(bool(found) if found is not None
                                                     else None, "undetermined")


def _verdict(first, second) -> str:
    """Divergent series add at least half as much over the second decade as over the first."""
    if second <= 0 or first <= 0:
        return "converges"
    return "diverges" if second >= first / 2 else "converges"


def _decades(values: np.ndarray, a: int) -> tuple[float, float, str]:
    first = float(np.sum(values[a:10 * a]))
    second = float(np.sum(values[10 * a:100 * a]))
    return first, second, _verdict(first, second)


def robbins_monro(schedule: Schedule, cfg: Config) -> RobbinsMonro:
    tail = schedule.tail(cfg)
    if tail.kind == "undefined":
        return RobbinsMonro(False, "undetermined", "undetermined", None,
                            f"not applicable: {tail.note}")
    values = schedule.values(cfg)
    phases = schedule.phases(cfg)
    if tail.kind == "floor":
        bound = tail.block.subs(values)
        if bound > 0:
            s1 = s2 = "diverges"
            argument = (f"eta_k >= {tail.block} = {float(bound):g} > 0 for every k, so both sums "
                        "grow at least linearly")
        else:
            s1 = s2 = "undetermined"
            argument = f"eta_k >= {tail.block} = 0 gives no bound; {tail.note}"
        start = 0
    elif tail.kind == "dominated":
        var = J if tail.period else k
        bound = (tail.period or 1) * tail.block.subs(values)
        s1 = _convergence(bound, 0, var)
        s2 = _convergence((tail.period or 1) * tail.block.subs(values) ** 2, 0, var)
        s1, s2 = [v if v == "converges" else "undetermined" for v in (s1, s2)]
        per = f"blocks of {tail.period} steps, index j" if tail.period else "k"
        argument = (f"0 <= eta_k <= {tail.block} ({per}), whose series converges for lr and "
                    "lr^2 where stated: comparison test")
        start = 0
    elif tail.kind == "blocks":
        size = tail.period
        block = tail.block.subs(values)
        s1 = _convergence(size * block, 0, J)
        s2 = _convergence(size * block**2, 0, J)
        argument = (f"constant on blocks of {size} steps, eta = {tail.block} on block j: "
                    "sum_k eta_k = sum_j size*eta(j) (and the same for eta^2), whose "
                    "convergence SymPy's tests decide")
        start = 0
    elif tail.kind == "expr":
        last = phases[-1]
        start = int(last.start.subs(values))
        series = last.expr.subs(values)
        s1, s2 = _convergence(series, start), _convergence(series**2, start)
        argument = (f"tail eta_k = {last.expr} for k >= {last.start}: SymPy's convergence "
                    "tests on the series and on its square")
    else:
        period = tail.period or 0
        first_cycle = int(phases[0].end.subs(values)) if tail.kind == "cycles" else period
        p1, p2 = _sums(_mp_values(schedule, cfg, first_cycle))
        s1 = "diverges" if p1 > 0 else "converges"
        s2 = "diverges" if p2 > 0 else "converges"
        if tail.kind == "periodic":
            argument = (f"periodic with period {period}: one period sums to "
                        f"{mpmath.nstr(p1, 6)} (lr) and {mpmath.nstr(p2, 6)} (lr^2), both > 0, "
                        "so both sums grow without bound")
        else:
            argument = (f"restarts: every cycle is at least as long as the first, whose sums are "
                        f"{mpmath.nstr(p1, 6)} (lr) and {mpmath.nstr(p2, 6)} (lr^2) > 0; both "
                        "sums diverge")
        start = 0
    satisfied = None if "undetermined" in (s1, s2) else (s1 == "diverges" and s2 == "converges")
    numeric = _numeric_rm(schedule, cfg, start)
    holds = all(sym in ("undetermined", num) for sym, num in
                ((s1, numeric["sum_lr"]), (s2, numeric["sum_lr2"])))
    return RobbinsMonro(True, s1, s2, satisfied, argument, numeric, holds)


#: where the integral test looks: far beyond any time scale the parameters allow
FAR = 10**10


def _numeric_rm(schedule: Schedule, cfg: Config, start: int) -> dict[str, Any]:
    """Numeric Robbins-Monro check, independent of SymPy's convergence tests.

    A smooth monotone tail (kind ``expr``) is checked by the integral test, numerically: the
    integrals of the tail (and of its square) over [a, 10a] and [10a, 100a] with a = 10^10
    beyond the tail's start, far past any time scale (1/(1 - gamma), 1/d) the parameters give.
    Other tails (periodic, restarts, blocks, a floor) are summed step by step over the decades
    [1000, 10^4), [10^4, 10^5) of the generated code's values.
    """
    from optsym.schedules.codegen import load_lrs

    tail = schedule.tail(cfg)
    last = schedule.phases(cfg)[-1].expr.subs(schedule.values(cfg))
    if tail.kind == "expr" and not last.has(sp.floor, sp.Mod, sp.Piecewise):
        a = max(start, 1) * FAR
        fn = sp.lambdify([k], last, "mpmath")
        with mpmath.workdps(30):
            sums = [mpmath.quad(fn, [a, 10 * a]), mpmath.quad(fn, [10 * a, 100 * a])]
            squares = [mpmath.quad(lambda x: fn(x) ** 2, [a, 10 * a]),
                       mpmath.quad(lambda x: fn(x) ** 2, [10 * a, 100 * a])]
        return {"method": "integral test", "decades": [a, 10 * a, 100 * a],
                "sum_lr": _verdict(*sums), "sum_lr2": _verdict(*squares),
                "lr_sums": [float(x) for x in sums], "lr2_sums": [float(x) for x in squares]}
    a = 1000
    if tail.kind == "cycles":  # the phases cover a few horizons only: torch's own computation
        vals = np.array(load_lrs(schedule, cfg, "torch-parity")(100 * a), dtype=np.float64)
    else:  # the closed form, vectorized (floats may underflow, harmlessly)
        fn = sp.lambdify([k], schedule.closed_form(cfg).subs(schedule.values(cfg)), "numpy")
        with np.errstate(all="ignore"):
            vals = np.broadcast_to(np.asarray(fn(np.arange(100 * a, dtype=np.float64)),
                                              dtype=np.float64), (100 * a,))
    # the verdicts compare the decades' ratio, which a constant factor leaves alone: scale to a
    # peak of 1 first, so that lr^2 does not underflow (eta_max = 1e-300)
    scale = peak_scale(vals)
    with np.errstate(all="ignore"):
        f1, f2, v1 = _decades(vals, a)
        g1, g2, v2 = _decades((vals / scale) ** 2, a)
        g1, g2 = g1 * scale**2, g2 * scale**2
    return {"method": "partial sums of the values", "decades": [a, 10 * a, 100 * a],
            "sum_lr": v1, "sum_lr2": v2, "lr_sums": [f1, f2], "lr2_sums": [g1, g2]}
