r"""Momentum steps (torch's SGD convention, optionally Nesterov) on a one-dimensional quadratic.

.. math::

    \begin{align*}
    g_t &= f'(x_{t-1}), \qquad
    b_t = \begin{cases} g_t & t = 1 \\ \mu b_{t-1} + g_t & t > 1 \end{cases}, \qquad
    x_t = x_{t-1} - \eta \begin{cases} g_t + \mu b_t & \text{Nesterov} \\ b_t & \text{else}
    \end{cases}
    \end{align*}

The draw picks :math:`f(x) = a (x - b)^2`, :math:`\eta` and :math:`\mu` with small
denominators (their product at most 10, so three steps stay tidy fractions).  The answers are
``optsym.rules.sgd``'s textbook equations in exact arithmetic (helper F's
``optsym.examples.worked_example``); the check runs optsym's generated SGD code and compares
both the iterates and its momentum buffer after every step.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

import sympy as sp

from optsym.derivation import Check
from optsym.exercises.rule_steps import (
    one_dimensional,
    state_at,
    state_checks,
    trajectory_checks,
    worked,
)
from optsym.exercises.rule_steps import (
    working as rule_working,
)
from optsym.exercises.topic import Params, Solution, Topic, tex

x = sp.Symbol("x", real=True)
CURVATURES = tuple(sp.Rational(v) for v in ("1/2", "1", "2"))
STEPS = tuple(sp.Rational(v) for v in ("1/10", "1/8", "1/5", "1/4", "1/2"))
MOMENTA = tuple(sp.Rational(v) for v in ("1/2", "1/4", "1/3", "3/4", "9/10"))
STEPS_ASKED = 3
#: the largest product of the denominators of eta, mu and f'' (3 steps: its cube bounds x_3's)
MAX_DENOMINATORS = 10


def objective(p: Params):
    return one_dimensional("quadratic", p["a"] * (x - p["b"]) ** 2, x)


def hypers(p: Params) -> dict:
    return {"lr": p["lr"], "momentum": p["momentum"], "nesterov": p["nesterov"]}


def draw(rng: random.Random) -> dict:
    while True:
        a, lr, mu = rng.choice(CURVATURES), rng.choice(STEPS), rng.choice(MOMENTA)
        curvature = sp.diff(objective({"a": a, "b": 0}).expr, x, 2)
        # eta f'' <= 1 keeps the steps from overshooting wildly
        if curvature.q * lr.q * mu.q <= MAX_DENOMINATORS and curvature * lr <= 1:
            break
    b = rng.randint(-3, 3)
    return {"a": a, "b": sp.Integer(b), "x0": sp.Integer(b + rng.choice((-4, -2, 2, 4, 1))),
            "lr": lr, "momentum": mu, "nesterov": rng.random() < 0.3}


def problem(p: Params) -> str:
    kind = "Nesterov momentum" if p["nesterov"] else "momentum"
    return (rf"SGD with {kind} (torch's convention), $\eta = {tex(p['lr'])}$, "
            rf"$\mu = {tex(p['momentum'])}$, runs on $f(x) = {sp.latex(objective(p).expr)}$ "
            rf"from $x_0 = {tex(p['x0'])}$.  Compute the momentum buffer $b_t$ and the iterate "
            rf"$x_t$ for $t = 1, \dots, {STEPS_ASKED}$.")


def solve(p: Params) -> Solution:
    f = objective(p)
    ex = worked("sgd", f, (p["x0"],), hypers(p), STEPS_ASKED)
    s = Solution(per_row=2)
    s.say(rf"$f'(x) = {sp.latex(sp.factor(f.gradient()[0]))}$.  torch's SGD starts the buffer "
          r"at the first gradient ($b_1 = g_1$, no dampening), then $b_t = \mu b_{t-1} + g_t$"
          + (r"; Nesterov steps along $d_t = g_t + \mu b_t$." if p["nesterov"] else
             r"; the step is $x_t = x_{t-1} - \eta b_t$."))
    for line in rule_working(ex, {"momentum_buffer": "b", "direction": "d"}):
        s.say(line)
    for t in range(1, STEPS_ASKED + 1):
        s.answer(f"b{t}", f"b_{t}", state_at(ex, t, "momentum_buffer")[0])
        s.answer(f"x{t}", f"x_{t}", ex.iterates[t][0])
    return s


def check(p: Params, ans: Mapping[str, sp.Expr]) -> list[Check]:
    """optsym's generated SGD code: its iterates and its momentum buffer."""
    f = objective(p)
    out = trajectory_checks("sgd", hypers(p), f, (p["x0"],),
                            [(ans[f"x{t}"],) for t in range(1, STEPS_ASKED + 1)])
    out += state_checks("sgd", hypers(p), f, (p["x0"],),
                        {(t, "momentum_buffer"): (ans[f"b{t}"],)
                         for t in range(1, STEPS_ASKED + 1)})
    return out


TOPIC = Topic(
    name="momentum-steps", title="Momentum steps",
    intro=r"torch's momentum convention: $b_1 = g_1$, $b_t = \mu b_{t-1} + g_t$, "
          r"$x_t = x_{t-1} - \eta b_t$ (Nesterov: $x_t = x_{t-1} - \eta (g_t + \mu b_t)$), with "
          r"$g_t = f'(x_{t-1})$.  Give exact answers (fractions).",
    draw=draw, problem=problem, solve=solve, check=check)
