r"""AdaGrad and RMSprop under a constant gradient: a decaying step against a stationary one.

Problem.  Feed AdaGrad and RMSprop the same gradient :math:`g \ne 0` at every step.  How does the
step size evolve, and how far has each moved after :math:`t` steps?

Results.

.. math::

    \begin{align*}
    \text{AdaGrad:}\quad s_t &= t g^2, \qquad
        \theta_t - \theta_{t-1} = -\eta \frac{g}{\sqrt{t}\, |g| + \epsilon}
        \quad (\text{effective rate } \eta / (\sqrt{t}\, |g|)) \\
    \theta_t - \theta_0 &\to -\eta\, \mathrm{sign}(g) \sum_{j=1}^t j^{-1/2}
        = -\eta\, \mathrm{sign}(g)\, H_t^{(1/2)}, \qquad
        H_t^{(1/2)} = 2\sqrt{t} + \zeta(\tfrac12) + \frac{1}{2\sqrt{t}} + O(t^{-3/2}) \\
    \text{RMSprop:}\quad s_t &= g^2 (1 - \alpha^t) \to g^2, \qquad
        \theta_t - \theta_{t-1} = -\eta \frac{g}{\sqrt{1 - \alpha^t}\, |g| + \epsilon}
        \to -\eta \frac{g}{|g| + \epsilon}
    \end{align*}

(:math:`\epsilon \to 0` in the totals.)  AdaGrad's total displacement grows like
:math:`2\eta\sqrt{t}` (relative error :math:`\zeta(1/2)/(2\sqrt{t}) \approx -0.73/\sqrt{t}`),
RMSprop's like :math:`\eta t`: AdaGrad's effective rate decays as :math:`1/\sqrt{t}` even when
nothing changes, RMSprop's settles at :math:`\eta/|g|` per unit gradient.  RMSprop's first step,
with no bias correction, is :math:`1/\sqrt{1 - \alpha}` (10 for :math:`\alpha = 0.99`) times
:math:`\eta`.

Reference: Duchi, Hazan & Singer, JMLR 12 (2011) (AdaGrad); Tieleman & Hinton, COURSERA Neural
Networks lecture 6.5 (2012) (RMSprop); Goodfellow, Bengio & Courville, *Deep Learning* (2016),
8.5.1-8.5.2; DLMF 25.11.43 and Euler-Maclaurin (the expansion of :math:`H_t^{(1/2)}`).
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from optsym.derivation import Check, Derivation, Param, Sheet
from optsym.derivations._lazy import lazy_sqrt
from optsym.rules.adagrad import eps, gamma, lr, s, s0
from optsym.rules.rmsprop import alpha
from optsym.rules.rmsprop import v as square_avg
from optsym.spec import g as grad_symbol
from optsym.spec import t, theta

g = sp.Symbol("g", real=True, nonzero=True)
j = sp.Symbol("j", integer=True, positive=True)
xx = sp.Symbol("x", positive=True)
y = sp.Function("y")
half = sp.Rational(1, 2)

PARAMS = (
    Param("lr", 0.01, "learning rate eta (both optimizers)", symbol=lr, valid=lambda v: v > 0,
          error="{name} must be > 0, got {value}"),
    Param("g", 1.0, "the constant gradient (nonzero)", symbol=g, valid=lambda v: v != 0,
          error="{name} must be nonzero, got {value}"),
    Param("t", 100, "number of steps", "int", t, valid=lambda v: 1 <= v <= 10000,
          error="{name} must be an integer in [1, 10000], got {value}"),
    Param("alpha", 0.99, "RMSprop's smoothing constant alpha", symbol=alpha,
          valid=lambda v: 0 <= v < 1, error="{name} must be in [0, 1), got {value}"),
    Param("eps", 1e-10, "epsilon outside the square root, both optimizers (torch's defaults: "
          "1e-10 AdaGrad, 1e-8 RMSprop)", symbol=eps, valid=lambda v: v >= 0,
          error="{name} must be >= 0, got {value}"),
)


def _composed(name: str, overrides: dict) -> dict:
    """A rule's textbook update composed into closed expressions (optsym.proof.compose)."""
    from optsym import rules
    from optsym.proof import compose

    rule = rules.get(name)
    env = compose(rule.textbook(rule.config(overrides)))
    return {k: val.subs({grad_symbol: g, gamma: 0, s0: 0}) for k, val in env.items()}


def build() -> Sheet:
    d = Sheet()
    ada = _composed("adagrad", {})
    d.step("AdaGrad's update (optsym.rules.adagrad, lr_decay = 0), from the sum s of the "
           "previous step:", sp.Eq(sp.Symbol("Delta_t"), ada[theta] - theta),
           "optsym.proof.compose of the rule's textbook equations")
    acc = sp.rsolve(y(t) - ada[s].subs(s, y(t - 1)), y(t), {y(0): 0})
    d.step("Under the constant gradient g, from s_0 = 0:", sp.Eq(sp.Function("s")(t), acc),
           "sympy.rsolve of s_t = s_{t-1} + g^2")
    d.result("adagrad_accumulator", "AdaGrad's sum of squares s_t = t g^2", acc)
    step = sp.simplify(ada[theta].subs(s, acc.subs(t, t - 1)) - theta)
    d.step("so the step at t is", sp.Eq(sp.Symbol("Delta_t"), step),
           "sqrt(t g^2) = sqrt(t) |g|")
    d.result("adagrad_step", "AdaGrad's displacement at step t", step)
    rate = sp.simplify(sp.limit(step, eps, 0) / (-g))
    d.step("Per unit gradient (eps -> 0) the effective learning rate decays like 1/sqrt(t):",
           sp.Eq(sp.Symbol("eta_eff"), rate), "sympy.limit")
    d.result("adagrad_effective_lr", "AdaGrad's effective rate eta/(sqrt(t) |g|) (eps -> 0; "
             "eta/sqrt(t) for |g| = 1)", rate)
    harmonic = sp.harmonic(t, half)
    total = sp.Sum(sp.limit(step, eps, 0), (t, 1, sp.Symbol("T")))
    d.step("The total displacement after T steps (eps -> 0) is a generalized harmonic number:",
           sp.Eq(total, -lr * sp.sign(g) * sp.harmonic(sp.Symbol("T"), half)),
           "g/|g| = sign(g); sum_{j <= T} j^(-1/2) = H_T^(1/2)")
    hurwitz = harmonic.rewrite(sp.zeta)
    d.step("SymPy rewrites it with Riemann's and Hurwitz's zeta (fast to evaluate at large t):",
           sp.Eq(harmonic, hurwitz), "harmonic(t, 1/2).rewrite(zeta)")
    d.result("adagrad_total", "AdaGrad's total displacement after t steps (eps -> 0)",
             -lr * sp.sign(g) * hurwitz)
    lower = sp.integrate(xx**-half, (xx, 1, t + 1))
    upper = 1 + sp.integrate(xx**-half, (xx, 1, t))
    d.step("Comparing the decreasing j^(-1/2) with its integral gives the bounds",
           sp.And(sp.Le(lower, harmonic), sp.Le(harmonic, upper)),
           "int_j^{j+1} x^(-1/2) dx <= j^(-1/2) <= int_{j-1}^j x^(-1/2) dx, summed")
    d.result("harmonic_lower", "lower bound 2 sqrt(t + 1) - 2 on H_t^(1/2)", lower)
    d.result("harmonic_upper", "upper bound 2 sqrt(t) - 1 on H_t^(1/2)", upper)
    squeeze = (sp.limit(lower / (2 * sp.sqrt(t)), t, sp.oo),
               sp.limit(upper / (2 * sp.sqrt(t)), t, sp.oo))
    wrong = sp.limit(harmonic / sp.sqrt(t), t, sp.oo)
    d.step("Both bounds over 2 sqrt(t) tend to 1, so H_t^(1/2) ~ 2 sqrt(t):",
           sp.Eq(sp.Tuple(sp.Limit(lower / (2 * sp.sqrt(t)), t, sp.oo),
                          sp.Limit(upper / (2 * sp.sqrt(t)), t, sp.oo)), sp.Tuple(*squeeze)),
           f"sympy.limit on the bounds; SymPy's limit(harmonic(t, 1/2)/sqrt(t)) returns {wrong}"
           + (" (wrong: the bounds squeeze it to 2), hence the detour" if wrong != 2 else
              ", in agreement"))
    assert squeeze == (1, 1)
    d.result("adagrad_total_asymptotic", "AdaGrad's total displacement ~ -2 eta sign(g) sqrt(t)",
             -2 * lr * sp.sign(g) * sp.sqrt(t))
    # Euler-Maclaurin: the t-dependent terms; the constant is zeta(1/2)
    f = xx**-half
    em = (sp.integrate(f, (xx, 1, t)) + f.subs(xx, t) / 2
          + sp.bernoulli(2) / 2 * sp.diff(f, xx).subs(xx, t))
    expansion = sp.expand(em).as_independent(t)[1] + sp.zeta(half)
    d.step("Euler-Maclaurin gives its t-dependent terms (the integral, f(t)/2, B_2/2 f'(t)); "
           "the constant is zeta(1/2) (DLMF 25.11.43 for Hurwitz's zeta):",
           sp.Eq(harmonic, expansion + sp.O(t**sp.Rational(-5, 2), (t, sp.oo))),
           "sympy.integrate, diff and bernoulli; SymPy has no asymptotic expansion of "
           "harmonic(t, 1/2) ('not implemented') and its limit of H_t - 2 sqrt(t) is -oo "
           "(wrong), so the constant is taken from the reference and checked numerically")
    rel = sp.expand((expansion - 2 * sp.sqrt(t)) / (2 * sp.sqrt(t)))
    d.step("Relative to 2 sqrt(t) the difference shrinks like 1/sqrt(t):",
           sp.Eq((harmonic - 2 * sp.sqrt(t)) / (2 * sp.sqrt(t)), rel + sp.O(t**-3, (t, sp.oo))),
           "the expansion above divided by 2 sqrt(t)")
    d.result("adagrad_relative_error", "(H_t^(1/2) - 2 sqrt(t))/(2 sqrt(t)) to O(t^-3)", rel)
    # ---- RMSprop ------------------------------------------------------------------------
    rms = _composed("rmsprop", {})
    d.step("RMSprop's update (optsym.rules.rmsprop, not centered, momentum 0):",
           sp.Eq(sp.Symbol("Delta_t"), rms[theta] - theta),
           "optsym.proof.compose of the rule's textbook equations")
    sq = sp.factor(sp.rsolve(y(t) - rms[square_avg].subs(square_avg, y(t - 1)), y(t),
                             {y(0): 0}))
    d.step("Under the constant gradient g, from 0:", sp.Eq(sp.Function("v")(t), sq),
           "sympy.rsolve of v_t = alpha v_{t-1} + (1 - alpha) g^2")
    d.result("rmsprop_accumulator", "RMSprop's v_t = g^2 (1 - alpha^t)", sq)
    rstep = sp.simplify(rms[theta].subs(square_avg, sq.subs(t, t - 1)) - theta)
    rstep = sp.simplify(rstep.replace(lambda z: z.is_Add, lambda z: sp.factor(sp.expand(z))))
    d.step("so its step at t is", sp.Eq(sp.Symbol("Delta_t"), rstep),
           "each sum expanded and refactored (SymPy's simplify alone leaves "
           "alpha (alpha^(t-1) - 1) + ... unreduced)")
    d.result("rmsprop_step", "RMSprop's displacement at step t", lazy_sqrt(rstep))
    first = sp.simplify(sp.limit(rstep.subs(t, 1), eps, 0) / (-lr * sp.sign(g)))
    d.step("With no bias correction its first step is larger than eta by the factor",
           sp.Eq(sp.Symbol("r_1"), first), "eps -> 0, t = 1")
    limit_step = rstep.subs(alpha**t, 0)
    d.step("As t grows alpha^t -> 0 (SymPy cannot assume alpha < 1: alpha^t is set to 0 by "
           "hand), a stationary step:", sp.Eq(sp.Limit(sp.Symbol("Delta_t"), t, sp.oo),
                                               limit_step), "")
    d.result("rmsprop_step_limit", "RMSprop's stationary displacement -eta g/(|g| + eps)",
             limit_step)
    rrate = sp.simplify(sp.limit(limit_step, eps, 0) / (-g))
    d.result("rmsprop_effective_lr", "RMSprop's stationary effective rate eta/|g| per unit "
             "gradient (eps -> 0)", rrate)
    d.step("so RMSprop's displacement grows linearly, eta per step, against AdaGrad's "
           "2 eta sqrt(t): AdaGrad's total over RMSprop's tends to",
           sp.Eq(sp.Limit(2 * sp.sqrt(t) / t, t, sp.oo), sp.limit(2 * sp.sqrt(t) / t, t, sp.oo)),
           "sympy.limit (eps -> 0)")
    return d


def _generated(name: str, overrides: dict):
    from optsym import rules
    from optsym.codegen.module import generate, load

    rule = rules.get(name)
    return load(generate(rule, rule.config(overrides), "numpy"), f"{name}_constant")


def _run(ns, gg: float, steps: int, record, state_key: str):
    """Per-step displacements, total displacements and the state at the steps in ``record``."""
    params = [np.zeros(1)]
    state = ns["init_state"](params)
    prev, seen = 0.0, {}
    for k in range(1, steps + 1):
        ns["step"](params, [np.full(1, gg)], state)
        now = float(params[0][0])
        if k in record:
            seen[k] = (now - prev, now, float(state[state_key][0][0]))
        prev = now
    return seen


def cross_checks(cfg) -> list[Check]:
    """Generated AdaGrad and RMSprop code (numpy, float64) under a constant gradient."""
    lr_, gg, tt, al, ep = cfg["lr"], cfg["g"], cfg["t"], cfg["alpha"], cfg["eps"]
    res = DERIVATION.instantiate(cfg)
    out = []
    # ---- AdaGrad
    ns = _generated("adagrad", {"lr": lr_, "eps": ep})
    horizon = [T for T in (tt, 4 * tt, 16 * tt) if T <= max(tt, 20000)]
    seen = _run(ns, gg, horizon[-1], set(horizon), "sum")
    moved, total, acc = seen[tt]
    out.append(Check("generated AdaGrad: displacement at step t equals -eta g/(sqrt(t)|g| + eps)",
                     bool(np.isclose(moved, res["adagrad_step"], rtol=1e-11, atol=0)), moved,
                     res["adagrad_step"]))
    out.append(Check("generated AdaGrad: state sum at step t equals t g^2",
                     bool(np.isclose(acc, res["adagrad_accumulator"], rtol=1e-12, atol=0)), acc,
                     res["adagrad_accumulator"]))
    # eps changes each term's relative size by at most eps/|g|
    tol = ep / abs(gg) + 1e-12
    out.append(Check("generated AdaGrad: total displacement after t steps equals "
                     "-eta sign(g) H_t^(1/2) (relative tolerance eps/|g| + 1e-12)",
                     bool(abs(total - res["adagrad_total"]) <= tol * abs(res["adagrad_total"])),
                     total, res["adagrad_total"]))
    walked = abs(total) / lr_ * (1 + tol)
    out.append(Check("the measured |total|/eta lies between the integral bounds on H_t^(1/2)",
                     bool(res["harmonic_lower"] * (1 - tol) <= walked
                          and abs(total) / lr_ * (1 - tol) <= res["harmonic_upper"]),
                     abs(total) / lr_, [res["harmonic_lower"], res["harmonic_upper"]]))
    rows, ok = [], True
    for T in horizon:
        measured = (abs(seen[T][1]) / lr_ - 2 * math.sqrt(T)) / (2 * math.sqrt(T))
        expected = DERIVATION.instantiate({**cfg, "t": T})["adagrad_relative_error"]
        ok &= abs(measured - expected) <= 1 / T**3 + tol * (1 + 1 / math.sqrt(T))
        rows.append(f"t={T}: {measured:.6g} (sqrt(t) x it = {measured * math.sqrt(T):.4f})")
    out.append(Check("generated AdaGrad: relative difference of the total from 2 eta sqrt(t) "
                     "follows (zeta(1/2) + 1/(2 sqrt t) - ...)/(2 sqrt t) to O(t^-3), "
                     "shrinking like 1/sqrt(t)",
                     bool(ok), None, None, "; ".join(rows)))
    # the asymptotic form itself: total / (2 eta sqrt t) -> 1 (checked at the largest horizon)
    T = horizon[-1]
    ratio = seen[T][1] / DERIVATION.instantiate({**cfg, "t": T})["adagrad_total_asymptotic"]
    out.append(Check(f"generated AdaGrad: total / (-2 eta sign(g) sqrt(t)) at t = {T} is "
                     "within 1/sqrt(t) of 1", bool(abs(ratio - 1) <= 1 / math.sqrt(T)), ratio, 1.0))
    # effective rate: step / (-g)
    rate = -moved / gg
    out.append(Check("generated AdaGrad: step/(-g) at step t equals eta/(sqrt(t)|g|) "
                     "(tolerance eps/|g|)", bool(abs(rate - res["adagrad_effective_lr"])
                                                 <= tol * res["adagrad_effective_lr"]),
                     rate, res["adagrad_effective_lr"]))
    # ---- RMSprop
    ns = _generated("rmsprop", {"lr": lr_, "eps": ep, "alpha": al})
    late = 1 if al == 0 else min(max(math.ceil(math.log(1e-13) / math.log(al)), 2 * tt), 20000)
    late = max(late, 2 * tt)
    seen = _run(ns, gg, late, {tt, late // 2, late}, "square_avg")
    moved, total, sqv = seen[tt]
    out.append(Check("generated RMSprop: displacement at step t equals "
                     "-eta g/(sqrt(1 - alpha^t)|g| + eps)",
                     bool(np.isclose(moved, res["rmsprop_step"], rtol=1e-11, atol=0)), moved,
                     res["rmsprop_step"]))
    out.append(Check("generated RMSprop: square_avg at step t equals g^2 (1 - alpha^t)",
                     bool(np.isclose(sqv, res["rmsprop_accumulator"], rtol=1e-12, atol=0)), sqv,
                     res["rmsprop_accumulator"]))
    moved = seen[late][0]
    # 1/sqrt(1 - x) - 1 <= x for 0 <= x <= 1/2: the step differs from its limit by <= alpha^T
    slack = (al**late if al**late <= 0.5 else 1.0) + 1e-11
    out.append(Check(f"generated RMSprop: displacement at step {late} equals the stationary "
                     f"-eta g/(|g| + eps) (relative tolerance alpha^T + 1e-11)",
                     bool(np.isclose(moved, res["rmsprop_step_limit"], rtol=slack, atol=0)),
                     moved, res["rmsprop_step_limit"]))
    rate = -moved / gg
    out.append(Check("generated RMSprop: late step/(-g) equals eta/|g| (tolerance eps/|g| + "
                     "alpha^T)", bool(abs(rate - res["rmsprop_effective_lr"])
                                      <= (tol + slack) * res["rmsprop_effective_lr"]),
                     rate, res["rmsprop_effective_lr"]))
    stretch = seen[late][1] - seen[late // 2][1]
    per_step = stretch / (late - late // 2)
    out.append(Check("generated RMSprop: over the second half of the run the displacement grows "
                     "linearly, eta per step (AdaGrad's: 2 eta sqrt(t))",
                     bool(np.isclose(per_step, res["rmsprop_step_limit"],
                                     rtol=2 * al ** (late // 2) + 1e-11)), per_step,
                     res["rmsprop_step_limit"]))
    return out


DERIVATION = Derivation(
    name="adagrad-constant-gradient",
    title="AdaGrad and RMSprop under a constant gradient: 1/sqrt(t) against a stationary step",
    doc=__doc__, params=PARAMS, build=build, cross_checks=cross_checks,
    assumptions=("the gradient is the same nonzero g at every step",
                 "accumulators start at 0; AdaGrad lr_decay = 0; RMSprop not centered, "
                 "momentum 0; no weight decay", "0 <= alpha < 1"))
