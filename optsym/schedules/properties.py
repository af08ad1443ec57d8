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

from dataclasses import asdict, dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from optsym.schedules.robbins_monro import RobbinsMonro, robbins_monro
from optsym.schedules.sequence import BUDGET_SECONDS, DIGITS, EXACT_STEPS
from optsym.schedules.sequence import Slow as _Slow
from optsym.schedules.sequence import closed_values as _mp_values
from optsym.schedules.sequence import deadline as _deadline
from optsym.schedules.sequence import sums
from optsym.schedules.sequence import tolerance as _tolerance
from optsym.schedules.spec import Config, Phase, Schedule, k
from optsym.spec import latex

__all__ = ["EXACT_STEPS", "Properties", "RobbinsMonro", "boundaries", "budget", "monotonicity",
           "properties", "robbins_monro"]


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
    numeric, _ = sums(_mp_values(schedule, cfg, h))
    value = _evaluate(total, values) if total is not None else None
    if total is not None and value is None:  # a closed form can be slow to evaluate too
        total, method = None, f"SymPy's closed form took over {BUDGET_SECONDS:g} s to evaluate"
    if total is None:
        value = float(numeric)
        return Budget(h, None, None, value, value / h, float(numeric), True,
                      f"{method or 'no closed form found'}: exact sum at the given parameters")
    holds = abs(value - numeric) <= _tolerance(h) * max(abs(numeric), 1)
    return Budget(h, str(total), latex(total), float(value), float(value) / h, float(numeric),
                  bool(holds), method)


def _evaluate(total: sp.Expr, values: dict):
    """The closed form at the given parameters in 50 digits, or None past the time limit
    (zeta(-p, ...) at p = 10^6 expands a Bernoulli polynomial of degree 10^6)."""
    try:
        with _deadline(BUDGET_SECONDS), mpmath.workdps(DIGITS):
            return mpmath.mpf(sp.N(total.subs(values), DIGITS))
    except _Slow:
        return None


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
    #: phases that start at or after the horizon (a warmup longer than the window): the trend
    #: is the window's, not the schedule's
    beyond: list[dict[str, Any]] = field(default_factory=list)

    @property
    def caveat(self) -> str:
        """Why the trend is only the window's, or ''."""
        if not self.beyond:
            return ""
        first = self.beyond[0]
        return (f"over the horizon only: the phase '{first['phase']}' starts at k = "
                f"{first['from']}, past it (give --horizon > {first['from']} for the whole "
                "schedule)")

    def as_dict(self) -> dict:
        return {**asdict(self), "caveat": self.caveat}


def _trend(diffs) -> str:
    up = any(d > 0 for d in diffs)
    down = any(d < 0 for d in diffs)
    return {(False, False): "constant", (True, False): "non-decreasing",
            (False, True): "non-increasing", (True, True): "not monotone"}[(up, down)]


def _monotone_core(f: sp.Expr, x: sp.Symbol, end: int) -> tuple[sp.Expr, int]:
    r"""A simpler expression with the trend of ``f`` on :math:`[0, \text{end}]`, and +1 or -1
    when the trend is the same or reversed.

    Added constants are dropped, a constant factor's sign is kept in the direction, and
    :math:`g^p` with a numeric exponent is replaced by :math:`g` (increasing in :math:`g \ge 0`
    for :math:`p > 0`, decreasing in :math:`g > 0` for :math:`p < 0`) where :math:`g` is
    linear in :math:`x` and so takes its extremes at the ends.  SymPy's ``is_decreasing`` on
    :math:`(1 - x/N)^{1000}` runs for minutes; on :math:`1 - x/N` it is immediate.
    """
    direction = 1
    while f.has(x):
        if f.is_Add:
            f = f.as_independent(x, as_Add=True)[1]
        elif f.is_Mul:
            c, rest = f.as_independent(x, as_Add=False)
            if not (c.is_number and c.is_nonzero and c.is_extended_real):
                break
            direction, f = direction * (1 if c > 0 else -1), rest
        elif f.is_Pow and f.exp.is_number and f.exp.is_nonzero and f.exp.is_extended_real:
            base = f.base
            if not (base.is_polynomial(x) and sp.degree(base, x) == 1):
                break
            ends = [base.subs(x, 0), base.subs(x, end)]
            if f.exp > 0 and all(e >= 0 for e in ends):
                f = base
            elif f.exp < 0 and all(e > 0 for e in ends):
                direction, f = -direction, base
            else:
                break
        else:
            break
    return f, direction


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
            core, direction = _monotone_core(f, x, b - a)
            down, up = ("non-increasing", "non-decreasing")[::direction]
            try:
                if sp.is_decreasing(core, interval, x):
                    verdict = down
                elif sp.is_increasing(core, interval, x):
                    verdict = up
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
    beyond = [{"phase": ph.label, "from": int(ph.start.subs(values))}
              for ph in schedule.phases(cfg) if int(ph.start.subs(values)) >= h]
    return Monotonicity(found, overall, numeric, holds, beyond)


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
