r"""Gradient descent on smooth convex functions: linear contraction, and the O(1/t) gap.

Problem.  Gradient descent :math:`x_{t+1} = x_t - \eta \nabla f(x_t)` (SGD with momentum 0).
If :math:`f` is :math:`L`-smooth and :math:`\mu`-strongly convex, how fast does the distance to
the minimizer :math:`x_\star` shrink?  If :math:`f` is only :math:`L`-smooth and convex and
:math:`\eta = 1/L`, how fast does the gap :math:`f(x_t) - f_\star` close, and how tight is the
classical bound?

Results.

.. math::

    \begin{align*}
    \|x_t - x_\star\|^2 &\le \rho^{2t} \|x_0 - x_\star\|^2, \qquad
        \rho = \max(|1 - \eta\mu|, |1 - \eta L|)
        \quad (\text{equality on } f = \tfrac{\lambda}{2} x^2,\ \lambda \in \{\mu, L\}) \\
    f(x_t) - f_\star &\le \frac{L \|x_0 - x_\star\|^2}{2t}
        \quad (\text{classical, } \eta = 1/L) \\
    f(x_t) - f_\star &\le \frac{L \|x_0 - x_\star\|^2}{4t + 2}
        \quad (\text{tight: attained by a Huber function; PEPit's worst case}) \\
    \frac{f(x_t) - f_\star}{L \|x_0 - x_\star\|^2} &\le \frac{1}{4t + 2}, \qquad
        \mu = 0:\ \rho = 1 \ (0 < \eta \le 2/L,\ \text{no contraction}) \\
    \frac{L/(2t)}{L/(4t + 2)} &= 2 + \frac{1}{t} > 1
    \end{align*}

References: Polyak, *Introduction to Optimization* (1987), 1.4.2, Theorem 3 (the contraction
factor); Beck & Teboulle, SIAM J. Imaging Sci. 2 (2009), Theorem 3.1 (ISTA with step 1/L and no
nonsmooth term is gradient descent: :math:`L\|x_0 - x_\star\|^2/(2t)`), and Garrigos & Gower,
*Handbook of convergence theorems for (stochastic) gradient methods* (2023), Theorem 3.4
(:math:`\|x_0 - x_\star\|^2/(2\eta t)` for :math:`\eta \le 1/L`); Drori & Teboulle, Math. Program.
145 (2014), Theorem 3.1 (the tight :math:`L\|x_0 - x_\star\|^2/(4t + 2)`); Taylor, Hendrickx &
Glineur (2017) and the PEPit package (Goujaud et al., 2024) for the worst cases computed here.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import sympy as sp

from optsym.derivation import Check, Derivation, Param, Sheet

L = sp.Symbol("L", positive=True)
mu = sp.Symbol("mu", nonnegative=True)
eta = sp.Symbol("eta", positive=True)
t = sp.Symbol("t", integer=True, positive=True)
k = sp.Symbol("k", integer=True, nonnegative=True)
lam = sp.Symbol("lambda", positive=True)
R = sp.Symbol("R", positive=True)
x = sp.Function("x")
H = sp.Symbol("H_t")
e = sp.Function("e")
grad_f = sp.Function("g")  # the gradient of f
x_star = sp.Symbol("x_*")

#: the largest t the numeric cross-checks (generated GD runs, PEPit) take
MAX_T = 20

PARAMS = (
    Param("L", 1.0, "smoothness constant L (largest curvature)", symbol=L, valid=lambda v: v > 0,
          error="{name} must be > 0, got {value}"),
    Param("mu", 0.1, "strong-convexity constant mu (smallest curvature; 0: only convex, then "
          "rho = 1 for eta <= 2/L)", symbol=mu, valid=lambda v: v >= 0,
          error="{name} must be >= 0 (0: convex, > 0: strongly convex), got {value}"),
    Param("eta", 1.0, "step size eta of the contraction (1.0 = 1/L at the default L)",
          symbol=eta, valid=lambda v: v > 0, error="{name} must be > 0, got {value}"),
    # PEPit's worst-case SDP grows with t (t = 50 runs past a minute): capped
    Param("t", 10, "number of steps", "int", t, valid=lambda v: 1 <= v <= MAX_T,
          error="{name} must be an integer >= 1 and <= %d "
                "(the cross-checks run it step by step), got {value}" % MAX_T),
)

CHECKS = (
    (lambda c: c["mu"] > c["L"], "--mu ({mu}) must not exceed --L ({L})"),
    (lambda c: c["eta"] * c["L"] >= 2,
     "--eta ({eta}) must be < 2/L = 2/{L}: with eta >= 2/L gradient descent does not contract "
     "on f = L x^2/2"),
)


def build() -> Sheet:
    d = Sheet()
    # ---- strongly convex: contraction of the distance to the minimizer ----------------------
    d.step("Gradient descent (torch's SGD with momentum 0): x_{t+1} = x_t - eta g(x_t) with g = "
           "grad f; with g(x*) = 0 the error e_t = x_t - x* obeys",
           sp.Eq(e(t + 1), e(t) - eta * (grad_f(x(t)) - grad_f(x_star))),
           "subtract x* = x* - eta grad f(x*) from the update")
    d.step("The gradient difference is H_t e_t with H_t the Hessian averaged on the segment "
           "[x*, x_t], so e_{t+1} = (I - eta H_t) e_t with mu I <= H_t <= L I",
           sp.Eq(e(t + 1), (1 - eta * H) * e(t)),
           "mean-value theorem for twice differentiable f; for merely L-smooth mu-strongly "
           "convex f the same bound on the gradient step holds (Polyak 1987, 1.4.2; PEPit "
           "computes it for that whole class)")
    rho = sp.Max(sp.Abs(1 - eta * mu), sp.Abs(1 - eta * L))
    d.step("||I - eta H_t|| is the largest |1 - eta lambda| over the eigenvalues lambda of H_t, "
           "all in [mu, L]; |1 - eta lambda| = max(1 - eta lambda, eta lambda - 1) is a maximum "
           "of two affine functions, hence convex, so its maximum over [mu, L] is at an endpoint:",
           sp.Eq(sp.Symbol("rho"), rho),
           "SymPy's maximum() cannot take symbolic interval ends ('multivariate conditions are "
           "not handled'), so the endpoint argument is made by hand; the cross-check searches a "
           "grid of [mu, L]")
    d.result("contraction_factor", "contraction factor rho = max(|1 - eta mu|, |1 - eta L|)", rho)
    d.step("By induction on t:", sp.Le(sp.Abs(e(t)), rho**t * sp.Abs(e(0))), "")
    d.result("distance_ratio", "bound on ||x_t - x*|| / ||x_0 - x*|| after t steps", rho**t)
    d.result("distance_ratio_squared", "bound on ||x_t - x*||^2 / ||x_0 - x*||^2 after t steps "
             "(the squared ratio: PEPit's and most textbooks' quantity)", rho**(2 * t))
    y = sp.Function("y")
    quad = sp.rsolve(y(k + 1) - (1 - eta * lam) * y(k), y(k), {y(0): sp.Symbol("x_0")})
    d.step("On f = lambda x^2/2 the iterate is exactly", sp.Eq(x(k), quad),
           "sympy.rsolve of x_{k+1} = (1 - eta lambda) x_k; with lambda = mu or lambda = L the "
           "bound rho^t is attained, so it cannot be improved")
    # ---- convex: the O(1/t) gap ----------------------------------------------------------
    fs = sp.Symbol("f_*")
    dist = sp.Function("D")  # D(k) = ||x_k - x*||^2
    d.step("Convex, L-smooth, eta <= 1/L: descent lemma and convexity give per step",
           sp.Le(sp.Function("f")(x(k + 1)) - fs, (dist(k) - dist(k + 1)) / (2 * eta)),
           "f(x_{k+1}) <= f(x_k) - (eta/2)||grad f(x_k)||^2 and f(x_k) - f* <= <grad f(x_k), "
           "x_k - x*>; D_k = ||x_k - x*||^2")
    telescoped = sp.Sum((dist(k) - dist(k + 1)) / (2 * eta), (k, 0, t - 1))
    d.step("Summing over k < t telescopes, and f(x_k) is nonincreasing:",
           sp.Le(t * (sp.Function("f")(x(t)) - fs), telescoped),
           "the sum is (D_0 - D_t)/(2 eta) <= D_0/(2 eta)")
    classical_eta = 1 / (2 * eta * t)
    d.step("so the classical bound (Garrigos & Gower 2023, Thm 3.4) is, per unit ||x_0 - x*||^2,",
           sp.Eq(sp.Symbol("tau_C"), classical_eta), "valid for 0 < eta <= 1/L")
    classical = classical_eta.subs(eta, 1 / L)
    d.result("convex_classical", "classical bound on (f(x_t) - f*)/||x_0 - x*||^2 at eta = 1/L "
             "(Beck & Teboulle 2009, Thm 3.1)", classical)
    tight_eta = L / (4 * L * eta * t + 2)
    d.step("Drori & Teboulle (2014, Thm 3.1): the exact worst case for 0 < eta <= 1/L is",
           sp.Eq(sp.Symbol("tau_DT"), tight_eta),
           "performance-estimation (PEP) proof; PEPit recomputes it numerically")
    tight = tight_eta.subs(eta, 1 / L)
    # attainment on the Huber function with kink at delta = R/(2t + 1)
    delta = R / (2 * t + 1)
    iterate = sp.rsolve(y(k + 1) - y(k) + delta, y(k), {y(0): R})
    xt = sp.factor(iterate.subs(k, t))
    assert sp.simplify(xt - delta - R * t / (2 * t + 1)) == 0  # x_t >= delta: still linear
    huber_gap = sp.factor(L * delta * xt - L * delta**2 / 2)
    d.step("It is attained: on the Huber function f(x) = L delta |x| - L delta^2/2 "
           "(|x| >= delta), L x^2/2 (|x| < delta), delta = R/(2t + 1), from x_0 = R each step "
           "moves by delta (eta = 1/L) and x_t = R (t + 1)/(2t + 1) >= delta, so",
           sp.Eq(sp.Function("f")(x(t)) - 0, huber_gap),
           "sympy.rsolve for x_k = R - k delta, then f on its linear piece")
    assert sp.simplify(huber_gap - tight * R**2) == 0
    d.result("convex_tight", "tight worst case of (f(x_t) - f*)/||x_0 - x*||^2 at eta = 1/L "
             "(Drori & Teboulle 2014; PEPit)", tight)
    gap = sp.factor(classical - tight)
    d.step("The classical bound exceeds the tight one:", sp.Eq(classical - tight, gap),
           "every factor is positive for t >= 1")
    d.result("classical_over_tight", "ratio classical / tight = 2 + 1/t",
             sp.simplify(classical / tight))
    d.step("Per unit L ||x_0 - x*||^2 (PEPit's normalization, L = 1) both bounds lose L:",
           sp.Eq(sp.Symbol("tau_DT") / L, sp.simplify(tight / L)), "divide by L")
    d.result("convex_classical_per_L", "classical bound on (f(x_t) - f*)/(L ||x_0 - x*||^2) at "
             "eta = 1/L", sp.simplify(classical / L))
    d.result("convex_tight_per_L", "tight worst case of (f(x_t) - f*)/(L ||x_0 - x*||^2) at "
             "eta = 1/L", sp.simplify(tight / L))
    return d


def _gd(lr: float):
    """optsym's generated gradient-descent code (SGD rule, momentum 0, numpy target)."""
    from optsym import rules
    from optsym.codegen.module import generate, load

    rule = rules.get("sgd")
    return load(generate(rule, rule.config({"lr": lr, "momentum": 0.0}), "numpy"), "gd_check")


def _run(ns, grad, x0: np.ndarray, steps: int) -> np.ndarray:
    params = [np.array(x0, dtype=np.float64)]
    state = ns["init_state"](params)
    for _ in range(steps):
        ns["step"](params, [grad(params[0])], state)
    return params[0]


def _huber(Lc: float, delta: float):
    def f(z):
        a = np.abs(z)
        return np.where(a <= delta, Lc * z**2 / 2, Lc * delta * a - Lc * delta**2 / 2)

    def grad(z):
        return np.where(np.abs(z) <= delta, Lc * z, Lc * delta * np.sign(z))

    return f, grad


def cross_checks(cfg) -> list[Check]:
    """Generated GD code on quadratics, a non-quadratic and a Huber function; PEPit if present."""
    return _checks(cfg, pepit=importlib.util.find_spec("PEPit") is not None)


def _checks(cfg, pepit: bool) -> list[Check]:
    Lc, m, lr, tt = cfg["L"], cfg["mu"], cfg["eta"], cfg["t"]
    res = DERIVATION.instantiate(cfg)
    rho, ratio = res["contraction_factor"], res["distance_ratio"]
    out = []
    grid = np.linspace(m, Lc, 100001)
    worst = float(np.max(np.abs(1 - lr * grid)))
    out.append(Check("grid search of |1 - eta lambda| over [mu, L] gives rho",
                     bool(np.isclose(worst, rho, rtol=1e-12, atol=0)), worst, rho))
    # 1-D quadratics: generated GD code; the larger of the two ratios attains rho^t
    ns = _gd(lr)
    ratios = [abs(float(_run(ns, lambda z, c=c: c * z, np.array([1.0]), tt)[0]))
              for c in (m, Lc)]
    out.append(Check("generated GD on f = lambda x^2/2, lambda in {mu, L}: the larger "
                     "|x_t|/|x_0| equals rho^t (attained)",
                     bool(np.isclose(max(ratios), ratio, rtol=1e-10, atol=1e-300)),
                     max(ratios), ratio, f"ratios {ratios[0]:.6g}, {ratios[1]:.6g}"))
    squared = res["distance_ratio_squared"]
    out.append(Check("the same runs: the larger |x_t|^2/|x_0|^2 equals the squared bound",
                     bool(np.isclose(max(ratios) ** 2, squared, rtol=1e-10, atol=1e-300)),
                     max(ratios) ** 2, squared))
    # random quadratics in 20-D with spectra in [mu, L], and a non-quadratic 1-D function
    rng = np.random.default_rng(0)
    worst_ratio = 0.0
    for _ in range(20):
        q, _r = np.linalg.qr(rng.normal(size=(20, 20)))
        spectrum = np.concatenate([[m, Lc], rng.uniform(m, Lc, 18)])
        A = (q * spectrum) @ q.T
        x0 = rng.normal(size=20)
        xt = _run(ns, lambda z, A=A: A @ z, x0, tt)
        worst_ratio = max(worst_ratio, float(np.linalg.norm(xt) / np.linalg.norm(x0)))
    starts = np.concatenate([rng.normal(scale=3.0, size=200), [1e-3, 10.0, -10.0]])
    xt = _run(ns, lambda z: m * z + (Lc - m) * np.tanh(z), starts, tt)
    worst_ratio = max(worst_ratio, float(np.max(np.abs(xt) / np.abs(starts))))
    out.append(Check("generated GD on 20 random 20-D quadratics (spectrum in [mu, L]) and on "
                     "f = mu x^2/2 + (L - mu) log cosh x: ||x_t||/||x_0|| <= rho^t",
                     bool(worst_ratio <= ratio * (1 + 1e-10)), worst_ratio, ratio))
    # convex, step 1/L: Huber attains the tight value; nothing exceeds it
    tight, classical = res["convex_tight"], res["convex_classical"]
    gd1 = _gd(1.0 / Lc)
    f, grad = _huber(Lc, 1.0 / (2 * tt + 1))
    gap = float(f(_run(gd1, grad, np.array([1.0]), tt))[0])
    out.append(Check("generated GD (eta = 1/L) on the Huber function with kink 1/(2t + 1) "
                     "from x_0 = 1: f(x_t) - f* equals the tight value",
                     bool(np.isclose(gap, tight, rtol=1e-10)), gap, tight))
    per_l = res["convex_tight_per_L"]
    out.append(Check("the same run: (f(x_t) - f*)/(L ||x_0 - x*||^2) equals the tight value "
                     "per L", bool(np.isclose(gap / Lc, per_l, rtol=1e-10)), gap / Lc, per_l))
    worst_gap = 0.0
    for delta in (1e-3, 0.05, 0.3, 1.0, 10.0):
        f, grad = _huber(Lc, delta)
        worst_gap = max(worst_gap, float(np.max(f(_run(gd1, grad, starts / np.abs(starts),
                                                       tt)))))
    for _ in range(10):
        spectrum = rng.uniform(0, Lc, 50)
        x0 = rng.normal(size=50)
        x0 /= np.linalg.norm(x0)
        xt = _run(gd1, lambda z, s=spectrum: s * z, x0, tt)
        worst_gap = max(worst_gap, float(np.sum(spectrum * xt**2) / 2))
    out.append(Check("generated GD (eta = 1/L) on Huber functions and random convex quadratics "
                     "with ||x_0 - x*|| = 1: f(x_t) - f* <= tight <= classical",
                     bool(worst_gap <= tight * (1 + 1e-10) and tight <= classical),
                     worst_gap, tight, f"classical {classical:.6g}"))
    if pepit:
        out += pepit_checks(cfg)
    return out


def pepit_checks(cfg) -> list[Check]:
    """PEPit's worst cases (SDP, solved by SCS through cvxpy): tolerance 1e-3 relative."""
    from PEPit.examples.tutorials.gradient_descent_contraction import (
        wc_gradient_descent_contraction,
    )
    from PEPit.examples.unconstrained_convex_minimization.gradient_descent import (
        wc_gradient_descent,
    )

    Lc, m, lr, tt = cfg["L"], cfg["mu"], cfg["eta"], cfg["t"]
    res = DERIVATION.instantiate(cfg)
    out = []
    # worst case of ||x_t - y_t||^2 over pairs with ||x_0 - y_0|| <= 1 (y = x* is one such run)
    tau, _ = wc_gradient_descent_contraction(L=Lc, mu=m, gamma=lr, n=tt, verbose=-1)
    out.append(Check("PEPit worst case of ||x_t - y_t||^2 / ||x_0 - y_0||^2 (its own quantity) "
                     "equals rho^(2t)",
                     bool(abs(tau - res["distance_ratio_squared"])
                          <= 1e-3 * res["distance_ratio_squared"] + 1e-5),
                     float(tau), res["distance_ratio_squared"]))
    measured = float(np.sqrt(max(tau, 0.0)))
    out.append(Check("PEPit worst case of ||x_t - y_t|| / ||x_0 - y_0|| over L-smooth "
                     "mu-strongly convex f equals rho^t",
                     bool(abs(measured - res["distance_ratio"])
                          <= 1e-3 * res["distance_ratio"] + 1e-5),
                     measured, res["distance_ratio"]))
    tau, _ = wc_gradient_descent(L=Lc, gamma=1.0 / Lc, n=tt, verbose=-1)
    out.append(Check("PEPit worst case of (f(x_t) - f*)/||x_0 - x*||^2 (eta = 1/L) equals the "
                     "tight value and is below the classical bound",
                     bool(abs(tau - res["convex_tight"]) <= 1e-3 * res["convex_tight"] + 1e-7
                          and tau <= res["convex_classical"]), float(tau), res["convex_tight"],
                     f"classical {res['convex_classical']:.6g}"))
    return out


DERIVATION = Derivation(
    name="smooth-convex-gd",
    title="Gradient descent on smooth (strongly) convex functions: contraction and O(1/t)",
    doc=__doc__, params=PARAMS, build=build, cross_checks=cross_checks, checks=CHECKS,
    assumptions=("f is L-smooth and convex; mu-strongly convex for the contraction",
                 "0 <= mu <= L (mu = 0: convex only, rho = 1), 0 < eta < 2/L; the convex "
                 "bounds use eta = 1/L"))
