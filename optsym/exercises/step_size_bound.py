r"""Step-size bound and condition number of a two-dimensional quadratic.

.. math::

    \begin{align*}
    f(x, y) &= \tfrac12 (a x^2 + 2 b x y + c y^2), \qquad
        H = \begin{pmatrix} a & b \\ b & c \end{pmatrix} \\
    L, \mu &= \frac{a + c \pm \sqrt{(a - c)^2 + 4 b^2}}{2}, \quad \kappa = \frac{L}{\mu}, \quad
        \eta < \frac{2}{L}, \quad \eta^* = \frac{2}{\mu + L}, \quad
        \rho^* = \frac{\kappa - 1}{\kappa + 1}
    \end{align*}

The draw picks integer eigenvalues :math:`\mu < L` and a Pythagorean triple
:math:`(a - c)^2 + (2b)^2 = (L - \mu)^2`, so the Hessian has integer entries and every answer is
a fraction.  The answers come from the ``condition-number`` derivation (``L``, ``mu``,
``kappa``, ``stable_step``) and the ``gd-quadratic`` derivation (``optimal_step``, ``rate``),
instantiated exactly; the check runs optsym's generated gradient descent on the Hessian just
below the bound (it converges) and just above it (it diverges), and one generated step at the
best step along each eigenvector (numpy ``eigh``) contracts by the rate.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

import numpy as np
import sympy as sp

from optsym.derivation import Check
from optsym.exercises.topic import Params, Solution, Topic, close, tex

#: Pythagorean triples (a - c, 2b, L - mu) up to a factor k; (0, 2, 2) is a = c
#: the relative distance from a bound at which the generated code must be on the right side
EDGE = 1e-6
EDGE_STEPS = 1000
TRIPLES = ((3, 4, 5), (8, 6, 10), (6, 8, 10), (5, 12, 13), (0, 2, 2))


def draw(rng: random.Random) -> dict:
    mu = rng.randint(1, 6)
    if rng.random() < 0.2:  # b = 0: a narrow valley along the axes
        a, c = mu, mu + rng.randint(1, 24)
        if rng.random() < 0.5:
            a, c = c, a
        return {"a": sp.Integer(a), "b": sp.Integer(0), "c": sp.Integer(c)}
    d, e, h = rng.choice(TRIPLES)
    k = rng.randint(1, 3)
    gap = h * k  # L - mu
    diff = d * k * rng.choice((1, -1))  # a - c
    a = (2 * mu + gap + diff) // 2
    c = a - diff
    b = e * k // 2 * rng.choice((1, -1))
    return {"a": sp.Integer(a), "b": sp.Integer(b), "c": sp.Integer(c)}


def problem(p: Params) -> str:
    x, y = sp.symbols("x y")
    f = (p["a"] * x**2 + 2 * p["b"] * x * y + p["c"] * y**2) / 2
    return (rf"Gradient descent $z_{{t+1}} = z_t - \eta \nabla f(z_t)$ runs on "
            rf"$f(x, y) = {sp.latex(sp.expand(f))}$.  "
            r"(a) Find the largest and the smallest eigenvalue $L$ and $\mu$ of the Hessian and "
            r"the condition number $\kappa = L/\mu$.  (b) For which step sizes $\eta > 0$ does "
            r"gradient descent converge from every start?  (c) Which fixed step $\eta^*$ "
            r"minimises the contraction factor $\max(|1 - \eta\mu|, |1 - \eta L|)$, and what is "
            r"that factor $\rho^*$?")


def solve(p: Params) -> Solution:
    from optsym import derivations
    from optsym.derivations import condition_number as cn
    from optsym.derivations import gd_quadratic as gq

    hess, gd = derivations.get("condition-number"), derivations.get("gd-quadratic")
    at = {cn.a: p["a"], cn.b: p["b"], cn.c: p["c"]}
    x, y, lam = sp.symbols("x y lambda")
    f = (p["a"] * x**2 + 2 * p["b"] * x * y + p["c"] * y**2) / 2
    H = sp.hessian(f, (x, y))
    s = Solution()
    s.say(rf"The Hessian is constant, $H = {sp.latex(H)}$, with characteristic polynomial "
          rf"$\det(H - \lambda I) = {sp.latex(H.charpoly(lam).as_expr())}$.")
    big = sp.radsimp(hess.result("L").expr.subs(at))
    small = sp.radsimp(hess.result("mu").expr.subs(at))
    s.say(rf"Its roots (the condition-number derivation) are "
          rf"$L = {tex(hess.result('L').expr)}$ and $\mu = {tex(hess.result('mu').expr)}$; with "
          rf"$a = {tex(p['a'])}$, $b = {tex(p['b'])}$, $c = {tex(p['c'])}$: "
          rf"$L = {sp.latex(big)}$ and $\mu = {sp.latex(small)}$, so "
          rf"$\kappa = L/\mu = {sp.latex(big / small)}$.")
    s.answer("L", "L", big)
    s.answer("mu", r"\mu", small)
    s.answer("kappa", r"\kappa", sp.radsimp(hess.result("kappa").expr.subs(at)))
    bound = sp.radsimp(gd.result("stable_step").expr.subs({gq.L: big, gq.mu: small}))
    s.say(r"Along the eigenvector of $\lambda$ the error is multiplied by $1 - \eta\lambda$ "
          r"each step, so gradient descent converges from every start iff "
          rf"$|1 - \eta L| < 1$, that is $0 < \eta < {tex(gd.result('stable_step').expr)} "
          rf"= {sp.latex(bound)}$.")
    s.answer("stable_step", r"\eta_{\max} = 2/L", bound)
    best = sp.radsimp(gd.result("optimal_step").expr.subs({gq.L: big, gq.mu: small}))
    rate = sp.radsimp(gd.result("rate").expr.subs({gq.L: big, gq.mu: small}))
    s.say(r"The contraction factor is smallest where $1 - \eta\mu = \eta L - 1$: "
          rf"$\eta^* = {tex(gd.result('optimal_step').expr)} = {sp.latex(best)}$, with "
          rf"$\rho^* = {tex(gd.result('rate').expr)} = {sp.latex(rate)}$.")
    s.answer("optimal_step", r"\eta^*", best)
    s.answer("rate", r"\rho^*", rate)
    return s


def check(p: Params, ans: Mapping[str, sp.Expr]) -> list[Check]:
    """numpy's eigenvalues, and optsym's generated gradient descent on the Hessian."""
    from optsym.derivations.gd_quadratic import gd_errors, stability_checks

    h = np.array([[float(p["a"]), float(p["b"])], [float(p["b"]), float(p["c"])]])
    lams, vecs = np.linalg.eigh(h)
    out = [Check("L and mu equal numpy eigvalsh of the Hessian",
                 close(lams[-1], ans["L"]) and close(lams[0], ans["mu"]),
                 (float(lams[-1]), float(lams[0])), (str(ans["L"]), str(ans["mu"]))),
           Check("kappa equals numpy's condition number of the Hessian",
                 close(float(np.linalg.cond(h)), ans["kappa"], rtol=1e-10),
                 float(np.linalg.cond(h)), str(ans["kappa"]))]
    # a start with a component along every eigenvector (no rational direction is orthogonal)
    start = np.array([1.0, math.sqrt(2.0)])
    out += stability_checks("step-size bound", lambda v: h @ v, start, np.zeros(2),
                            float(ans["stable_step"]))
    top = vecs[:, -1]
    below = gd_errors(lambda v: h @ v, top, np.zeros(2), (1 - EDGE) * float(ans["stable_step"]),
                      EDGE_STEPS)
    above = gd_errors(lambda v: h @ v, top, np.zeros(2), (1 + EDGE) * float(ans["stable_step"]),
                      EDGE_STEPS)
    out.append(Check(f"generated GD from the top eigenvector (numpy eigh): at (1 - {EDGE:g}) "
                     f"eta_max the error shrinks, at (1 + {EDGE:g}) eta_max it grows "
                     f"({EDGE_STEPS} steps)", bool(below[-1] < below[0] < above[-1]),
                     (float(below[-1]), float(above[-1])), "< 1 <",
                     f"||e_T||/||e_0|| = {below[-1]:.9f} and {above[-1]:.9f}"))

    def worst(step: float) -> float:
        """The largest one-step contraction of generated GD over the eigenvectors."""
        return max(gd_errors(lambda v: h @ v, q, np.zeros(2), step, 1)[1] for q in vecs.T)

    best = float(ans["optimal_step"])
    at_best = worst(best)
    out.append(Check("one generated GD step at eta* contracts the worst eigenvector (numpy "
                     "eigh) by rho*", close(at_best, ans["rate"], rtol=1e-9, atol=1e-12),
                     float(at_best), str(ans["rate"])))
    nearby = (float(worst((1 - EDGE) * best)), float(worst((1 + EDGE) * best)))
    out.append(Check(f"... and a step (1 -+ {EDGE:g}) eta* contracts the worst eigenvector less",
                     bool(min(nearby) > at_best), nearby, f"> {at_best}"))
    return out


TOPIC = Topic(
    name="step-size-bound", title="Step-size bound and condition number",
    intro=r"Each $f$ is a quadratic in two variables; $L$ and $\mu$ are the largest and the "
          r"smallest eigenvalue of its Hessian.  Give exact answers (fractions).",
    draw=draw, problem=problem, solve=solve, check=check)
