r"""Gradient descent on a one-dimensional quadratic :math:`f(x) = a (x - b)^2`.

.. math::

    \begin{align*}
    x_{t+1} &= x_t - \eta f'(x_t), \qquad f'(x) = 2 a (x - b), \qquad \lambda = f'' = 2a \\
    x_t - b &= (1 - \eta\lambda)^t (x_0 - b), \qquad
        \text{converges} \iff 0 < \eta < \frac{2}{\lambda} = \frac1a
    \end{align*}

The draw picks :math:`a`, :math:`\eta` and integer :math:`b, x_0` so that the factor
:math:`1 - \eta\lambda` is a simple fraction in :math:`[-2, 1)`.  The iterates are SGD's
textbook equations (``optsym.rules.sgd``, momentum 0) in exact arithmetic (helper F's
``optsym.examples.worked_example``), the closed form is the ``gd-quadratic`` derivation's
error recursion (``sympy.rsolve``), the bound its ``stable_step``; the check runs optsym's
generated SGD code (:func:`optsym.trajectory.run_generated`) for the iterates, far out for the
closed form, and just below and just above the bound.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

import sympy as sp

from optsym.derivation import Check
from optsym.exercises.rule_steps import one_dimensional, trajectory_checks, worked
from optsym.exercises.topic import Params, Solution, Topic, close, tex

x, t = sp.Symbol("x", real=True), sp.Symbol("t", integer=True, nonnegative=True)
CURVATURES = tuple(sp.Rational(v) for v in ("1/2", "1", "2", "3", "1/4"))
STEPS = tuple(sp.Rational(v) for v in ("1/12", "1/8", "1/6", "1/4", "1/3", "1/2", "3/4", "1",
                                       "3/2"))
#: iterates asked for, and the step at which the closed form is checked against generated code
ASKED, FAR = 3, 25
#: the largest denominator of the factor r (so that x_3 stays a tidy fraction)
MAX_DENOMINATOR = 4
#: relative distance from the bound at which generated GD must converge / diverge
EDGE, EDGE_STEPS = 1e-5, 200


def objective(p: Params):
    return one_dimensional("quadratic", p["a"] * (x - p["b"]) ** 2, x)


def _recursion():
    """The gd-quadratic derivation's error recursion along one eigen-direction:
    ``z(t) = z_0 (1 - eta lambda)^t`` (sympy.rsolve) and its symbols."""
    from optsym import derivations
    from optsym.derivations import gd_quadratic as gq

    for step in derivations.get("gd-quadratic").sheet().steps:
        if isinstance(step.expr, sp.Eq) and getattr(step.expr.lhs, "func", None) == gq.z:
            return step.expr.rhs, gq
    raise LookupError("the gd-quadratic derivation has no error recursion z(t)")


def factor(a: sp.Expr, lr: sp.Expr) -> sp.Expr:
    """The per-step factor of the error, from the derivation's closed form at t = 1."""
    closed, gq = _recursion()
    curvature = sp.diff(a * (x - 1) ** 2, x, 2)
    return sp.simplify(closed.subs({gq.t: 1, sp.Symbol("z_0"): 1, gq.eta: lr, gq.lam: curvature}))


def draw(rng: random.Random) -> dict:
    while True:
        a, lr = rng.choice(CURVATURES), rng.choice(STEPS)
        r = factor(a, lr)
        if -2 <= r < 1 and r.q <= MAX_DENOMINATOR:
            break
    b = rng.randint(-3, 3)
    x0 = b + rng.choice((-4, -3, -2, -1, 1, 2, 3, 4))
    return {"a": a, "b": sp.Integer(b), "x0": sp.Integer(x0), "lr": lr}


def problem(p: Params) -> str:
    return (rf"Gradient descent $x_{{t+1}} = x_t - \eta f'(x_t)$ with $\eta = {tex(p['lr'])}$ "
            rf"runs on $f(x) = {sp.latex(objective(p).expr)}$ from $x_0 = {tex(p['x0'])}$.  "
            r"(a) Compute $x_1, x_2, x_3$.  (b) Find $r$ with $x_t - b = r^t (x_0 - b)$ "
            rf"(here $b = {tex(p['b'])}$, the minimiser) and $x_t$ in closed form.  (c) For "
            r"which step sizes $\eta > 0$ does gradient descent converge on this $f$, from "
            r"every start?")


def solve(p: Params) -> Solution:
    from optsym import derivations

    f = objective(p)
    s = Solution()
    ex = worked("sgd", f, (p["x0"],), {"lr": p["lr"]}, ASKED)
    s.say(rf"$f'(x) = {sp.latex(sp.factor(f.gradient()[0]))}$, so each step is "
          rf"$x_{{t+1}} = x_t - {tex(p['lr'])} f'(x_t)$:")
    for i in range(1, ASKED + 1):
        prev, now = ex.iterates[i - 1][0], ex.iterates[i][0]
        s.say(rf"$x_{i} = {tex(prev)} - {tex(p['lr'])} \cdot "
              rf"({tex(f.grad_at((prev,))[0])}) = {tex(now)}$.")
        s.answer(f"x{i}", f"x_{i}", now)
    closed, gq = _recursion()
    curvature = sp.diff(f.expr, x, 2)
    r = factor(p["a"], p["lr"])
    s.say(rf"The error $z_t = x_t - b$ obeys $z_{{t+1}} = (1 - \eta\lambda) z_t$ with "
          rf"$\lambda = f'' = {tex(curvature)}$, so $z_t = {sp.latex(closed)}$ "
          rf"(the gd-quadratic derivation) with $r = 1 - \eta\lambda = {tex(r)}$.")
    s.answer("r", "r", r)
    x_t = p["b"] + closed.subs({gq.t: t, sp.Symbol("z_0"): p["x0"] - p["b"], gq.eta: p["lr"],
                                gq.lam: curvature})
    s.answer("x_t", "x_t", x_t)
    bound = derivations.get("gd-quadratic").result("stable_step").expr.subs(gq.L, curvature)
    s.say(rf"It converges from every start iff $|r| < 1$, that is $0 < \eta < 2/\lambda = "
          rf"{tex(bound)}$" + (r"; here $|r| < 1$: it converges." if abs(r) < 1 else
                                r"; here $|r| \ge 1$: it does not converge."))
    s.answer("eta_max", r"\eta_{\max}", bound)
    return s


def check(p: Params, ans: Mapping[str, sp.Expr]) -> list[Check]:
    """optsym's generated SGD code: the iterates, the closed form far out, the bound."""
    from optsym.trajectory import run_generated

    f = objective(p)
    hypers = {"lr": p["lr"]}
    far = run_generated("sgd", hypers, f, (p["x0"],), FAR)
    out = trajectory_checks("sgd", hypers, f, (p["x0"],),
                            [(ans[f"x{i}"],) for i in range(1, ASKED + 1)], path=far)
    at = (0, 1, 2, 5, 10, FAR)
    measured = [float(far[k][0]) for k in at]
    exact = [ans["x_t"].subs(t, k) for k in at]
    scale = 1e-13 * float(abs(p["x0"] - p["b"]) + abs(p["b"]))
    out.append(Check(f"the closed form x_t at t = {', '.join(map(str, at))} equals optsym's "
                     "generated SGD code", all(close(m, e, rtol=1e-10, atol=scale)
                                               for m, e in zip(measured, exact)),
                     measured, [sp.sstr(e) for e in exact]))
    measured_r = (float(far[1][0]) - float(p["b"])) / (float(p["x0"]) - float(p["b"]))
    out.append(Check("r = (x_1 - b)/(x_0 - b) of optsym's generated SGD code",
                     close(measured_r, ans["r"]), measured_r, sp.sstr(ans["r"])))
    sizes = []
    for scale in (1 - EDGE, 1 + EDGE):
        path = run_generated("sgd", {"lr": scale * float(ans["eta_max"])}, f, (p["x0"],),
                             EDGE_STEPS)
        sizes.append(abs(float(path[-1][0]) - float(p["b"])) / abs(float(p["x0"] - p["b"])))
    out.append(Check(f"generated SGD at (1 - {EDGE:g}) eta_max converges and at "
                     f"(1 + {EDGE:g}) eta_max diverges ({EDGE_STEPS} steps)",
                     bool(sizes[0] < 1 < sizes[1]), sizes, "< 1 <",
                     f"|x_T - b|/|x_0 - b| = {sizes[0]:.9f} and {sizes[1]:.9f}"))
    return out


TOPIC = Topic(
    name="gd-quadratic", title="Gradient descent on a quadratic",
    intro=r"Each problem runs plain gradient descent (torch's \texttt{SGD} without momentum) on "
          r"a one-dimensional quadratic.  Give exact answers (fractions).",
    draw=draw, problem=problem, solve=solve, check=check, vary=("a", "b", "lr"))
