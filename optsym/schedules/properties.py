r"""Properties of a schedule, derived symbolically and each cross-checked numerically.

* **budget** :math:`B = \sum_{k=0}^{H-1} \eta_k` over the horizon :math:`H`, in closed form in
  the schedule's symbols (the integer structure, such as where the phases end, is symbolic
  where SymPy can sum it), and the **mean** :math:`B / H`.  SymPy cannot sum a cosine directly;
  :func:`phase_sum` rewrites :math:`\cos x = \operatorname{Re} e^{ix}`, sums the geometric
  series and takes the real part, and sums :math:`k^{-1/2}` as generalized harmonic numbers.
  Cross-check: the sum of the closed form's values in 50-digit arithmetic.
* **boundaries**: at each phase boundary :math:`b`, the value :math:`\eta_b` and the jump from
  the previous phase's formula continued to :math:`b` (0: continuous).  Cross-check: the values
  of the closed form at :math:`b - 1` and :math:`b`.
* **monotonicity** of each phase (SymPy's ``is_increasing`` / ``is_decreasing`` with :math:`k`
  continuous on the phase) and over the horizon; cross-check: the signs of the differences of
  the sequence.
* **Robbins-Monro** conditions on the infinite horizon, :math:`\sum \eta_k = \infty` and
  :math:`\sum \eta_k^2 < \infty`: from the tail's series (SymPy's convergence tests), or for a
  periodic tail from its sums over one period (a positive periodic sequence has divergent sums).
  Cross-check: the partial sums over two successive decades :math:`[a, 10a)`, :math:`[10a, 100a)`
  of the generated code's values; a divergent series' second decade adds at least half as much
  as the first (:math:`1/k`: the same, :math:`1/\sqrt{k}`: :math:`\sqrt{10}` times), a convergent
  one's much less (:math:`1/k^2`: a tenth; geometric: nothing).
"""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from optsym.schedules.spec import Config, J, Phase, Schedule, k
from optsym.spec import latex

DIGITS = 50
#: seconds SymPy may spend on a budget's closed form before the exact numeric sum is reported
BUDGET_SECONDS = 4.0


class _Slow(Exception):
    """SymPy took longer than its allowance."""


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise :class:`_Slow` in the main thread after ``seconds`` (no limit in other threads)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise _Slow

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


#: sequences longer than this are cross-checked in float64 (vectorized), not in 50 digits
EXACT_STEPS = 20_000


def _mp_values(schedule: Schedule, cfg: Config, n: int) -> list | np.ndarray:
    """The closed form at k = 0 .. n-1: a list of 50-digit numbers, or for long sequences a
    float64 array."""
    closed = schedule.closed_form(cfg).subs(schedule.values(cfg))
    if n > EXACT_STEPS:
        fn = sp.lambdify([k], closed, "numpy")
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(fn(np.arange(n, dtype=np.float64)),
                                              dtype=np.float64), (n,))
    fn = sp.lambdify([k], closed, "mpmath")
    with mpmath.workdps(DIGITS):
        return [mpmath.mpf(fn(mpmath.mpf(j))) for j in range(n)]


def _tolerance(n: int) -> float:
    """Relative agreement required of a cross-check over n values (50 digits or float64)."""
    return 1e-30 if n <= EXACT_STEPS else 1e-12


# ---- budget --------------------------------------------------------------------------------
def _cos_sum(term: sp.Expr, lo: sp.Expr, hi: sp.Expr) -> sp.Expr | None:
    """sum_{k=lo}^{hi} c*cos(a*k + b) as the real part of a geometric series (a != 0 mod 2pi)."""
    coeff, rest = term.as_independent(k, as_Add=False)
    if not isinstance(rest, sp.cos):
        return None
    geometric = sp.summation(sp.exp(sp.I * rest.args[0]), (k, lo, hi))
    # the generic case e^{ia} != 1 (a = pi/T with T >= 1 is never a multiple of 2 pi)
    geometric = geometric.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[-1][0])
    if geometric.has(sp.Sum):
        return None
    return coeff * sp.simplify(sp.re(sp.expand_complex(geometric)))


def _power_sum(term: sp.Expr, lo: sp.Expr, hi: sp.Expr) -> sp.Expr | None:
    """sum_{k=lo}^{hi} c*(a + b k)^p: digamma differences for p = -1, Hurwitz zeta otherwise
    (generalized harmonic numbers when a = 0, b = 1)."""
    coeff, rest = term.as_independent(k, as_Add=False)
    base, power = rest.as_base_exp()
    if power.has(k) or not base.has(k) or not sp.Poly(base, k).degree() == 1:
        return None
    b, a = sp.Poly(base, k).all_coeffs()
    if b.is_negative:  # sum in reverse order, k -> lo + hi - k, so that the slope is positive
        a, b = a + b * (lo + hi), -b
    q = a / b
    if q == 0:
        return coeff * b**power * (sp.harmonic(hi, -power) - sp.harmonic(lo - 1, -power))
    if power == -1:
        return coeff / b * (sp.digamma(hi + 1 + q) - sp.digamma(lo + q))
    return coeff * b**power * (sp.zeta(-power, lo + q) - sp.zeta(-power, hi + 1 + q))


def _easy(term: sp.Expr) -> bool:
    """Terms SymPy sums at once: polynomials and geometric terms in k."""
    if term.has(sp.Piecewise, sp.floor, sp.Mod):
        return False
    if term.is_polynomial(k):
        return True
    coeff, rest = term.as_independent(k, as_Add=False)
    base, power = rest.as_base_exp()
    return not base.has(k) and power.is_polynomial(k)


def phase_sum(expr: sp.Expr, lo: sp.Expr, hi: sp.Expr) -> sp.Expr | None:
    """sum_{k=lo}^{hi} expr in closed form, term by term, or None when no rule applies."""
    total = sp.S.Zero
    for term in sp.Add.make_args(sp.expand(expr)):
        if _easy(term):
            part = sp.summation(term, (k, lo, hi))
        elif term.has(sp.Piecewise, sp.floor, sp.Mod):
            return None
        else:
            part = _cos_sum(term, lo, hi) if term.has(sp.cos) else _power_sum(term, lo, hi)
        if part is None or part.has(sp.Sum):
            return None
        total += part
    return total


@dataclass
class Budget:
    horizon: int
    formula: str | None
    latex: str | None
    value: float
    mean: float
    numeric: float
    holds: bool
    method: str

    def as_dict(self) -> dict:
        return asdict(self)


def _in_horizon(phases: tuple[Phase, ...], cfg_values: dict, h: int):
    """(phase, its last k inside the horizon, symbolically where the phase ends inside it)."""
    for ph in phases:
        start = int(ph.start.subs(cfg_values))
        if start >= h:
            break
        end = ph.end.subs(cfg_values)
        if end != sp.oo and int(end) <= start:
            continue  # empty under these values (a warmup of 0 steps)
        inside = end != sp.oo and int(end) <= h
        yield ph, (ph.end - 1 if inside else None)


def budget(schedule: Schedule, cfg: Config) -> Budget:
    values = schedule.values(cfg)
    h = schedule.horizon(cfg)
    horizon_symbol = _horizon_symbol(schedule, cfg)
    try:
        with _deadline(BUDGET_SECONDS):
            total, method = _budget_formula(schedule, cfg, values, h, horizon_symbol)
    except _Slow:
        total, method = None, f"SymPy found no closed form within {BUDGET_SECONDS:g} s"
    seq = _mp_values(schedule, cfg, h)
    with mpmath.workdps(DIGITS):
        numeric = mpmath.fsum(seq) if h <= EXACT_STEPS else mpmath.mpf(math.fsum(seq))
    if total is None:
        value = float(numeric)
        return Budget(h, None, None, value, value / h, float(numeric), True,
                      f"{method or 'no closed form found'}: exact sum at the given parameters")
    with mpmath.workdps(DIGITS):
        value = mpmath.mpf(sp.N(total.subs(values), DIGITS))
    holds = abs(value - numeric) <= _tolerance(h) * max(abs(numeric), 1)
    return Budget(h, str(total), latex(total), float(value), float(value) / h, float(numeric),
                  bool(holds), method)


def _budget_formula(schedule: Schedule, cfg: Config, values: dict, h: int,
                    horizon_symbol: sp.Symbol | None) -> tuple[sp.Expr | None, str]:
    """The budget summed phase by phase (symbolic where SymPy can), or None."""
    total, method = sp.S.Zero, "symbolic (SymPy summation per phase)"
    for ph, last in _in_horizon(schedule.phases(cfg), values, h):
        hi = last if last is not None else (horizon_symbol - 1 if horizon_symbol is not None
                                            else sp.Integer(h - 1))
        shifted = ph.expr.subs(k, k + ph.start)  # sum from 0: simpler series for SymPy
        part = phase_sum(shifted, sp.S.Zero, hi - ph.start)
        if part is None:  # retry with the integers substituted
            part = phase_sum(shifted.subs(_integers(schedule, cfg)), sp.S.Zero,
                             (hi - ph.start).subs(values))
            method = "symbolic in the real parameters, integers substituted"
        if part is None:
            return None, ""
        total += sp.simplify(part)
    if sp.count_ops(total) < 60:
        total = sp.simplify(total)
    return total, method


def _integers(schedule: Schedule, cfg: Config) -> dict:
    return {p.symbol: sp.Integer(cfg[p.name]) for p in schedule.params
            if p.symbol is not None and p.kind == "int"}


def _horizon_symbol(schedule: Schedule, cfg: Config) -> sp.Symbol | None:
    """The parameter whose value is the horizon (``T``, ``total_steps``), if there is one."""
    for p in schedule.params:
        if p.kind == "int" and p.symbol is not None and cfg[p.name] == schedule.horizon(cfg) \
                and p.name in ("T", "total_steps", "horizon"):
            return p.symbol
    return None


# ---- boundaries and monotonicity -----------------------------------------------------------
@dataclass
class Boundary:
    k: int
    value: float
    jump: float
    jump_formula: str
    continuous: bool
    numeric: tuple[float, float]

    def as_dict(self) -> dict:
        return asdict(self)


def boundaries(schedule: Schedule, cfg: Config) -> list[Boundary]:
    values = schedule.values(cfg)
    phases = schedule.phases(cfg)
    h = schedule.horizon(cfg)
    fn = sp.lambdify([k], schedule.closed_form(cfg).subs(values), "mpmath")
    out = []
    for before, after in zip(phases, phases[1:]):
        b = int(after.start.subs(values))
        if b > h:
            break
        at = after.joint if after.joint is not None else after.start
        jump = sp.simplify(after.expr.subs(k, at) - before.expr.subs(k, at))
        size = float(jump.subs(values))
        value = float(after.expr.subs(k, b).subs(values))
        scale = max(abs(value), 1e-300)
        with mpmath.workdps(DIGITS):
            left = float(fn(mpmath.mpf(b - 1))) if b >= 1 else float("nan")
            right = float(fn(mpmath.mpf(b)))
        out.append(Boundary(b, value, size, str(jump), abs(size) <= 1e-12 * scale,
                            (left, right)))
    return out


@dataclass
class Monotonicity:
    phases: list[dict[str, Any]]
    overall: str
    numeric: str
    holds: bool

    def as_dict(self) -> dict:
        return asdict(self)


def _trend(diffs) -> str:
    up = any(d > 0 for d in diffs)
    down = any(d < 0 for d in diffs)
    return {(False, False): "constant", (True, False): "non-decreasing",
            (False, True): "non-increasing", (True, True): "not monotone"}[(up, down)]


def monotonicity(schedule: Schedule, cfg: Config) -> Monotonicity:
    values = schedule.values(cfg)
    h = schedule.horizon(cfg)
    x = sp.Symbol("x", real=True)
    found = []
    for ph, _ in _in_horizon(schedule.phases(cfg), values, h):
        a = int(ph.start.subs(values))
        end = ph.end.subs(values)
        b = min(int(end) - 1 if end != sp.oo else h - 1, h - 1)
        f = ph.expr.subs(values).subs(k, x + a)  # shifted to start at 0
        verdict = "constant" if not f.has(x) else "undetermined"
        if f.has(x) and b > a and not f.has(sp.floor, sp.Mod):
            interval = sp.Interval(0, b - a)
            try:
                if sp.is_decreasing(f, interval, x):
                    verdict = "non-increasing"
                elif sp.is_increasing(f, interval, x):
                    verdict = "non-decreasing"
                else:
                    verdict = "not monotone"
            except (NotImplementedError, TypeError, ValueError):
                verdict = "undetermined"
        found.append({"phase": ph.label, "from": a, "to": b, "trend": verdict})
    seq = _mp_values(schedule, cfg, h)
    if h > EXACT_STEPS:  # float64: differences below 1e-13 of the largest value are noise
        diffs = np.diff(seq)
        diffs[np.abs(diffs) <= 1e-13 * np.max(np.abs(seq))] = 0
        numeric = _trend(np.unique(np.sign(diffs)))
    else:
        with mpmath.workdps(DIGITS):
            tiny = max(abs(x) for x in seq) * mpmath.mpf(10) ** (-40) if seq else 0
            numeric = _trend([d if abs(d) > tiny else 0
                              for d in np.diff(np.array(seq, dtype=object))])
    trends = {f["trend"] for f in found}
    overall = "undetermined" if "undetermined" in trends else _overall(found, seq, numeric)
    holds = overall in ("undetermined", numeric)
    return Monotonicity(found, overall, numeric, holds)


def _overall(found, seq, numeric) -> str:
    """Combine the phases' trends with the jumps between them."""
    trends = {f["trend"] for f in found} - {"constant"}
    jumps = [seq[f["from"]] - seq[f["from"] - 1] for f in found[1:] if f["from"] >= 1]
    if "not monotone" in trends or len(trends) > 1:
        return "not monotone"
    if not trends:
        trends = {"constant"}
    trend = trends.pop()
    sign = _trend(jumps) if jumps else "constant"
    if sign == "constant" or sign == trend or trend == "constant" and sign != "not monotone":
        return trend if trend != "constant" else sign
    return "not monotone"


# ---- Robbins-Monro -------------------------------------------------------------------------
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
        seq = _mp_values(schedule, cfg, first_cycle)
        with mpmath.workdps(DIGITS):
            p1, p2 = mpmath.fsum(seq), mpmath.fsum([v * v for v in seq])
        s1 = "diverges" if p1 > 0 else "converges"
        s2 = "diverges" if p2 > 0 else "converges"
        if tail.kind == "periodic":
            argument = (f"periodic with period {period}: one period sums to {float(p1):.6g} "
                        f"(lr) and {float(p2):.6g} (lr^2), both > 0, so both sums grow without "
                        "bound")
        else:
            argument = (f"restarts: every cycle is at least as long as the first, whose sums are "
                        f"{float(p1):.6g} (lr) and {float(p2):.6g} (lr^2) > 0; both sums diverge")
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
    with np.errstate(all="ignore"):
        f1, f2, v1 = _decades(vals, a)
        g1, g2, v2 = _decades(vals**2, a)
    return {"method": "partial sums of the values", "decades": [a, 10 * a, 100 * a],
            "sum_lr": v1, "sum_lr2": v2, "lr_sums": [f1, f2], "lr2_sums": [g1, g2]}


@dataclass
class Properties:
    schedule: str
    closed_form: str
    closed_form_latex: str
    budget: Budget
    boundaries: list[Boundary]
    monotonicity: Monotonicity
    robbins_monro: RobbinsMonro

    @property
    def holds(self) -> bool:
        return (self.budget.holds and self.monotonicity.holds and self.robbins_monro.holds)

    def as_dict(self) -> dict:
        return {"schedule": self.schedule, "closed_form": self.closed_form,
                "closed_form_latex": self.closed_form_latex, "budget": self.budget.as_dict(),
                "boundaries": [b.as_dict() for b in self.boundaries],
                "monotonicity": self.monotonicity.as_dict(),
                "robbins_monro": self.robbins_monro.as_dict(), "cross_checks_hold": self.holds}


def properties(schedule: Schedule, cfg: Config) -> Properties:
    closed = schedule.closed_form(cfg)
    return Properties(schedule.name, str(closed), latex(closed), budget(schedule, cfg),
                      boundaries(schedule, cfg), monotonicity(schedule, cfg),
                      robbins_monro(schedule, cfg))
