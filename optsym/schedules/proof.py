r"""Proofs that torch's computation of a schedule is its closed form.

Two kinds of evidence, each reported with its method:

* **induction step** (symbolic): for each case of torch's recursion marked as the induction step
  of a phase, substitute the induction hypothesis :math:`\eta_{k-1}` = the phase's closed form at
  :math:`k - 1` into torch's expression (its Python operations replaced by their exact meaning,
  :func:`optsym.pyops.to_math`) and simplify the difference with the closed form at :math:`k` to
  0, for a general integer :math:`k` and general parameters;
* **every step** (exact arithmetic): torch's computation, all its cases and its integer state
  included, is run in 50-digit arithmetic for :math:`k = 0 \dots K` from the given parameters'
  exact values, and compared with the closed form at every step.  This covers the boundary cases
  (a decay at a milestone, cosine's zero-denominator case, a restart) that the symbolic step does
  not, and checks a ``formula`` against the phases it summarises.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import mpmath
import sympy as sp

from optsym.pyops import to_math
from optsym.schedules.spec import LR, Config, Schedule, k

DIGITS = 50


@dataclass
class Induction:
    case: str
    phase: str
    holds: bool
    method: str
    torch: str
    closed: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class EveryStep:
    steps: int
    max_diff: float
    holds: bool
    what: str

    def as_dict(self) -> dict:
        return asdict(self)


def _vanishes(diff: sp.Expr) -> tuple[bool, str]:
    diff = sp.simplify(diff)
    if diff == 0:
        return True, "simplify"
    forced = sp.simplify(sp.powsimp(sp.powdenest(diff, force=True), force=True))
    if forced == 0:
        return True, "simplify with powsimp(force=True): (a/b)^p b^p = a^p for a, b >= 0"
    return False, "no symbolic reduction"


def induction(schedule: Schedule, cfg: Config) -> list[Induction]:
    """The symbolic induction step of every case marked as one."""
    phases = schedule.phases(cfg)
    tf = schedule.torch(cfg)
    out = []
    for case in tf.branches:
        for i in case.proves:
            ph = phases[i]
            hyp = {LR: ph.expr.subs(k, k - 1)}
            hyp.update({s: e.subs(k, k - 1) for s, e in tf.invariants.items()})
            lhs = to_math(case.expr).subs(hyp)
            holds, method = _vanishes(lhs - ph.expr)
            out.append(Induction(case.note or "recursion", ph.label or f"phase {i}", holds,
                                 method, str(case.expr), str(ph.expr)))
    return out


def _mp(expr: sp.Expr, symbols: list[sp.Symbol]):
    return sp.lambdify(symbols, expr, modules="mpmath")


def every_step(schedule: Schedule, cfg: Config, steps: int) -> EveryStep:
    """torch's computation and the closed form in 50-digit arithmetic at k = 0 .. steps - 1."""
    tf = schedule.torch(cfg)
    values = schedule.values(cfg)
    state = [a.target for a in tf.state_init]
    args = [k, LR, *state]
    init_state = [(a.target, _mp(to_math(a.expr).subs(values), args)) for a in tf.state_init]
    step_state = [(a.target, _mp(to_math(a.expr).subs(values), args)) for a in tf.state_step]
    first = _mp(to_math(tf.initial).subs(values), args)
    later = _mp(to_math(tf.lr_step()).subs(values), args)
    closed = [_mp(schedule.closed_form(cfg).subs(values), [k])]
    what = "torch's computation == closed form"
    if schedule.formula is not None and schedule.formula(cfg) is not None:
        phases = schedule.phases(cfg)
        closed.append(_mp(sp.Piecewise(*[(p.expr, sp.Lt(k, p.end)) for p in phases[:-1]],
                                       (phases[-1].expr, True)).subs(values), [k]))
        what += " == phases"
    worst = mpmath.mpf(0)
    with mpmath.workdps(DIGITS):
        env = {s: mpmath.mpf(0) for s in state}
        lr = mpmath.mpf(0)
        for j in range(steps):
            kj = mpmath.mpf(j)  # an mpf, so that 1/(7 - k) is 1/(7 - k), not a double
            updates = init_state if j == 0 else step_state
            for sym, fn in updates:
                env[sym] = mpmath.mpf(fn(kj, lr, *[env[s] for s in state]))
            lr = mpmath.mpf((first if j == 0 else later)(kj, lr, *[env[s] for s in state]))
            for fn in closed:
                worst = max(worst, abs(mpmath.mpf(fn(kj)) - lr))
    scale = max(abs(float(v)) for v in values.values()) if values else 1.0
    return EveryStep(steps, float(worst), float(worst) <= 1e-30 * max(scale, 1.0), what)
