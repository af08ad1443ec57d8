r"""Nesterov's accelerated gradient on a quadratic: stability and the rate of the standard tuning.

Problem.  Nesterov's method :math:`x_{t+1} = y_t - \eta \nabla f(y_t)`,
:math:`y_{t+1} = x_{t+1} + \beta (x_{t+1} - x_t)` on :math:`f(x) = \tfrac12 x^\top A x - b^\top x`
with the eigenvalues :math:`\lambda` of :math:`A` in :math:`[\mu, L]`, :math:`0 < \mu < L`,
:math:`\kappa = L/\mu`.  Which :math:`(\eta, \beta)` are stable, and how fast is the standard
strongly convex tuning :math:`\eta = 1/L`, :math:`\beta = (\sqrt\kappa - 1)/(\sqrt\kappa + 1)`?
torch's ``SGD(nesterov=True)`` (:math:`b_t = \beta b_{t-1} + g_t`,
:math:`\theta_t = \theta_{t-1} - \eta (g_t + \beta b_t)`) is the same method with
:math:`\theta = y` and :math:`b_t = (x_{t-1} - x_t)/\eta`.

Results.

.. math::

    \begin{align*}
    p_\lambda(z) &= z^2 - (1 + \beta)(1 - \eta\lambda) z + \beta (1 - \eta\lambda) \\
    \text{stable for all } \lambda \in [\mu, L] \ (0 \le \beta < 1) &\iff
        0 < \eta < \frac{2 (1 + \beta)}{(1 + 2 \beta) L} \\
    \rho\Bigl(\frac1L, \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\Bigr)
        &= \sqrt{\beta \Bigl(1 - \frac{\mu}{L}\Bigr)} = 1 - \frac{1}{\sqrt\kappa}
    \end{align*}

The spectral radius is exactly :math:`1 - 1/\sqrt\kappa`: at :math:`\lambda = \mu` the two roots
coincide (a double root, so the error decays like :math:`t (1 - 1/\sqrt\kappa)^t`), and for
:math:`\lambda \in (\mu, L]` they are complex with the smaller modulus
:math:`\sqrt{\beta (1 - \lambda/L)}`.  At :math:`\kappa = 100`: :math:`0.9` per step, against
:math:`9/11 \approx 0.818` for optimally tuned heavy ball and :math:`99/101` for gradient
descent.  The general strongly convex guarantee :math:`f(x_t) - f^* \le (1 - 1/\sqrt\kappa)^t
\cdot C` is for function values; on a quadratic the distance itself contracts at
:math:`1 - 1/\sqrt\kappa` (function values at its square).

Reference: Y. Nesterov, *Introductory Lectures on Convex Optimization* (2004), section 2.2
(constant step scheme for strongly convex functions); I. Sutskever, J. Martens, G. Dahl &
G. Hinton, "On the importance of initialization and momentum in deep learning", ICML 2013
(the momentum form torch uses); L. Lessard, B. Recht & A. Packard (2016), section 2.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from optsym.derivation import Check, Derivation, Param, Sheet
from optsym.derivations._quadratic import eigenvalues
from optsym.derivations.heavy_ball import jury_quadratic, momentum_matrix, simulation_check
from optsym.derivations.heavy_ball import spectral_radius as heavy_ball_radius

L = sp.Symbol("L", positive=True)
mu = sp.Symbol("mu", positive=True)
eta = sp.Symbol("eta", real=True)
beta = sp.Symbol("beta", real=True)
lam = sp.Symbol("lambda", positive=True)
z = sp.Symbol("z")
x, y = sp.Function("x"), sp.Function("y")
t = sp.Symbol("t", integer=True)

PARAMS = (
    Param("L", 1.0, "largest Hessian eigenvalue L (smoothness)", symbol=L,
          valid=lambda v: v > 0, error="{name} must be > 0, got {value}"),
    Param("mu", 0.01, "smallest Hessian eigenvalue mu (strong convexity)", symbol=mu,
          valid=lambda v: v > 0, error="{name} must be > 0 (strongly convex quadratic), "
                                       "got {value}"),
)


def build() -> Sheet:
    d = Sheet()
    d.step("Nesterov's method on f(x) = 1/2 x^T A x - b^T x, along an eigenvector of A with "
           "eigenvalue lambda (minimizer moved to 0):",
           sp.And(sp.Eq(x(t + 1), y(t) - eta * lam * y(t)),
                  sp.Eq(y(t + 1), x(t + 1) + beta * (x(t + 1) - x(t)))),
           "grad f(y) = A (y - x*); in A's eigenbasis the coordinates decouple")
    # torch's nesterov=True: b' = beta b + g, theta' = theta - lr (g + beta b'), g at theta
    lr, g = sp.symbols("lr g_t", real=True)
    xt, xp = sp.symbols("x_t x_{t-1}", real=True)
    y_t = xt + beta * (xt - xp)
    x_next = y_t - lr * g
    y_next = x_next + beta * (x_next - xt)
    buf_next = beta * (xp - xt) / lr + g
    theta_next = y_t - lr * (g + beta * buf_next)
    assert sp.simplify(theta_next - y_next) == 0
    assert sp.simplify(buf_next - (xt - x_next) / lr) == 0
    d.step("torch's SGD(nesterov=True) from theta_t = y_t and buffer b_t = (x_{t-1} - x_t)/lr, "
           "g_t the gradient at theta_t: b_{t+1} = beta b_t + g_t and",
           sp.Eq(sp.Symbol("theta_{t+1}"), sp.collect(sp.expand(theta_next), [lr, beta])),
           "SymPy: theta_{t+1} - y_{t+1} and b_{t+1} - (x_t - x_{t+1})/lr simplify to 0 with "
           "x_{t+1} = y_t - lr g_t, so torch runs this method on y with eta = lr, beta = "
           "momentum; its first step sets b_1 = g_1, i.e. x_{-1} = x_0 = y_0")
    d.step("Eliminating y (y_t = (1 + beta) x_t - beta x_{t-1}):",
           sp.Eq(x(t + 1), (1 - eta * lam) * ((1 + beta) * x(t) - beta * x(t - 1))),
           "substitute the second equation (at t) into the first")
    q = 1 - eta * lam
    M = sp.Matrix([[(1 + beta) * q, -beta * q], [1, 0]])
    p = sp.collect(sp.expand(M.charpoly(z).as_expr()), z)
    d.step("In the state (x_t, x_{t-1}) the characteristic polynomial of the iteration matrix:",
           sp.Eq(sp.Symbol("p(z)"), p), f"det(z I - M), M = {sp.sstr(M.tolist())}")
    coeffs = sp.Poly(p, z).all_coeffs()
    d.step("Jury's test (both roots inside the unit circle iff $|a_0| < 1$ and "
           "$|a_1| < 1 + a_0$, derived in heavy-ball):", jury_quadratic(coeffs[1], coeffs[2]),
           "jury_quadratic from optsym.derivations.heavy_ball on a_1 = -(1 + beta)(1 - eta "
           "lambda), a_0 = beta (1 - eta lambda)")
    bound = sp.factor(sp.solve(sp.Eq(1 - coeffs[1] + coeffs[2], 0), eta)[0])
    d.step("$p(1) = \\eta \\lambda > 0$, and $p(-1) > 0$ bounds the step; for "
           "$0 \\le \\beta < 1$ the condition $|a_0| < 1$ then holds, and the worst lambda is L:",
           sp.Lt(eta, bound.subs(lam, L)),
           "solving p(-1) = 2 + 2 beta - (1 + 2 beta) eta lambda = 0 for eta; with "
           "q = 1 - eta lambda in (-1/(1 + 2 beta), 1), $|\\beta q| < 1$; beta = 0 gives the "
           "2/L of gradient descent")
    # the standard strongly convex tuning
    k = sp.Symbol("k", positive=True)          # k = sqrt(kappa)
    kappa = L / mu
    beta_std = (sp.sqrt(kappa) - 1) / (sp.sqrt(kappa) + 1)
    kappa_s = sp.Symbol("kappa", positive=True)
    d.step("The standard tuning for mu-strongly convex, L-smooth f (kappa = L/mu):",
           sp.And(sp.Eq(eta, 1 / L),
                  sp.Eq(beta, beta_std.subs(sp.sqrt(kappa), sp.sqrt(kappa_s)))),
           "Nesterov (2004), section 2.2: the constant step scheme for strongly convex f")
    qv = sp.Symbol("q", nonnegative=True)
    disc = sp.factor(sp.discriminant(p.subs(eta, (1 - qv) / lam), z))
    d.step("With eta = 1/L, q = 1 - lambda/L runs over [0, 1 - 1/kappa], and the discriminant "
           "of p is", sp.Eq(sp.Symbol("Delta"), disc),
           "sympy.discriminant; the roots are complex (or 0) iff "
           "$0 \\le q \\le 4 \\beta/(1 + \\beta)^2$")
    b_k = (k - 1) / (k + 1)
    q_crit = sp.simplify(4 * b_k / (1 + b_k)**2)
    q_mu = 1 - 1 / k**2
    assert sp.simplify(q_crit - q_mu) == 0
    d.step("At beta = (k - 1)/(k + 1), k = sqrt(kappa), the threshold is exactly q at "
           "lambda = mu:", sp.Eq(sp.Symbol("q_c"), sp.factor(q_crit)),
           "SymPy needs $\\kappa = k^2$ ($k > 0$) to simplify; q_c - (1 - 1/k^2) simplifies to 0, "
           "so at lambda = mu the discriminant vanishes: a double root")
    root = sp.factor((1 + b_k) * q_mu / 2)
    e = sp.Symbol("e", positive=True)
    modulus = sp.sqrt(b_k * q_mu)
    modulus_k = sp.factor(sp.simplify(modulus.subs(k, 1 + e)).subs(e, k - 1))
    d.step("The double root at lambda = mu, z = (1 + beta) q / 2, and its modulus "
           "sqrt(beta (1 - mu/L)):", sp.And(sp.Eq(z, root), sp.Eq(sp.Abs(z), modulus_k)),
           "SymPy cannot assume $\\kappa > 1$ (needed for sqrt((k - 1)^2) = k - 1): the "
           "modulus is simplified with k = 1 + e, $e > 0$")
    d.step("For lambda in (mu, L], $0 \\le q < q_c$: the roots are complex (both 0 at "
           "lambda = L) with modulus sqrt(beta q), increasing in q, so the worst lambda is mu:",
           sp.Eq(sp.Abs(z), sp.sqrt(beta * qv)),
           "$|z|^2 = z \\bar z = a_0 = \\beta q$ for a complex pair; the maximum over q in "
           "[0, q_c] is at q_c")
    rate = sp.factor(root.subs(k, sp.sqrt(L) / sp.sqrt(mu)))
    d.result("kappa", "condition number kappa = L/mu", kappa)
    d.result("eta", "step size 1/L", 1 / L)
    d.result("beta", "momentum (sqrt(kappa) - 1)/(sqrt(kappa) + 1)",
             sp.factor(b_k.subs(k, sp.sqrt(L) / sp.sqrt(mu))))
    d.result("rate", "spectral radius 1 - 1/sqrt(kappa) = 1 - sqrt(mu/L)", rate)
    d.result("eta_max", "largest stable step size 2(1 + beta)/((1 + 2 beta) L) at this beta",
             sp.factor(sp.simplify(bound.subs(lam, L).subs(beta, b_k)
                                   .subs(k, sp.sqrt(L) / sp.sqrt(mu)))))
    return d


# ---- numerics (another way: eigenvalues of torch's state matrix, simulation) ------------------

def torch_matrix(eta_v, beta_v, lam_v) -> np.ndarray:
    """torch's nesterov=True SGD in the state (theta, buf) on f = lam/2 theta^2: the Jacobian of
    the SGD rule's textbook equations (:func:`optsym.derivations.heavy_ball.momentum_matrix`)."""
    return momentum_matrix(nesterov=True)(eta_v, beta_v, lam_v)


def spectral_radius(eta_v, beta_v, lams) -> np.ndarray:
    return heavy_ball_radius(eta_v, beta_v, lams, nesterov=True)


def cross_checks(cfg) -> list[Check]:
    """Jury's region and the rate vs eigenvalues of torch's matrix; the double root; a
    simulation of optsym's generated SGD(nesterov=True) code."""

    Lv, muv = cfg["L"], cfg["mu"]
    res = DERIVATION.instantiate(cfg)
    eta_v, beta_v, rate = res["eta"], res["beta"], res["rate"]
    out = []
    # 1. Jury's conditions on Nesterov's polynomial vs eigenvalues on an (eta, beta) grid
    E, B = np.meshgrid(np.linspace(0.0, 4.0 / Lv, 121)[1:], np.linspace(-0.9, 1.3, 89),
                       indexing="ij")
    rho = spectral_radius(E, B, np.linspace(muv, Lv, 9))
    far = np.abs(rho - 1) > 1e-3
    q = 1 - eta * lam
    p = sp.Poly(sp.Matrix([[(1 + beta) * q, -beta * q], [1, 0]]).charpoly(z).as_expr(), z)
    jury_f = sp.lambdify((eta, beta, lam), jury_quadratic(*p.all_coeffs()[1:]), "numpy")
    jury_ok = jury_f(E, B, muv) & jury_f(E, B, Lv)
    bad = int(np.sum((rho < 1)[far] != jury_ok[far]))
    out.append(Check("stable (eta, beta) grid from eigenvalues over lambda in [mu, L] = Jury's "
                     "conditions at lambda = mu, L", bad == 0, bad, 0,
                     f"{bad} of {int(far.sum())} grid points away from the boundary differ"))
    # 2. eta_max at the standard beta by bisection
    lo, hi = 0.0, 10.0 / Lv
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if spectral_radius(mid, beta_v, [muv, Lv]) < 1 else (lo, mid)
    out.append(Check("eta_max at the standard beta by bisection on the spectral radius",
                     bool(np.isclose(lo, res["eta_max"], rtol=1e-6)), lo, res["eta_max"],
                     f"bisection {lo:.8g} vs {res['eta_max']:.8g}"))
    # 3. the rate: max |eigenvalue| over a fine lambda grid, attained at lambda = mu
    lams = np.linspace(muv, Lv, 4001)
    radii = np.abs(np.linalg.eigvals(torch_matrix(eta_v, beta_v, lams))).max(axis=-1)
    out.append(Check("rate = max |eigenvalue| over 4001 lambda in [mu, L]",
                     bool(np.isclose(radii.max(), rate, rtol=1e-6)), float(radii.max()), rate,
                     f"eigenvalues {radii.max():.8g} (at lambda = {lams[radii.argmax()]:.6g}) "
                     f"vs formula {rate:.8g}"))
    # 4. a double root at lambda = mu
    zs = np.linalg.eigvals(torch_matrix(eta_v, beta_v, muv))
    gap = float(abs(zs[0] - zs[1]))
    out.append(Check("at lambda = mu the two eigenvalues coincide (double root)",
                     gap < 1e-6, gap, 0.0, f"|z_1 - z_2| = {gap:.2e}"))
    # 5. simulation of optsym's generated SGD(nesterov=True) code; the double root at lambda =
    # mu makes ||x_t|| ~ (A + B t) rate^t, so the fit is of log(||x_t||/t) (see heavy_ball)
    out.append(simulation_check(
        "generated SGD(nesterov=True) code (lr = 1/L, momentum = beta) on a diagonal quadratic "
        "contracts at the rate per step", muv, Lv, eta_v, beta_v, rate, nesterov=True))
    return out


DERIVATION = Derivation(
    name="nesterov",
    title="Nesterov's accelerated gradient on a quadratic: stability and rate",
    doc=__doc__, params=PARAMS, build=build, cross_checks=cross_checks,
    quadratic=eigenvalues, answer=("kappa", "eta", "beta", "rate", "eta_max"),
    checks=((lambda c: c["mu"] >= c["L"],
             "--mu ({mu}) must be less than --L ({L}): kappa = L/mu > 1 (at mu = L the "
             "momentum (sqrt(kappa) - 1)/(sqrt(kappa) + 1) is 0)"),),
    assumptions=("f(x) = 1/2 x^T A x - b^T x with the eigenvalues of A in [mu, L], "
                 "$0 < \\mu < L$", "kappa = L/mu"))
