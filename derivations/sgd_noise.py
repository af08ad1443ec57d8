r"""SGD with a constant step on a noisy quadratic: the variance floor, and why the step must decay.

Problem.  SGD with constant step :math:`\eta` on :math:`f(x) = \lambda x^2 / 2` with the noisy
gradient :math:`\lambda x + \xi`, :math:`\xi \sim N(0, \sigma^2)` independent across steps (or the
mean of :math:`B` such gradients, a minibatch).  Does :math:`x_t` reach the minimum 0?  How large
is its spread once the transient has died out, and how does the batch size change it?

Results.

.. math::

    \begin{align*}
    x_{t+1} &= (1 - \eta\lambda) x_t - \eta \xi_t, \qquad
        V_{t+1} = (1 - \eta\lambda)^2 V_t + \eta^2 \frac{\sigma^2}{B} \\
    V_t &= V_\star \bigl(1 - (1 - \eta\lambda)^{2t}\bigr) \quad (V_0 = 0) \\
    V_\star &= \frac{\eta \sigma^2}{B \lambda (2 - \eta\lambda)}
        \approx \frac{\eta \sigma^2}{2 B \lambda} \quad (0 < \eta\lambda < 2)
    \end{align*}

so :math:`E[x_t^2] \to V_\star > 0` for every constant step: the step must decay to reach the
minimum (Robbins & Monro, 1951), and a batch of :math:`B` divides the floor by :math:`B`.

Reference: Bottou, Curtis & Nocedal, *Optimization methods for large-scale machine learning*,
SIAM Review 60 (2018), Theorem 4.6 (a constant step converges to a neighbourhood of size
proportional to the step and to the noise variance) and 4.3 (minibatches divide the variance);
Mandt, Hoffman & Blei, JMLR 18 (2017), section 3 (the stationary variance of SGD on a quadratic).
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from optsym.derivation import Check, Derivation, Param, Sheet

eta = sp.Symbol("eta", positive=True)
lam = sp.Symbol("lambda", positive=True)
sigma = sp.Symbol("sigma", positive=True)
B = sp.Symbol("B", integer=True, positive=True)
t = sp.Symbol("t", integer=True, positive=True)
u = sp.Symbol("u", real=True)
X, Xi = sp.symbols("x_t xi_t", real=True)
V = sp.Function("V")
x = sp.Function("x")

#: the largest batch and horizon the Monte Carlo cross-checks simulate
MAX_B = 1000
MAX_T = 2000

PARAMS = (
    Param("lr", 0.1, "constant step eta", symbol=eta, valid=lambda v: v > 0,
          error="{name} must be > 0, got {value}"),
    Param("lam", 1.0, "curvature lambda of f = lambda x^2/2", symbol=lam, valid=lambda v: v > 0,
          error="{name} must be > 0 (a minimum needs positive curvature), got {value}"),
    Param("sigma", 1.0, "standard deviation of the gradient noise", symbol=sigma,
          valid=lambda v: v > 0, error="{name} must be > 0, got {value}"),
    # the Monte Carlo cross-checks draw B * chains normals per step for t steps: capped
    Param("B", 1, "batch size (the gradient is the mean of B noisy gradients)", "int", B,
          valid=lambda v: 1 <= v <= MAX_B,
          error="{name} must be an integer >= 1 and <= %d "
                "(the cross-checks run it step by step), got {value}" % MAX_B),
    Param("t", 10, "steps for the transient variance V_t", "int", t,
          valid=lambda v: 1 <= v <= MAX_T,
          error="{name} must be an integer >= 1 and <= %d "
                "(the cross-checks run it step by step), got {value}" % MAX_T),
    Param("seed", 0, "seed of the Monte Carlo cross-checks", "int", valid=lambda v: v >= 0,
          error="{name} must be an integer >= 0, got {value}"),
)

CHECKS = ((lambda c: c["lr"] * c["lam"] >= 2,
           "--lr ({lr}) must be < 2/lam = 2/{lam}: with lr*lam >= 2 the variance of SGD "
           "grows without bound"),)


def _moment(poly: sp.Expr, moments: dict) -> sp.Expr:
    """E[poly(x_t, xi_t)] for independent x_t, xi_t given their moments E[x^i], E[xi^j]."""
    p = sp.Poly(sp.expand(poly), X, Xi)
    return sum(c * moments[(X, i)] * moments[(Xi, j)] for (i, j), c in p.terms())


def build() -> Sheet:
    d = Sheet()
    a = 1 - eta * lam
    update = sp.expand(X - eta * (lam * X + Xi))
    d.step("SGD with the noisy gradient lambda x_t + xi_t:", sp.Eq(x(t + 1), sp.collect(update, X)),
           "x_{t+1} = x_t - eta (lambda x_t + xi_t)")
    mean = sp.rsolve(sp.Function("m")(t + 1) - a * sp.Function("m")(t), sp.Function("m")(t),
                     {sp.Function("m")(0): sp.Symbol("x_0")})
    d.step("Taking expectations (E xi_t = 0) the mean decays to the minimum:",
           sp.Eq(sp.Function("E")(x(t)), mean), "sympy.rsolve")
    s2 = sp.Symbol("s^2", positive=True)  # the variance of the noise entering one step
    zero_mean = {(X, 0): 1, (X, 1): 0, (X, 2): V(t), (Xi, 0): 1, (Xi, 1): 0, (Xi, 2): s2}
    recursion = sp.collect(sp.expand(_moment(update**2, zero_mean)), V(t))
    d.step("Squaring and taking expectations from x_0 = 0 (mean 0), with xi_t independent of "
           "x_t and Var xi_t = s^2:", sp.Eq(V(t + 1), recursion),
           "the cross term E[x_t xi_t] = E[x_t] E[xi_t] = 0 vanishes by independence")
    draws = sp.symbols("xi_1:4", real=True)
    pair_moments = {(d_, 2): s2 for d_ in draws} | {(d_, 1): 0 for d_ in draws}
    mean_of_3 = sp.Poly(sp.expand((sum(draws) / 3) ** 2), *draws)
    var3 = 0
    for powers, c in mean_of_3.terms():
        term = c
        for d_, p in zip(draws, powers, strict=True):
            term *= pair_moments.get((d_, p), 1)
        var3 += term
    assert sp.simplify(var3 - s2 / 3) == 0
    d.step("A minibatch gradient is the mean of B independent noisy gradients; its noise "
           "variance is (sum of B variances)/B^2:",
           sp.Eq(s2, sp.Mul(B, sigma**2, sp.Pow(B**2, -1, evaluate=False),
                                           evaluate=False)),
           "independent terms have no cross moments (SymPy expands E[(mean of 3)^2] = s^2/3 "
           "as a check of the pattern)")
    d.result("minibatch_noise_variance", "variance of the mean of B noisy gradients",
             sigma**2 / B)
    recursion = recursion.subs(s2, sigma**2 / B)
    y = sp.Function("y")
    solved = sp.rsolve(y(t + 1) - recursion.subs(V(t), y(t)), y(t), {y(0): 0})
    vs = sp.Symbol("V_*")
    fixed = sp.solve(sp.Eq(vs, recursion.subs(V(t), vs)), vs)[0]
    shown = eta * sigma**2 / (B * lam * (2 - eta * lam))
    assert sp.simplify(fixed - shown) == 0
    fixed = shown
    d.step("The fixed point of the recursion:", sp.Eq(vs, fixed),
           "sympy.solve of V = (1 - eta lambda)^2 V + eta^2 sigma^2/B")
    transient = fixed * (1 - (1 - eta * lam) ** (2 * t))
    a_ = sp.Symbol("a", real=True)
    assert sp.simplify((solved - transient).subs(eta, (1 - a_) / lam)) == 0
    d.step("With V_0 = 0 the recursion solves to", sp.Eq(V(t), transient),
           "sympy.rsolve; its answer has (eta lambda - 1)^t where this has (1 - eta lambda)^(2t): "
           "SymPy shows they agree only after the substitution eta = (1 - a)/lambda")
    d.result("variance_t", "variance V_t after t steps from x_0 = 0", transient)
    stable = sp.solve_univariate_inequality(sp.Abs(1 - u) < 1, u, relational=False)
    d.step("It attracts V_t iff (1 - eta lambda)^2 < 1, i.e. eta lambda = u with u in",
           stable, "sympy.solve_univariate_inequality on |1 - u| < 1 (u = eta lambda: SymPy "
           "cannot solve for eta with a symbolic lambda)")
    assert stable == sp.Interval.open(0, 2)
    d.result("max_stable_lr", "largest step with a bounded variance, 2/lambda", 2 / lam)
    d.result("stationary_variance", "stationary variance V* = lim E[x_t^2] (B = 1: eta sigma^2 "
             "/ (lambda (2 - eta lambda)))", fixed)
    small = sp.series(fixed, eta, 0, 2).removeO()
    d.step("For a small step it is proportional to the step: the iterate never settles at the "
           "minimum unless the step decays", sp.Eq(vs, small + sp.O(eta**2)), "sympy.series")
    d.step("Dividing the step by k divides the floor by about k; multiplying the batch by k "
           "divides it by exactly k:",
           sp.Eq(sp.Symbol("V_*(B)") / sp.Symbol("V_*(k B)"),
                 sp.simplify(fixed / fixed.subs(B, sp.Symbol("k", positive=True) * B))),
           "B enters V* only as the factor 1/B")
    return d


def _sgd(lr: float):
    """optsym's generated SGD code (momentum 0, numpy target)."""
    from optsym import rules
    from optsym.codegen.module import generate, load

    rule = rules.get("sgd")
    return load(generate(rule, rule.config({"lr": lr, "momentum": 0.0}), "numpy"), "sgd_noise")


def _simulate(ns, lr, lam_, sigma_, batch, chains, steps, record, rng):
    """Independent chains from x_0 = 0 (one array parameter of shape (chains,)): E[x^2] at the
    steps in ``record``, and the final array."""
    params = [np.zeros(chains)]
    state = ns["init_state"](params)
    seen = {}
    for s in range(1, steps + 1):
        noise = rng.normal(0.0, sigma_, size=(batch, chains)).mean(axis=0)
        ns["step"](params, [lam_ * params[0] + noise], state, lr=lr)
        if s in record:
            seen[s] = params[0].copy()
    return seen


def _compare(desc, sample, expected, bias, unit="chains"):
    """Mean of x^2 over n independent Gaussian chains: standard error expected*sqrt(2/n)."""
    n = sample.size
    observed = float(np.mean(sample**2))
    se = expected * math.sqrt(2.0 / n)
    ok = abs(observed - expected) <= 4 * se + bias
    return Check(desc, bool(ok), observed, expected,
                 f"n = {n} {unit}, |observed - expected| = {abs(observed - expected):.3g} "
                 f"<= 4 SE + bias = {4 * se + bias:.3g}")


def cross_checks(cfg) -> list[Check]:
    """Monte Carlo with optsym's generated SGD code: many independent chains at once."""
    lr, lam_, sig, batch, tt = cfg["lr"], cfg["lam"], cfg["sigma"], cfg["B"], cfg["t"]
    rng = np.random.default_rng(cfg["seed"])
    ns = _sgd(lr)
    a2 = (1 - lr * lam_) ** 2
    out = []
    # burn-in: the deterministic transient factor a^(2T) is below 1e-3, counted as a bias
    burn = 1 if a2 == 0 else max(1, math.ceil(math.log(1e-3) / math.log(a2)))
    for b in dict.fromkeys((batch, 8)):
        res = DERIVATION.instantiate({**cfg, "B": b})
        chains = int(min(40000, max(2000, 1.2e7 / (b * max(burn, tt)))))
        seen = _simulate(ns, lr, lam_, sig, b, chains, max(burn, tt), {tt, max(burn, tt)}, rng)
        vstar = res["stationary_variance"]
        out.append(_compare(f"B = {b}: E[x_T^2] of generated SGD after T = {max(burn, tt)} steps "
                            "(independent chains) matches V*", seen[max(burn, tt)], vstar,
                            vstar * a2 ** max(burn, tt)))
        if b == batch:
            out.append(_compare(f"B = {b}: E[x_t^2] at t = {tt} from x_0 = 0 matches V_t",
                                seen[tt], res["variance_t"], 0.0))
    # the minibatch mean's variance, sampled directly
    res = DERIVATION.instantiate(cfg)
    for b in dict.fromkeys((batch, 8)):
        means = rng.normal(0.0, sig, size=(b, 100000)).mean(axis=0)
        expected = DERIVATION.instantiate({**cfg, "B": b})["minibatch_noise_variance"]
        out.append(_compare(f"the mean of B = {b} draws of N(0, sigma^2) has variance "
                            "sigma^2/B", means, expected, 0.0, "samples"))
    # beyond 2/lambda the variance explodes; just below it stays at V*
    edge = res["max_stable_lr"]
    below, above = 0.98 * edge, 1.02 * edge
    seen = _simulate(ns, below, lam_, sig, 1, 4000, 400, {400}, rng)
    vb = float(np.mean(seen[400] ** 2))
    vstar_b = DERIVATION.instantiate({**cfg, "lr": below, "B": 1})["stationary_variance"]
    seen = _simulate(ns, above, lam_, sig, 1, 4000, 400, {400}, rng)
    va = float(np.mean(seen[400] ** 2))
    out.append(Check("generated SGD at 0.98 * 2/lambda stays near its V*, at 1.02 * 2/lambda "
                     "E[x^2] grows past 1e3 * V*(0.98 * 2/lambda)",
                     bool(abs(vb - vstar_b) <= 4 * vstar_b * math.sqrt(2 / 4000)
                          + vstar_b * 0.9216**400 and va > 1e3 * vstar_b), [vb, va], vstar_b))
    return out


DERIVATION = Derivation(
    name="sgd-noise", title="SGD with a constant step on a noisy quadratic: the variance floor",
    doc=__doc__, params=PARAMS, build=build, cross_checks=cross_checks, checks=CHECKS,
    assumptions=("f = lambda x^2/2 with lambda > 0",
                 "gradient noise iid N(0, sigma^2), independent of the iterate",
                 "0 < lr * lam < 2"))
