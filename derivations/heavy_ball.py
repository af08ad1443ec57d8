r"""Heavy-ball momentum on a quadratic: stability region, optimal parameters, optimal rate.

Problem.  Polyak's heavy ball :math:`x_{t+1} = x_t - \eta \nabla f(x_t) + \beta (x_t - x_{t-1})`
on :math:`f(x) = \tfrac12 x^\top A x - b^\top x` with the eigenvalues :math:`\lambda` of
:math:`A` in :math:`[\mu, L]`, :math:`0 < \mu < L`, :math:`\kappa = L/\mu`.  Which
:math:`(\eta, \beta)` are stable, which are best, and how fast is the best?  torch's SGD with
momentum (:math:`v_t = \beta v_{t-1} + g_t`, :math:`\theta_t = \theta_{t-1} - \eta v_t`) is the
same method (:math:`v_t = (x_{t-1} - x_t)/\eta`).

Results.

.. math::

    \begin{align*}
    z^2 + a_1 z + a_0 \text{ is Schur stable} &\iff |a_0| < 1,\ |a_1| < 1 + a_0
        \quad (\text{Jury, degree 2}) \\
    \text{stable for all } \lambda \in [\mu, L] &\iff -1 < \beta < 1,\
        0 < \eta < \frac{2 (1 + \beta)}{L} \\
    \rho(\eta, \beta) &= \max_{\lambda \in \{\mu, L\}} \max\Bigl(\sqrt{\beta},
        \tfrac12 \bigl(|a_\lambda| + \sqrt{\max(a_\lambda^2 - 4 \beta, 0)}\bigr)\Bigr),
        \quad a_\lambda = 1 + \beta - \eta \lambda \\
    \eta^* &= \frac{4}{(\sqrt{L} + \sqrt{\mu})^2}, \qquad
    \beta^* = \Bigl(\frac{\sqrt{\kappa} - 1}{\sqrt{\kappa} + 1}\Bigr)^2, \qquad
    \rho^* = \sqrt{\beta^*} = \frac{\sqrt{\kappa} - 1}{\sqrt{\kappa} + 1}
    \end{align*}

At :math:`L = 1, \mu = 0.01`: :math:`\eta^* = 4/1.21`, :math:`\beta^* = (9/11)^2`,
:math:`\rho^* = 9/11 \approx 0.818` (gradient descent's best is :math:`99/101 \approx 0.980`).
At the optimum the iteration matrix has a double eigenvalue at :math:`\lambda = \mu` and
:math:`\lambda = L` (it is not diagonalizable), so the error decays like :math:`t \rho^{*t}`.

Reference: B. T. Polyak, "Some methods of speeding up the convergence of iteration methods",
USSR Comput. Math. Math. Phys. 4(5) (1964); L. Lessard, B. Recht & A. Packard, "Analysis and
design of optimization algorithms via integral quadratic constraints", SIAM J. Optim. 26(1)
(2016), section 2; E. I. Jury, *Theory and Application of the z-Transform Method* (1964).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import sympy as sp

from optsym.derivation import Check, Derivation, Param, Sheet
from optsym.derivations._quadratic import eigenvalues

L = sp.Symbol("L", positive=True)
mu = sp.Symbol("mu", positive=True)
# real, not positive: the stability conditions are derived for any real eta and beta
eta = sp.Symbol("eta", real=True)
beta = sp.Symbol("beta", real=True)
lam = sp.Symbol("lambda", positive=True)
z = sp.Symbol("z")
x = sp.Function("x")
t = sp.Symbol("t", integer=True)
a0, a1 = sp.symbols("a_0 a_1", real=True)
r1, r2 = sp.symbols("r_1 r_2")

PARAMS = (
    Param("L", 1.0, "largest Hessian eigenvalue L (smoothness)", symbol=L,
          valid=lambda v: v > 0, error="{name} must be > 0, got {value}"),
    Param("mu", 0.01, "smallest Hessian eigenvalue mu (strong convexity)", symbol=mu,
          valid=lambda v: v > 0, error="{name} must be > 0 (strongly convex quadratic), "
                                       "got {value}"),
    Param("eta", 1.0, "step size eta of the stability query (rate_at)", symbol=eta,
          valid=lambda v: v > 0, error="{name} must be > 0, got {value}"),
    Param("beta", 0.5, "momentum beta of the stability query (eta_max, rate_at)",
          symbol=beta, valid=lambda v: 0 <= v < 1,
          error="{name} must be in [0, 1), got {value}"),
)


def jury_quadratic(c1, c0) -> sp.Boolean:
    r"""Jury's (Schur-Cohn's) test for the real quadratic :math:`z^2 + c_1 z + c_0`: True (a
    SymPy boolean, or the conditions as an ``And``) iff both roots lie strictly inside the unit
    circle, i.e. :math:`p(1) > 0`, :math:`p(-1) > 0`, :math:`|c_0| < 1`
    (:math:`\iff |c_0| < 1,\ |c_1| < 1 + c_0`).  SymPy 1.14 has no such test."""
    return sp.And(c0 < 1, c0 > -1, 1 + c1 + c0 > 0, 1 - c1 + c0 > 0)


def _largest_root_modulus(abs_a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """max |z| over the roots of z^2 - a z + b (real a with |a| = ``abs_a``, b >= 0): sqrt(b)
    when they are complex, the larger real root's modulus otherwise; the Max covers both."""
    return sp.Max(sp.sqrt(b), (abs_a + sp.sqrt(sp.Max(abs_a**2 - 4 * b, 0))) / 2)


def build() -> Sheet:
    d = Sheet()
    d.step("Heavy ball on f(x) = 1/2 x^T A x - b^T x; along an eigenvector of A with eigenvalue "
           "lambda (and the minimizer moved to 0) the coordinate obeys",
           sp.Eq(x(t + 1), x(t) - eta * lam * x(t) + beta * (x(t) - x(t - 1))),
           "grad f(x) = A (x - x*); in the eigenbasis of A the coordinates decouple")
    # torch's form: v_t = beta v_{t-1} + g_t, theta_t = theta_{t-1} - lr v_t
    lr, g = sp.symbols("lr g_t", real=True)
    xt, xt1, xt2 = sp.symbols("x_t x_{t-1} x_{t-2}", real=True)
    torch_x = sp.solve(sp.Eq((xt1 - xt) / lr, beta * (xt2 - xt1) / lr + g), xt)[0]
    d.step("torch's SGD momentum v_t = beta v_{t-1} + g_t, theta_t = theta_{t-1} - lr v_t: "
           "solving the second for v_t = (x_{t-1} - x_t)/lr and substituting into the first",
           sp.Eq(xt, sp.collect(sp.expand(torch_x), [lr, beta])),
           "this is Polyak's update with eta = lr and beta = momentum, g_t the gradient at "
           "x_{t-1}; torch's first step sets the buffer to g_1, i.e. v_0 = 0, x_{-1} = x_0")
    M = sp.Matrix([[1 + beta - eta * lam, -beta], [1, 0]])
    p = M.charpoly(z).as_expr()
    d.step("In the state (x_t, x_{t-1}) the iteration matrix and its characteristic polynomial:",
           sp.Eq(sp.Symbol("p(z)"), p), f"det(z I - M), M = {sp.sstr(M.tolist())}")
    # Jury's test for degree 2
    d.step("Jury test for a real p(z) = z^2 + a_1 z + a_0 with roots r_1, r_2 "
           "(a_1 = -(r_1 + r_2), a_0 = r_1 r_2): p(1) and p(-1) factor as",
           sp.And(sp.Eq(sp.expand((1 - r1) * (1 - r2)), sp.Symbol("p(1)")),
                  sp.Eq(sp.expand((1 + r1) * (1 + r2)), sp.Symbol("p(-1)"))),
           "Vieta: 1 - r_1 - r_2 + r_1 r_2 = 1 + a_1 + a_0 and 1 + r_1 + r_2 + r_1 r_2 = "
           "1 - a_1 + a_0")
    d.step("so both roots lie strictly inside the unit circle iff",
           jury_quadratic(a1, a0),
           "real roots: if both are in (-1, 1) then $p(1) = (1 - r_1)(1 - r_2) > 0$, "
           "$p(-1) = (1 + r_1)(1 + r_2) > 0$ and $|a_0| = |r_1 r_2| < 1$; conversely these give "
           "$|a_1| < 1 + a_0 < 2$, so the vertex $-a_1/2$ lies in (-1, 1), and p positive at both "
           "ends puts both roots between -1 and 1. Complex roots: "
           "$|r_1|^2 = r_1 \\bar r_1 = a_0$, so they are inside iff $a_0 < 1$, and "
           "$p(\\pm 1) > 0$ holds since a monic p without real roots is positive on the real "
           "line. Together: $|a_0| < 1$ and $|a_1| < 1 + a_0$ (SymPy 1.14 has no Schur/Jury "
           "test; this is jury_quadratic)")
    coeffs = sp.Poly(p, z).all_coeffs()
    region = jury_quadratic(coeffs[1], coeffs[2])
    d.step("Applied to p(z), with a_1 = -(1 + beta - eta lambda) and a_0 = beta:", region,
           "jury_quadratic on the coefficients of the characteristic polynomial")
    eta_bound = sp.solve(sp.Eq(1 - coeffs[1] + coeffs[2], 0), eta)[0]
    d.step("that is $-1 < \\beta < 1$ and $0 < \\eta \\lambda < 2 (1 + \\beta)$; for every "
           "lambda in [mu, L] (the conditions are intervals in lambda, the worst case is "
           "lambda = L):", sp.Lt(eta, eta_bound.subs(lam, L)),
           "solving p(-1) = 0 for eta; torch also requires momentum $\\ge 0$, so "
           "$0 \\le \\beta < 1$")
    d.result("eta_max", "largest stable step size 2 (1 + beta)/L at momentum beta",
             eta_bound.subs(lam, L))
    # spectral radius at (eta, beta)
    a = sp.Symbol("a_lambda", real=True)
    roots = sp.solve(z**2 - a * z + beta, z)
    d.step("With a_lambda = 1 + beta - eta lambda the roots of p are", sp.Eq(z, roots[0]),
           f"and {sp.sstr(roots[1])}; sympy.solve")
    rho_lam = _largest_root_modulus(sp.Abs(a), beta)
    d.step("Their largest modulus is sqrt(beta) when $a_\\lambda^2 < 4 \\beta$ (a complex pair: "
           "$|z|^2 = z \\bar z = \\beta$) and the larger real root's modulus otherwise:",
           sp.Eq(sp.Symbol("rho_lambda"), rho_lam),
           "for $\\beta \\ge 0$: $(|a| + \\sqrt{a^2 - 4 \\beta})/2 \\ge |a|/2 \\ge \\sqrt\\beta$ "
           "exactly when the roots are real, so the Max selects the right case")
    a_mu, a_L = (1 + beta - eta * mu), (1 + beta - eta * L)
    a_worst = sp.Max(sp.Abs(a_mu), sp.Abs(a_L))
    rate_at = _largest_root_modulus(a_worst, beta)
    d.step("rho_lambda grows with $|a_\\lambda|$, and a_lambda is linear in lambda, so the "
           "worst lambda in [mu, L] is an endpoint: rho is rho_lambda at "
           "$|a| = \\max(|a_\\mu|, |a_L|)$", sp.Eq(sp.Symbol("rho"), rate_at),
           "the maximum of $|a|$ over an interval of a is at an end")
    d.result("rate_at", "spectral radius (worst linear rate) at (eta, beta)", rate_at)
    # the optimal parameters
    s = sp.Symbol("s", positive=True)
    d.step("$\\rho \\ge \\sqrt\\beta$ for every lambda, with equality for all lambda in [mu, L] "
           "iff the discriminant is $\\le 0$ at both ends. The fastest tuning makes it vanish at "
           "both:", sp.And(sp.Eq(a_mu**2, 4 * beta), sp.Eq(a_L**2, 4 * beta)),
           "$a_\\lambda^2 = 4 \\beta$: a double root")
    eqs = [sp.Eq(1 + s**2 - eta * mu, 2 * s), sp.Eq(1 + s**2 - eta * L, -2 * s)]
    d.step("With $s = \\sqrt\\beta > 0$ and $a_\\mu > a_L$ (as $\\eta \\mu < \\eta L$) the two "
           "equations are polynomial:", sp.And(*eqs),
           "SymPy needs this substitution: solving $(1 + \\beta - \\eta \\lambda)^2 = 4 \\beta$ "
           "for beta directly drags in sqrt(beta) branches; $a_\\mu = a_L$ would force mu = L "
           "and $a_\\mu = -2 s$, $a_L = 2 s$ would force $\\eta (L - \\mu) < 0$")
    # SymPy's solution is a radical mess in L and mu; with L = l^2, mu = m^2, l = m + e it
    # factors and the root with 0 < s < 1 can be picked by sign
    m, e = sp.symbols("m e", positive=True)
    sols = sp.solve([q.subs({L: (m + e)**2, mu: m**2}) for q in eqs], [eta, s], dict=True)
    sols = [{k: sp.factor(v) for k, v in sol.items()} for sol in sols]
    chosen = [sol for sol in sols if sp.simplify(1 - sol[s]).is_positive]
    assert len(chosen) == 1, sols
    back = {e: sp.sqrt(L) - sp.sqrt(mu), m: sp.sqrt(mu)}
    s_star = sp.factor(chosen[0][s].subs(back))
    eta_star = sp.factor(chosen[0][eta].subs(back))
    d.step("Solving, with L = l^2, mu = m^2, l = m + e ($e > 0$): the solution with "
           "$0 < s < 1$", sp.And(sp.Eq(eta, eta_star), sp.Eq(s, s_star)),
           "sympy.solve; SymPy cannot assume $\\mu < L$, so $L = (m + e)^2$ with m, e positive "
           "lets it factor the radicals and decide signs; the other solution has $s > 1$ "
           "(unstable)")
    rho_var, kap, k = sp.symbols("rho kappa k", positive=True)
    feasible = (kap - 1) * rho_var**2 - 2 * (kap + 1) * rho_var + (kap - 1)
    # kappa = k^2 so that the roots come out factored; the smaller one (checked at k = 10)
    rho_min = min((sp.factor(r) for r in sp.solve(feasible.subs(kap, k**2), rho_var)),
                  key=lambda r: r.subs(k, 10))
    d.step("No (eta, beta) does better: a rate $\\rho \\ge \\sqrt\\beta$ is reachable iff some "
           "eta keeps $|a_\\mu|, |a_L| \\le \\rho + \\beta/\\rho$, i.e. "
           "$(1 + \\beta)(\\kappa - 1) \\rho \\le (\\rho^2 + \\beta)(\\kappa + 1)$, easiest at "
           "$\\beta = \\rho^2$, where it reads", sp.Le(feasible, 0),
           "the larger root modulus rho solves $\\rho^2 - |a| \\rho + \\beta = 0$, i.e. "
           "$|a| = \\rho + \\beta/\\rho$; the difference of the two sides is linear in beta with "
           "a negative slope, so the largest allowed beta is easiest; the smallest root is "
           f"{sp.sstr(rho_min)} with k = sqrt(kappa): the same rate, attained exactly when "
           "both discriminants vanish")
    kappa = L / mu
    d.result("kappa", "condition number kappa = L/mu", kappa)
    d.result("eta_opt", "optimal step size 4/(sqrt(L) + sqrt(mu))^2", eta_star)
    d.result("beta_opt", "optimal momentum ((sqrt(kappa) - 1)/(sqrt(kappa) + 1))^2", s_star**2)
    d.result("rate_opt", "optimal rate sqrt(beta*) = (sqrt(kappa) - 1)/(sqrt(kappa) + 1)",
             s_star)
    return d


# ---- numerics (another way: eigenvalues of torch's state matrix, search, simulation) ----------

@functools.lru_cache(maxsize=2)
def momentum_matrix(nesterov: bool = False) -> Callable[..., np.ndarray]:
    r"""torch's SGD-momentum step (t >= 2) on :math:`f = \lambda\theta^2/2` as a 2x2 matrix in the
    state :math:`(\theta, b)`: the Jacobian of the **SGD rule's own textbook equations**
    (:mod:`optsym.rules.sgd`, composed with :func:`optsym.proof.compose`, the gradient
    :math:`\lambda\theta` put in), not of the characteristic polynomial derived above.
    Returns ``matrix(eta, beta, lam)``, broadcast over arrays: shape (..., 2, 2)."""
    from optsym.proof import compose
    from optsym.rules import sgd
    from optsym.spec import g, t, theta

    lam_s = sp.Symbol("lam")
    cfg = sgd.RULE.config({"momentum": 0.5, "nesterov": nesterov})
    out = compose(sgd.RULE.textbook(cfg))
    state = (theta, sgd.buf)
    step = [out[s].xreplace({g: lam_s * theta, t: 2, sgd.tau: 0}) for s in state]
    jac = sp.Matrix(step).jacobian(sp.Matrix(state))
    entries = sp.lambdify((sgd.lr, sgd.mu, lam_s), list(jac), "numpy")

    def matrix(eta_v, beta_v, lam_v) -> np.ndarray:
        args = np.broadcast_arrays(*(np.asarray(v, float) for v in (eta_v, beta_v, lam_v)))
        cells = np.broadcast_arrays(*entries(*args), args[0])[:-1]
        return np.stack(cells, axis=-1).reshape(args[0].shape + (2, 2))

    return matrix


def spectral_radius(eta_v, beta_v, lams, nesterov: bool = False) -> np.ndarray:
    """max over ``lams`` of max |eigenvalue| of torch's momentum (or Nesterov) matrix
    (numpy.linalg.eigvals)."""
    lams = np.asarray(lams, float)
    eta_v, beta_v = np.broadcast_arrays(np.asarray(eta_v, float), np.asarray(beta_v, float))
    mats = momentum_matrix(nesterov)(eta_v[..., None], beta_v[..., None], lams)
    return np.abs(np.linalg.eigvals(mats)).max(axis=(-1, -2))


def golden_min(objective, lo, hi, iterations: int = 80):
    """Golden-section minimization of a unimodal ``objective`` on [lo, hi], vectorized over
    arrays ``lo``, ``hi`` (``objective`` maps an array of points to an array of values)."""
    ratio = (np.sqrt(5.0) - 1) / 2
    lo, hi = np.array(lo, float), np.array(hi, float)
    for _ in range(iterations):
        c, d = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        left = objective(c) <= objective(d)
        lo, hi = np.where(left, lo, c), np.where(left, d, hi)
    x = (lo + hi) / 2
    return x, objective(x)


def search_optimum(muv: float, Lv: float, n: int = 41, rounds: int = 8):
    """Minimize max over lambda in {mu, L} of the spectral radius over (eta, beta) directly:
    for each beta on a grid the best eta by golden section (the radius is quasi-convex in eta:
    a maximum of two functions of |1 + beta - eta lambda|), then the grid of beta is refined
    around the best one.  Returns (eta, beta, radius)."""
    b0, b1 = -0.5, 1.0
    for _ in range(rounds):
        betas = np.linspace(b0, b1, n)
        etas, radii = golden_min(lambda e: spectral_radius(e, betas, [muv, Lv]),
                                 np.zeros(n), np.full(n, 4.0 / Lv))
        i = int(np.argmin(radii))
        h = (b1 - b0) / (n - 1)
        b0, b1 = max(-0.5, betas[i] - 2 * h), min(1.0, betas[i] + 2 * h)
    return float(etas[i]), float(betas[i]), float(radii[i])


def observed_rate(errors: np.ndarray, polynomial_degree: int = 1) -> tuple[float, float]:
    """The per-step contraction of ``errors[t]`` (t = 0, 1, ...) from a least-squares fit of
    log(errors[t] / t^k) over the second half of the run (k = ``polynomial_degree``: a double
    eigenvalue gives errors ~ t rho^t).  Returns (corrected, uncorrected) estimates.  Errors
    that fell below 1e-250 (a run longer than the true rate needs) are left out."""
    T = int(np.nonzero(errors > 1e-250)[0].max())
    ts = np.arange(T // 2, T + 1, dtype=float)
    logs = np.log(errors[T // 2:T + 1])
    corrected = np.polyfit(ts, logs - polynomial_degree * np.log(ts), 1)[0]
    naive = np.polyfit(ts, logs, 1)[0]
    return float(np.exp(corrected)), float(np.exp(naive))


def run_generated_sgd(lams: np.ndarray, steps: int, **hypers) -> np.ndarray:
    """Run optsym's generated numpy SGD code on f = 1/2 sum lams_i x_i^2 from x = 1; returns the
    error norms ||x_t|| for t = 0..steps."""
    from optsym import rules
    from optsym.codegen.module import generate, load

    rule = rules.get("sgd")
    ns = load(generate(rule, rule.config(hypers), "numpy"), "heavy_ball_check")
    params = [np.ones(len(lams))]
    state = ns["init_state"](params)
    errors = [float(np.linalg.norm(params[0]))]
    for _ in range(steps):
        ns["step"](params, [lams * params[0]], state)
        errors.append(float(np.linalg.norm(params[0])))
    return np.array(errors)


def simulation_steps(rate: float, cap: int = 100000) -> int:
    """Enough steps for the error to fall by about e^-250 (far above underflow), capped: the
    fit needs (1 - rate) t >> 1 for the t in t rate^t to dominate the constant, so at
    kappa = 10^6 (1 - rate ~ 10^-3) the cap is what limits the accuracy."""
    return int(min(cap, max(8, np.ceil(250 / -np.log(rate)))))


def cross_checks(cfg) -> list[Check]:
    """Jury vs numpy roots; the stability region and rho(eta, beta) vs eigenvalues; the optimum
    vs a grid search; the optimal rate vs a simulation of optsym's generated SGD code."""
    Lv, muv, eta_q, beta_q = cfg["L"], cfg["mu"], cfg["eta"], cfg["beta"]
    res = DERIVATION.instantiate(cfg)
    out = []
    # 1. the Jury test against numpy.roots on random real quadratics
    rng = np.random.default_rng(0)
    cs = np.column_stack([rng.uniform(-3, 3, 2000), rng.uniform(-1.5, 1.5, 2000)])
    radius = np.array([np.abs(np.roots([1.0, c1, c0])).max() for c1, c0 in cs])
    jury = sp.lambdify((a1, a0), jury_quadratic(a1, a0), "numpy")(cs[:, 0], cs[:, 1])
    clear = np.abs(radius - 1) > 1e-9
    bad = int(np.sum((radius[clear] < 1) != jury[clear]))
    out.append(Check("Jury's degree-2 test agrees with numpy.roots on 2000 random quadratics",
                     bad == 0, bad, 0, f"{bad} disagreements ({int(clear.sum())} compared)"))
    # 2. stability region on an (eta, beta) grid: Jury's conditions and eta < eta_max(beta)
    etas = np.linspace(0.0, 5.0 / Lv, 121)[1:]
    betas = np.linspace(-1.3, 1.3, 105)
    E, B = np.meshgrid(etas, betas, indexing="ij")
    lams = np.linspace(muv, Lv, 9)
    rho = spectral_radius(E, B, lams)
    far = np.abs(rho - 1) > 1e-3
    p = sp.Poly(sp.Matrix([[1 + beta - eta * lam, -beta], [1, 0]]).charpoly(z).as_expr(), z)
    jury_f = sp.lambdify((eta, beta, lam), jury_quadratic(*p.all_coeffs()[1:]), "numpy")
    jury_ok = jury_f(E, B, muv) & jury_f(E, B, Lv)
    eta_max_f = sp.lambdify((beta, L), DERIVATION.result("eta_max").expr, "numpy")
    region = (np.abs(B) < 1) & (E < eta_max_f(B, Lv))
    bad_j = int(np.sum((rho < 1)[far] != jury_ok[far]))
    bad_r = int(np.sum((rho < 1)[far] != region[far]))
    out.append(Check("stable (eta, beta) grid from eigenvalues over lambda in [mu, L] = Jury's "
                     "conditions at lambda = mu, L", bad_j == 0, bad_j, 0,
                     f"{bad_j} of {int(far.sum())} grid points away from the boundary differ"))
    out.append(Check("stable grid = {-1 < beta < 1, 0 < eta < eta_max(beta)}", bad_r == 0, bad_r,
                     0, f"{bad_r} of {int(far.sum())} grid points away from the boundary differ"))
    # 3. eta_max at the query beta by bisection on the eigenvalues
    lo, hi = 0.0, 10.0 / Lv
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if spectral_radius(mid, beta_q, [muv, Lv]) < 1 else (lo, mid)
    out.append(Check("eta_max at beta by bisection on the spectral radius",
                     bool(np.isclose(lo, res["eta_max"], rtol=1e-6)), lo, res["eta_max"],
                     f"bisection {lo:.8g} vs {res['eta_max']:.8g}"))
    # 4. rho(eta, beta) against eigenvalues on a fine lambda grid (endpoint claim included)
    rho_q = float(spectral_radius(eta_q, beta_q, np.linspace(muv, Lv, 4001)))
    out.append(Check("rate_at = max |eigenvalue| over 4001 lambda in [mu, L]",
                     bool(np.isclose(rho_q, res["rate_at"], rtol=1e-6)), rho_q, res["rate_at"],
                     f"eigenvalues {rho_q:.8g} vs formula {res['rate_at']:.8g}"))
    # 5. the optimum by a direct numeric search of max over {mu, L} of the spectral radius
    found = np.array(search_optimum(muv, Lv))
    formula = np.array([res["eta_opt"], res["beta_opt"], res["rate_opt"]])
    out.append(Check("(eta*, beta*, rate*) = minimizer of max over lambda in {mu, L} of the "
                     "spectral radius (direct numeric search)",
                     bool(np.allclose(found, formula, rtol=1e-3, atol=0)), found.tolist(),
                     formula.tolist(), "search " + ", ".join(f"{v:.6g}" for v in found)
                     + " vs formula " + ", ".join(f"{v:.6g}" for v in formula)))
    # 6. simulation of optsym's generated SGD-momentum code at (eta*, beta*).  At the optimum
    # the matrix has double eigenvalues +-rate* at lambda = mu, L (a Jordan block), so
    # ||x_t|| ~ (A + B t) rate*^t: a plain log-slope over [T/2, T] is off by about 1/t (e.g.
    # 0.8191 for 0.8182 at the defaults); fitting log(||x_t||/t) removes the t factor, leaving a
    # bias of order 1/((1 - rate) t)^2
    out.append(simulation_check(
        "generated SGD code (lr = eta*, momentum = beta*) on a diagonal quadratic contracts at "
        "rate* per step", muv, Lv, res["eta_opt"], res["beta_opt"], res["rate_opt"]))
    return out


def simulation_check(description: str, muv: float, Lv: float, lr: float, momentum: float,
                     rate: float, nesterov: bool = False) -> Check:
    """optsym's generated SGD code on a diagonal quadratic (eigenvalues mu..L) contracts at
    ``rate`` per step, fitted as log(||x_t||/t) for the double root's t factor."""
    steps = simulation_steps(rate)
    errors = run_generated_sgd(np.linspace(muv, Lv, 5), steps, lr=lr, momentum=momentum,
                               nesterov=nesterov)
    corrected, naive = observed_rate(errors)
    ok = abs(np.log(corrected) - np.log(rate)) <= 2e-3 * abs(np.log(rate))
    return Check(description, bool(ok), corrected, rate,
                 f"{steps} steps, fit of log(||x_t||/t): {corrected:.6g} vs {rate:.6g} "
                 f"(without the /t for the double root: {naive:.6g})")


DERIVATION = Derivation(
    name="heavy-ball",
    title="Heavy-ball momentum on a quadratic: stability and optimal tuning",
    doc=__doc__, params=PARAMS, build=build, cross_checks=cross_checks,
    quadratic=eigenvalues, answer=("kappa", "eta_opt", "beta_opt", "rate_opt"),
    checks=((lambda c: c["mu"] >= c["L"],
             "--mu ({mu}) must be less than --L ({L}): kappa = L/mu > 1 (at mu = L one "
             "gradient step with eta = 1/L solves the quadratic)"),),
    assumptions=("f(x) = 1/2 x^T A x - b^T x with the eigenvalues of A in [mu, L], "
                 "$0 < \\mu < L$", "kappa = L/mu"))
