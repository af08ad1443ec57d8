r"""Saddle points: how likely is a random critical point in n dimensions to be a minimum?

Problem.  A critical point is a minimum when every eigenvalue of its Hessian is positive.  The
folklore argument for why high-dimensional losses have many more saddles than minima gives each
eigenvalue an independent fair sign: :math:`2^{-n}`.  Which random-matrix model is that, and what
does the standard model of a random symmetric matrix, the Gaussian orthogonal ensemble (GOE),
give?

Results.

.. math::

    \begin{align*}
    P_n^{\text{signs}} &= 2^{-n}
        \quad (\text{diagonal Hessian, iid symmetric entries: independent signs}) \\
    P_1^{\text{GOE}} &= \tfrac12, \qquad
    P_2^{\text{GOE}} = P(a > 0,\ ac > b^2) = \frac12 - \frac{\sqrt2}{4} \approx 0.1464 \\
    P_n^{\text{GOE}} &= \exp\bigl(-\tfrac{\ln 3}{4} n^2 + o(n^2)\bigr)
        \quad (\text{Dean \& Majumdar: much faster than } 2^{-n})
    \end{align*}

for the GOE :math:`H = (X + X^\top)/2`, :math:`X_{ij}` iid :math:`N(0, 1)` (diagonal entries
:math:`N(0, 1)`, off-diagonal :math:`N(0, 1/2)`, density :math:`\propto e^{-\operatorname{tr}
H^2 / 2}`).  Eigenvalues of a GOE matrix repel each other, so all :math:`n` of them being positive
is a large deviation of the whole spectrum: :math:`2^{-n}` is the answer for independent signs,
not for the GOE (Monte Carlo at :math:`n = 4`: about 0.0026 against :math:`2^{-4} = 0.0625`).

References: Dean & Majumdar, *Large deviations of extreme eigenvalues of random matrices*, Phys.
Rev. Lett. 97, 160201 (2006) (:math:`\theta = \ln 3 / 4` for the GOE); Mehta, *Random Matrices*
(3rd ed., 2004), 3.1-3.3 (the GOE and its eigenvalue density); Dauphin et al., *Identifying and
attacking the saddle point problem*, NeurIPS 2014 (the argument in deep learning); Bray & Dean,
Phys. Rev. Lett. 98, 150201 (2007) (critical points of Gaussian fields).
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from optsym.derivation import Check, Derivation, Param, Sheet

n = sp.Symbol("n", integer=True, positive=True)
a, c = sp.symbols("a c", positive=True)
b = sp.Symbol("b", real=True)
r = sp.Symbol("r", positive=True)
theta = sp.Symbol("theta", positive=True)
k = sp.Symbol("k", positive=True)
s = sp.Symbol("s", positive=True)
w = sp.Symbol("w", positive=True)
phi = sp.Symbol("phi", real=True)
P = sp.Function("P")

PARAMS = (
    Param("n", 2, "dimension (size of the Hessian)", "int", n, valid=lambda v: 1 <= v <= 10,
          error="{name} must be an integer in [1, 10], got {value}"),
    Param("samples", 200000, "Monte Carlo samples per model and dimension", "int",
          valid=lambda v: 1000 <= v <= 10_000_000,
          error="{name} must be an integer in [1000, 10000000], got {value}"),
    Param("seed", 0, "seed of the Monte Carlo cross-checks", "int", valid=lambda v: v >= 0,
          error="{name} must be an integer >= 0, got {value}"),
)


def _normal(x, var):
    return sp.exp(-x**2 / (2 * var)) / sp.sqrt(2 * sp.pi * var)


def build() -> Sheet:
    d = Sheet()
    i = sp.Symbol("i", integer=True, positive=True)
    signs = sp.Product(sp.Rational(1, 2), (i, 1, n)).doit()
    d.step("Independent signs (a diagonal Hessian with iid entries symmetric about 0): each "
           "eigenvalue is positive with probability 1/2, independently",
           sp.Eq(P(n), signs), "the product of n probabilities 1/2")
    d.result("p_signs", "P(all n eigenvalues > 0), independent signs", signs)
    d.step("GOE: H = (X + X^T)/2 with X_ij iid N(0, 1): H_ii ~ N(0, 1), H_ij ~ N(0, 1/2) "
           "(i < j), density proportional to exp(-tr(H^2)/2).  n = 1: H = a ~ N(0, 1),",
           sp.Eq(P(1), sp.integrate(_normal(a, 1), (a, 0, sp.oo))), "symmetry of N(0, 1)")
    d.result("p_one", "P(H > 0) for n = 1 (both models)", sp.Rational(1, 2))
    # ---- n = 2 from the entries --------------------------------------------------------
    inner = sp.simplify(sp.integrate(_normal(b, sp.Rational(1, 2)), (b, -sp.sqrt(a * c),
                                                                     sp.sqrt(a * c))))
    d.step("n = 2, H = [[a, b], [b, c]] is positive definite iff a > 0 and ac - b^2 > 0 "
           "(Sylvester; then c > 0).  Given a, c > 0, with b ~ N(0, 1/2), P_b = P(b^2 < ac) is",
           sp.Eq(sp.Symbol("P_b"), inner), "sympy.integrate of the N(0, 1/2) density")
    radial = sp.simplify(sp.integrate(r * sp.exp(-r**2 / 2) / (2 * sp.pi)
                                      * sp.erf(k * r), (r, 0, sp.oo)))
    d.step("In polar coordinates a = r cos(theta), c = r sin(theta), theta in (0, pi/2), with "
           "k = sqrt(cos(theta) sin(theta)) the radial integral of phi(a) phi(c) erf(r k) r is",
           sp.Eq(sp.Function("I")(k), radial), "sympy.integrate over r in (0, oo)")
    angular = sp.simplify(radial.subs(k, sp.sqrt(sp.sin(2 * theta) / 2)))
    d.step("so P_2 is an integral over theta of", sp.Eq(sp.Function("J")(theta), angular),
           "cos(theta) sin(theta) = sin(2 theta)/2")
    # theta -> s = sin(2 theta): symmetric about pi/4, ds = 2 sqrt(1 - s^2) d theta
    in_s = sp.sqrt(s) / (sp.sqrt(2 * sp.pi) * sp.sqrt(2) * sp.sqrt(sp.pi) * (1 + s)
                         * sp.sqrt(1 - s))
    ang_s = angular.subs(sp.sin(2 * theta), s)
    u = sp.Symbol("u", positive=True)  # s = u/(1 + u) in (0, 1): SymPy cannot assume s < 1
    assert sp.simplify((ang_s / sp.sqrt(1 - s**2) - in_s).subs(s, u / (1 + u))) == 0
    d.step("J depends on theta through sin(2 theta), symmetric about pi/4; with s = sin(2 theta) "
           "on (0, pi/4), ds = 2 sqrt(1 - s^2) d theta, twice the half gives",
           sp.Eq(P(2), sp.Integral(in_s, (s, 0, 1))),
           "SymPy checks J(s)/sqrt(1 - s^2) equals this integrand after writing s = u/(1 + u), "
           "u > 0 (it cannot split sqrt(1 - s^2) without knowing s < 1); it cannot integrate "
           "this directly (it returns the integral unevaluated)")
    # s = w^2/(1 + w^2) (s = sin^2 psi, w = tan psi) makes it rational
    s_of_w = w**2 / (1 + w**2)
    rational = sp.factor(sp.simplify(in_s.subs(s, s_of_w) * sp.diff(s_of_w, w)))
    d.step("The substitution s = w^2/(1 + w^2) (s = sin^2(psi), w = tan(psi)) makes it rational:",
           sp.Eq(P(2), sp.Integral(rational, (w, 0, sp.oo))),
           "sympy.simplify of the integrand times ds/dw")
    p2 = sp.nsimplify(sp.simplify(sp.integrate(sp.apart(rational, w), (w, 0, sp.oo))))
    p2 = sp.radsimp(p2)
    d.step("Partial fractions and the arctangent integrals give", sp.Eq(P(2), p2),
           "sympy.apart and sympy.integrate")
    # ---- n = 2 from the eigenvalues ----------------------------------------------------
    full = sp.integrate(sp.sqrt(2) * sp.Abs(sp.cos(phi)), (phi, 0, 2 * sp.pi))
    quarter = (sp.integrate(sp.cos(phi) - sp.sin(phi), (phi, 0, sp.pi / 4))
               + sp.integrate(sp.sin(phi) - sp.cos(phi), (phi, sp.pi / 4, sp.pi / 2)))
    by_eigen = sp.simplify(quarter / full)
    d.step("Second route: the GOE(2) eigenvalue density is proportional to |l1 - l2| "
           "exp(-(l1^2 + l2^2)/2) (Mehta 2004, 3.3; |l1 - l2| is the Jacobian of the "
           "rotation).  In polar coordinates (l1, l2) = rho (cos phi, sin phi) the radial "
           "factor cancels, and P_2 = (int over phi in (0, pi/2) of |cos phi - sin phi|) / "
           "(int over (0, 2 pi))",
           sp.Eq(P(2), by_eigen),
           "|cos phi - sin phi| = sqrt(2) |cos(phi + pi/4)| over the full circle; split at pi/4 "
           "on the quarter")
    assert sp.simplify(by_eigen - p2) == 0
    d.result("p_goe_2", "P(H positive definite), 2 x 2 GOE", p2)
    d.step("Against independent signs at n = 2 the GOE is smaller by the factor",
           sp.Eq(P(2) / sp.Rational(1, 4), sp.expand(p2 * 4)), "eigenvalue repulsion")
    # ---- large n -------------------------------------------------------------------------
    goe = sp.exp(-sp.log(3) / 4 * n**2)
    d.step("For large n all eigenvalues positive is a large deviation of the whole "
           "semicircle (Dean & Majumdar 2006): to leading order in the exponent, for the GOE",
           sp.Eq(sp.log(sp.Symbol("P_n")), -sp.log(3) / 4 * n**2 + sp.Function("o")(n**2)),
           "quoted, not derived here; the Monte Carlo values of -log(P_n)/n^2 at small n "
           "(0.48, 0.41, 0.37 for n = 2, 3, 4) still include the o(n^2) terms")
    d.result("goe_large_n", "GOE leading order exp(-ln(3) n^2/4) (asymptotic only, not exact "
             "at small n)", goe)
    d.step("Compared with independent signs it vanishes:",
           sp.Eq(sp.Limit(goe / signs, n, sp.oo), sp.limit(goe / signs, n, sp.oo)),
           "sympy.limit: n^2 beats n")
    return d


def _fraction_positive(rng, dim: int, samples: int, model: str) -> float:
    """Share of random symmetric matrices with all eigenvalues > 0 (numpy eigvalsh in batches)."""
    hits, done = 0, 0
    batch = max(1, min(samples, 2_000_000 // (dim * dim)))
    while done < samples:
        m = min(batch, samples - done)
        if model == "goe":
            x = rng.normal(size=(m, dim, dim))
            h = (x + np.swapaxes(x, 1, 2)) / 2
        else:  # diagonal with iid N(0, 1) entries
            h = np.zeros((m, dim, dim))
            idx = np.arange(dim)
            h[:, idx, idx] = rng.normal(size=(m, dim))
        hits += int(np.count_nonzero(np.linalg.eigvalsh(h)[:, 0] > 0))
        done += m
    return hits / samples


def _binomial(desc, p_hat, p, samples):
    se = math.sqrt(p * (1 - p) / samples)
    return Check(desc, bool(abs(p_hat - p) <= 4 * se), p_hat, p,
                 f"{samples} samples, |p_hat - p| = {abs(p_hat - p):.3g} <= 4 SE = {4 * se:.3g}")


def cross_checks(cfg) -> list[Check]:
    """Monte Carlo of both models (numpy eigvalsh over batches), binomial 4-SE bounds."""
    rng = np.random.default_rng(cfg["seed"])
    N = cfg["samples"]
    out = []
    estimates = {}
    for dim in sorted({1, 2, 3, 4, cfg["n"]}):
        res = DERIVATION.instantiate({**cfg, "n": dim})
        out.append(_binomial(f"n = {dim}, diagonal model with iid N(0, 1) entries: "
                             "P(all eigenvalues > 0) = 2^-n",
                             _fraction_positive(rng, dim, N, "diag"), res["p_signs"], N))
        estimates[dim] = _fraction_positive(rng, dim, N, "goe")
    res = DERIVATION.instantiate(cfg)
    out.append(_binomial("n = 1, GOE: P = 1/2", estimates[1], res["p_one"], N))
    out.append(_binomial("n = 2, GOE: P = 1/2 - sqrt(2)/4", estimates[2], res["p_goe_2"], N))
    p4 = estimates[4]
    upper = p4 + 4 * math.sqrt(max(p4 * (1 - p4), 1.0 / N) / N)
    signs4 = DERIVATION.instantiate({**cfg, "n": 4})["p_signs"]
    out.append(Check("n = 4, GOE: P (Monte Carlo + 4 SE) is well below 2^-4 (at most half of "
                     "it): the 2^-n heuristic is not the GOE answer",
                     bool(upper <= signs4 / 2), p4, signs4,
                     f"upper bound {upper:.4g}; -log(P)/n^2 = "
                     + ", ".join(f"{-math.log(p) / d**2:.3f} (n={d})"
                                 for d, p in sorted(estimates.items()) if p > 0)
                     + f"; Dean-Majumdar ln(3)/4 = {math.log(3) / 4:.4f}"))
    exponents = [-math.log(estimates[d]) / d**2 for d in (2, 3, 4)]
    theta_dm = -math.log(DERIVATION.instantiate({**cfg, "n": 1})["goe_large_n"])
    out.append(Check("GOE: the measured exponent -log(P_n)/n^2 falls with n (n = 2, 3, 4) and "
                     "stays above the large-n limit ln(3)/4 (consistency only: the limit is "
                     "asymptotic)", bool(exponents[0] > exponents[1] > exponents[2] > theta_dm),
                     exponents, theta_dm))
    ratios = [estimates[d] / 2.0**-d for d in (2, 3, 4)]
    out.append(Check("GOE/independent-signs ratio falls with n (n = 2, 3, 4)",
                     bool(ratios[0] > ratios[1] > ratios[2]), ratios, None))
    return out


DERIVATION = Derivation(
    name="saddle-points",
    title="Saddle points: the chance that a random Hessian is positive definite",
    doc=__doc__, params=PARAMS, build=build, cross_checks=cross_checks,
    assumptions=("GOE: H = (X + X^T)/2, X_ij iid N(0, 1)",
                 "independent signs: a diagonal H with iid entries symmetric about 0"))
