r"""Gradient descent on a quadratic: the error recursion, the stable steps, the best fixed step.

Problem.  Gradient descent :math:`x_{t+1} = x_t - \eta \nabla f(x_t)` runs on
:math:`f(x) = \frac12 x^T A x - b^T x` with :math:`A` symmetric positive definite, its
eigenvalues in :math:`[\mu, L]`.  For which steps does it converge, which fixed step is best,
how fast does it go then, and how many steps reach :math:`\|x_t - x^*\| \le \epsilon
\|x_0 - x^*\|`?

Results.

.. math::

    \begin{align*}
    e_{t+1} &= (I - \eta A) e_t, \qquad e_t = (I - \eta A)^t e_0
        \quad (\text{per eigen-direction } (1 - \eta \lambda)^t) \\
    \text{converges} &\iff 0 < \eta < \frac{2}{\lambda_{\max}} = \frac{2}{L} \\
    \eta^* &= \frac{2}{\mu + L}, \qquad
        \|e_t\| \le \left(\frac{\kappa - 1}{\kappa + 1}\right)^t \|e_0\|,
        \quad \kappa = \frac{L}{\mu} \\
    t &\ge \frac{\log \epsilon}{\log \frac{\kappa - 1}{\kappa + 1}}
        \quad (\le \tfrac{\kappa}{2} \log \tfrac{1}{\epsilon}) \text{ steps for }
        \|e_t\| \le \epsilon \|e_0\|
    \end{align*}

Reference: Nesterov, *Introductory Lectures on Convex Optimization* (2004), Theorem 2.1.15
(the rate :math:`(L - \mu)/(L + \mu)` at the step :math:`2/(\mu + L)`); Goodfellow, Bengio &
Courville, *Deep Learning* (2016), 4.3.1 (the step :math:`2/\lambda_{\max}` and the condition
number).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import sympy as sp

from optsym.derivation import Check, Derivation, Param, Sheet
from optsym.derivations._quadratic import eigenvalues
from optsym.spec import scalar

L = sp.Symbol("L", positive=True)
mu = sp.Symbol("mu", positive=True)
eps = sp.Symbol("epsilon", positive=True)
eta = sp.Symbol("eta", real=True)
lam = sp.Symbol("lambda", positive=True)
kappa = sp.Symbol("kappa", positive=True)
t = sp.Symbol("t", integer=True, nonnegative=True)
n = sp.Symbol("n", integer=True, positive=True)
z = sp.Function("z")
A = sp.MatrixSymbol("A", n, n)
x = sp.MatrixSymbol("x", n, 1)
b = sp.MatrixSymbol("b", n, 1)
x_star = sp.MatrixSymbol("x^*", n, 1)
I_n = sp.Identity(n)
norm_t = scalar("||e_t||", r"\|e_t\|", nonnegative=True)
norm_0 = scalar("||e_0||", r"\|e_0\|", nonnegative=True)
rho_opt = scalar("rho*", r"\rho^*", nonnegative=True)

#: the largest condition number the cross-checks simulate (about kappa/2 log(1/eps) steps)
MAX_KAPPA = 1e4
#: the dimension and seed of the concrete matrices the cross-checks run GD on
DIM, SEED = 6, 0

PARAMS = (
    Param("L", 10.0, "largest eigenvalue of A (smoothness constant L)", symbol=L,
          valid=lambda v: 1e-6 <= v <= 1e6, error="{name} must be in [1e-6, 1e6], got {value}"),
    Param("mu", 1.0, "smallest eigenvalue of A (strong convexity mu)", symbol=mu,
          valid=lambda v: 1e-6 <= v <= 1e6,
          error="{name} must be in [1e-6, 1e6] (A positive definite), got {value}"),
    Param("eps", 1e-6, "target accuracy: ||x_t - x*|| <= eps ||x_0 - x*||", symbol=eps,
          valid=lambda v: 1e-12 <= v < 1, error="{name} must be in [1e-12, 1), got {value}"),
)

CHECKS = (
    (lambda c: c["mu"] > c["L"], "--mu ({mu}) must not exceed --L ({L})"),
    (lambda c: c["L"] > MAX_KAPPA * c["mu"],
     "--L / --mu must be at most 1e4 (the cross-checks run about (L/mu)/2 log(1/eps) steps), "
     "got --L {L} and --mu {mu}"),
)


def build() -> Sheet:
    d = Sheet()
    f = (x.T * A * x) / 2 - b.T * x
    grad = f.diff(x).subs(A.T, A)
    assert sp.expand(grad - (A * x - b)) == sp.ZeroMatrix(n, 1)
    d.step("The gradient g of f(x) = 1/2 x^T A x - b^T x is",
           sp.Eq(sp.MatrixSymbol("g", n, 1), A * x - b),
           "SymPy's matrix derivative gives A x/2 + A^T x/2 - b; A is symmetric")
    d.step("so the minimizer solves A x* = b, and gradient descent with step eta reads",
           sp.Eq(sp.MatrixSymbol("x_{t+1}", n, 1), x - eta * (A * x - b)),
           "x stands for x_t; A is positive definite, so x* = A^(-1) b is the unique minimizer")
    e = sp.MatrixSymbol("e_t", n, 1)
    next_error = (x - eta * (A * x - b) - x_star).subs(b, A * x_star)
    assert sp.expand(next_error - (I_n - eta * A) * (x - x_star)) == sp.ZeroMatrix(n, 1)
    d.step("The error e_t = x_t - x* obeys the linear recursion",
           sp.Eq(sp.MatrixSymbol("e_{t+1}", n, 1), (I_n - eta * A) * e),
           "subtract x* and put b = A x* (SymPy: the difference expands to 0)")
    d.step("Unrolled:", sp.Eq(e, sp.MatPow(I_n - eta * A, t) * sp.MatrixSymbol("e_0", n, 1)),
           "induction on t")
    closed = sp.rsolve(z(t + 1) - (1 - eta * lam) * z(t), z(t), {z(0): sp.Symbol("z_0")})
    d.step("With A = Q Lambda Q^T (Q orthogonal) the coordinates z = Q^T e decouple; along the "
           "eigenvector of the eigenvalue lambda, z_{t+1} = (1 - eta lambda) z_t, so",
           sp.Eq(z(t), closed), "sympy.rsolve")
    rho = sp.Max(sp.Abs(1 - eta * mu), sp.Abs(1 - eta * L))
    d.step(r"Q is orthogonal, so $\|e_t\| = \|z_t\|$, and each factor is at most its largest "
           "value over [mu, L]:", sp.Le(norm_t, rho**t * norm_0),
           r"$|1 - \eta \lambda|$ is convex in lambda, so its maximum over [mu, L] is at an "
           "end; equality holds along the eigenvector of mu or of L")
    per_direction = sp.solveset(sp.Abs(1 - eta * lam) < 1, eta, sp.S.Reals)
    d.step(r"A direction converges from every start iff $|1 - \eta \lambda| < 1$, that is",
           sp.Contains(eta, per_direction), "sympy.solveset over the reals")
    d.step("The bound 2/lambda decreases with lambda,",
           sp.Eq(sp.Derivative(2 / lam, lam), sp.diff(2 / lam, lam)),
           "so over lambda in [mu, L] the binding direction is lambda = L.  SymPy leaves the "
           r"intersection of (0, 2/mu) and (0, 2/L) unevaluated, since it cannot use "
           r"$\mu \le L$: the intersection is taken by this argument")
    stable = per_direction.subs(lam, L)
    d.step("Gradient descent converges from every start iff", sp.Contains(eta, stable), "")
    d.result("stable_step", r"largest stable step (GD converges iff $0 < \eta < 2/L$)",
             stable.sup)
    opt = sp.solve(sp.Eq(1 - eta * mu, eta * L - 1), eta)
    assert len(opt) == 1
    eta_opt = opt[0]
    d.step(r"The contraction factor $\rho(\eta) = \max(|1 - \eta \mu|, |1 - \eta L|)$ is the "
           "larger of the falling line 1 - eta mu and the rising line eta L - 1 (for "
           r"$\eta \le 1/\mu$; beyond, rho = eta L - 1 only grows), so it is smallest where "
           "they meet:", sp.Eq(eta, eta_opt),
           "sympy.solve of 1 - eta mu = eta L - 1.  Not sympy.minimum: on this max of absolute "
           "values it returns 1 instead of 9/11 for mu = 1, L = 10 (and takes seconds)")
    d.result("optimal_step", "best fixed step eta* = 2/(mu + L)", eta_opt)
    rate = sp.factor(sp.simplify(1 - eta_opt * mu))
    d.step("At that step both ends contract by", sp.Eq(rho_opt, rate),
           "rho(eta*) = 1 - eta* mu, simplified")
    d.step("and with the condition number kappa = L/mu,",
           sp.Eq(rho_opt, sp.simplify(rate.subs(L, kappa * mu))), "substitute L = kappa mu")
    d.result("kappa", "condition number kappa = L/mu", L / mu)
    d.result("rate", "contraction per step at eta*, (kappa - 1)/(kappa + 1)", rate)
    s = sp.Symbol("s", positive=True)
    tt = sp.Symbol("t", real=True)
    solved = sp.reduce_inequalities(-tt * s <= sp.log(eps), tt)
    d.step(r"$\|e_t\| \le \rho^{*t} \|e_0\| \le \epsilon \|e_0\|$ holds once "
           r"$t \log \rho^* \le \log \epsilon$; with log(rho*) = -s, s positive,", solved,
           r"SymPy cannot know that $\log \rho^* < 0$ ($0 \le \rho^* < 1$), so log(rho*) is "
           "written as -s with s positive before sympy.reduce_inequalities divides by it")
    bound = solved.rhs.subs(s, -sp.log(rate))
    d.step("that is", sp.Ge(sp.Symbol("t"), bound), "put back s = -log(rho*)")
    d.result("iterations", r"steps for $\|e_t\| \le \epsilon \|e_0\|$, log(eps)/log(rho*)",
             bound)
    needed = sp.Max(1, sp.ceiling(bound))
    d.step(r"in whole steps (at least one: $\epsilon < 1$, so t = 0 never suffices)",
           sp.Ge(sp.Symbol("t"), needed),
           "the max matters only at mu = L, where rho* = 0 and one step lands on x*")
    d.result("iterations_needed", "whole steps needed", needed)
    d.step("For large kappa, log(1/rho*) = log((kappa + 1)/(kappa - 1)) = 2 artanh(1/kappa):",
           sp.series(sp.log((kappa + 1) / (kappa - 1)), kappa, sp.oo, 4),
           "sympy.series at kappa = oo; every term of 2 artanh(1/kappa) is positive, so "
           r"$\log(1/\rho^*) \ge 2/\kappa$")
    simple = kappa / 2 * sp.log(1 / eps)
    d.step("so this many steps always suffice, O(kappa log(1/eps)):",
           sp.Ge(sp.Symbol("t"), simple), "log(eps)/log(rho*) = log(1/eps)/log(1/rho*)")
    d.result("iterations_simple", "sufficient steps (kappa/2) log(1/eps)",
             simple.subs(kappa, L / mu))
    return d


# ---- numerics: optsym's generated GD code on concrete matrices ------------------------------
@cache
def _gd_module() -> dict:
    """optsym's generated numpy SGD code with momentum 0 (gradient descent); lr is per call."""
    from optsym import rules
    from optsym.codegen.module import generate, load

    rule = rules.get("sgd")
    return load(generate(rule, rule.config({"lr": 0.1, "momentum": 0.0}), "numpy"),
                "gd_quadratic_check")


def gd_errors(grad, x0: np.ndarray, x_opt: np.ndarray, lr: float, steps: int,
              stop_below: float | None = None, stop_above: float = 1e100) -> np.ndarray:
    """||x_t - x_opt|| for t = 0..steps under optsym's generated GD code (``grad(x)`` gives the
    gradient); stops early once the error is at most ``stop_below``, or above ``stop_above``
    or not finite (diverged)."""
    ns = _gd_module()
    params = [np.array(x0, dtype=np.float64)]
    state = ns["init_state"](params)
    errors = [float(np.linalg.norm(params[0] - x_opt))]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            ns["step"](params, [grad(params[0])], state, lr=lr)
            errors.append(float(np.linalg.norm(params[0] - x_opt)))
            if stop_below is not None and errors[-1] <= stop_below:
                break
            if not errors[-1] <= stop_above:
                break
    return np.array(errors)


def stability_checks(label: str, grad, x0: np.ndarray, x_opt: np.ndarray, step_bound: float,
                     steps: int = 2000) -> list[Check]:
    """Generated GD converges at 0.99 * ``step_bound`` and diverges at 1.01 * ``step_bound``."""
    e0 = float(np.linalg.norm(np.asarray(x0) - x_opt))
    ok = gd_errors(grad, x0, x_opt, 0.99 * step_bound, steps, stop_above=1e12 * e0)
    slack = 1e-14 * (np.linalg.norm(x_opt) + ok[0])
    growth = float(np.max(np.diff(ok)))
    converged = bool(len(ok) == steps + 1 and np.all(np.isfinite(ok)) and growth <= slack
                     and ok[-1] < ok[0])
    bad = gd_errors(grad, x0, x_opt, 1.01 * step_bound, steps, stop_above=1e12 * e0)
    diverged = bool(not np.isfinite(bad[-1]) or bad[-1] > 1e6 * bad[0])
    return [
        Check(f"{label}: generated GD at 0.99 * 2/L converges (the error never grows, "
              f"{steps} steps)", converged, ok[-1] / ok[0], "< 1",
              f"||e_t||/||e_0|| = {ok[-1] / ok[0]:.3g} after {len(ok) - 1} steps, largest "
              f"growth {growth:.2g}"),
        Check(f"{label}: generated GD at 1.01 * 2/L diverges", diverged, bad[-1] / bad[0],
              "> 1e6", f"||e_t||/||e_0|| = {bad[-1] / bad[0]:.3g} after {len(bad) - 1} steps"),
    ]


def _matrices(m: float, big: float) -> dict[str, np.ndarray]:
    """A diagonal and a randomly rotated SPD matrix with eigenvalues spread over [m, big]."""
    spectrum = np.linspace(m, big, DIM)
    q, _ = np.linalg.qr(np.random.default_rng(SEED).standard_normal((DIM, DIM)))
    return {"diagonal": np.diag(spectrum), "rotated": q @ np.diag(spectrum) @ q.T}


def cross_checks(cfg) -> list[Check]:
    """Run optsym's generated GD code on concrete matrices; grid-search the step size."""
    big, m, ep = cfg["L"], cfg["mu"], cfg["eps"]
    res = DERIVATION.instantiate(cfg)
    rng = np.random.default_rng(SEED + 1)
    out = []
    for label, a in _matrices(m, big).items():
        x_opt = rng.standard_normal(DIM)
        b_vec = a @ x_opt

        def grad(v, a=a, b_vec=b_vec):
            return a @ v - b_vec

        x0 = x_opt + rng.standard_normal(DIM)
        out += stability_checks(f"{label} A", grad, x0, x_opt, res["stable_step"])
        lams, vecs = np.linalg.eigh(a)
        # one step of the generated code from x* + q_i contracts the error by |1 - eta lambda_i|
        per_direction = [gd_errors(grad, x_opt + q, x_opt, res["optimal_step"], 1)
                         for q in vecs.T]
        worst = max(e[1] / e[0] for e in per_direction)
        out.append(Check(f"{label} A: at eta = 2/(mu + L) the worst eigen-direction (numpy "
                         "eigh) contracts by the rate per step", bool(
                             abs(worst - res["rate"]) <= 1e-9), worst, res["rate"],
                         f"{worst:.12g} vs {res['rate']:.12g}"))
        # the step counts run with b = 0 (x* = 0): the error recursion does not involve b, and
        # with b != 0 the rounding of A x - b (about 1e-16 L ||x*||) would move the fixed
        # point of the float iteration by up to 1e-16 kappa ||x*||, as much as eps = 1e-12
        cap = 200_000  # more than (L/mu)/2 log(1/eps) + 1 for every valid configuration
        zero = np.zeros(DIM)
        slow = gd_errors(lambda v, a=a: a @ v, vecs[:, 0], zero, res["optimal_step"], cap,
                         stop_below=ep)  # the eigenvector of mu, ||e_0|| = 1
        count = len(slow) - 1 if slow[-1] <= ep else None
        out.append(Check(f"{label} A: from the worst direction, the first t with ||e_t|| <= "
                         "eps ||e_0|| is ceil(log(eps)/log(rate)) (within 1)", bool(
                             count is not None and abs(count - res["iterations_needed"]) <= 1),
                         count, res["iterations_needed"],
                         f"{count} steps, formula {res['iterations_needed']:.0f}"))
        x0 = rng.standard_normal(DIM)
        errs = gd_errors(lambda v, a=a: a @ v, x0, zero, res["optimal_step"], cap,
                         stop_below=ep * np.linalg.norm(x0))
        count = len(errs) - 1 if errs[-1] <= ep * errs[0] else None
        simple = max(1, math.ceil(res["iterations_simple"]))
        out.append(Check(f"{label} A: from a random start it takes at most that many steps "
                         "(the bound is worst-case), and at most max(1, ceil((kappa/2) "
                         "log(1/eps)))", bool(count is not None
                                              and count <= res["iterations_needed"]
                                              and count <= simple), count,
                         min(res["iterations_needed"], simple),
                         f"{count} steps, bounds {res['iterations_needed']:.0f} and {simple}"))
    # the best fixed step by a 1-D search over eta of the spectral radius of I - eta A
    a = _matrices(m, big)["rotated"]
    lo, hi = 0.0, 2.0 / m
    for _ in range(6):
        grid = np.linspace(lo, hi, 1001)
        radius = np.abs(np.linalg.eigvalsh(np.eye(DIM) - grid[:, None, None] * a)).max(axis=1)
        k = int(np.argmin(radius))
        width = grid[1] - grid[0]
        lo, hi = max(grid[k] - 2 * width, 0.0), grid[k] + 2 * width
    out.append(Check("grid search of max|eig(I - eta A)| (numpy eigvalsh) over eta finds the "
                     "best step at 2/(mu + L)", bool(np.isclose(grid[k], res["optimal_step"],
                                                                rtol=1e-6)),
                     float(grid[k]), res["optimal_step"],
                     f"{grid[k]:.12g} vs {res['optimal_step']:.12g}"))
    out.append(Check("... and its smallest spectral radius is the rate", bool(
        abs(radius[k] - res["rate"]) <= 1e-9), float(radius[k]), res["rate"],
        f"{radius[k]:.12g} vs {res['rate']:.12g}"))
    cond = float(np.linalg.cond(a))
    out.append(Check("kappa = L/mu is numpy's 2-norm condition number of the rotated A",
                     bool(np.isclose(cond, res["kappa"], rtol=1e-9)), cond, res["kappa"],
                     f"{cond:.12g} vs {res['kappa']:.12g}"))
    return out


DERIVATION = Derivation(
    name="gd-quadratic", title="Gradient descent on a quadratic: stable steps and the best step",
    doc=__doc__, params=PARAMS, build=build, cross_checks=cross_checks, checks=CHECKS,
    quadratic=eigenvalues,
    answer=("stable_step", "optimal_step", "kappa", "rate", "iterations_needed"),
    assumptions=("f(x) = 1/2 x^T A x - b^T x, A symmetric",
                 r"the eigenvalues of A lie in [mu, L], $0 < \mu \le L$", "a fixed step eta"))
