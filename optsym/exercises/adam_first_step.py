r"""Adam's first step (and its second under the same gradient).

.. math::

    \begin{align*}
    m_1 &= (1 - \beta_1) g, \quad v_1 = (1 - \beta_2) g^2, \quad
    \hat m_1 = \frac{m_1}{1 - \beta_1} = g, \quad \hat v_1 = \frac{v_1}{1 - \beta_2} = g^2 \\
    x_1 &= x_0 - \eta \frac{g}{|g| + \epsilon} \quad (\approx x_0 - \eta \operatorname{sign} g
        \text{ for a small } \epsilon)
    \end{align*}

Under a constant gradient the bias-corrected moments stay :math:`g` and :math:`g^2` (the
``adam-constant-gradient`` derivation), so the second step moves exactly as far as the first.
The draw picks rational gradients, rates, betas and :math:`\epsilon` (0 included: torch
accepts it); the answers are ``optsym.rules.adam``'s textbook equations in exact arithmetic
(helper F's ``optsym.examples.worked_example`` with a constant gradient); the check runs
optsym's generated Adam code and compares the iterates and its state (``exp_avg``,
``exp_avg_sq``) after each step.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

import sympy as sp

from optsym.derivation import Check
from optsym.exercises.rule_steps import state_at, state_checks, trajectory_checks, worked
from optsym.exercises.rule_steps import working as rule_working
from optsym.exercises.topic import Params, Solution, Topic, close, tex

GRADIENTS = tuple(sp.Rational(v) for v in ("1/2", "1", "2", "3", "1/4", "4", "3/2"))
RATES = tuple(sp.Rational(v) for v in ("1/10", "1/100", "1/1000", "1/20", "1/2"))
BETA1 = tuple(sp.Rational(v) for v in ("9/10", "1/2", "4/5"))
BETA2 = tuple(sp.Rational(v) for v in ("999/1000", "99/100", "9/10", "3/4"))
EPSILONS = tuple(sp.Rational(v) for v in ("0", "0", "1/2", "1", "1/100"))
STEPS = 2
NAMES = {"exp_avg": "m", "exp_avg_sq": "v", "m_hat": r"\hat m", "v_hat": r"\hat v",
         "denom": "d"}


def hypers(p: Params) -> dict:
    return {"lr": p["lr"], "beta1": p["beta1"], "beta2": p["beta2"], "eps": p["eps"]}


def draw(rng: random.Random) -> dict:
    grad = tuple(rng.choice(GRADIENTS) * rng.choice((1, -1)) for _ in range(2))
    return {"x0": tuple(sp.Integer(rng.randint(-3, 3)) for _ in range(2)), "g": grad,
            "lr": rng.choice(RATES), "beta1": rng.choice(BETA1), "beta2": rng.choice(BETA2),
            "eps": rng.choice(EPSILONS)}


def problem(p: Params) -> str:
    return (r"Adam (torch's \texttt{Adam}, bias-corrected, no weight decay) with "
            rf"$\eta = {tex(p['lr'])}$, $\beta_1 = {tex(p['beta1'])}$, "
            rf"$\beta_2 = {tex(p['beta2'])}$, $\epsilon = {tex(p['eps'])}$ starts at "
            rf"$x_0 = {tex(p['x0'])}$ with $m_0 = v_0 = 0$ and receives the gradient "
            rf"$g = {tex(p['g'])}$.  (a) Compute $m_1$, $v_1$, $\hat m_1$, $\hat v_1$ and "
            r"$x_1$.  (b) The same gradient arrives again: compute $m_2$, $v_2$ and $x_2$.  "
            r"How far does each coordinate move per step?")


def solve(p: Params) -> Solution:
    ex = worked("adam", None, p["x0"], hypers(p), STEPS, grad=p["g"])
    s = Solution()
    s.say(r"torch's Adam, coordinate by coordinate ($t$ counts the steps):")
    for line in rule_working(ex, NAMES):
        s.say(line)
    s.say(r"The bias corrections give $\hat m_t = g$ and $\hat v_t = g^2$ at every step under a "
          r"constant gradient, so each step moves each coordinate by "
          r"$-\eta\, g / (|g| + \epsilon)$"
          + (r", exactly $\eta$ against the sign of $g$ here ($\epsilon = 0$)."
             if p["eps"] == 0 else "."))
    for t in range(1, STEPS + 1):
        s.answer(f"m{t}", f"m_{t}", sp.Tuple(*state_at(ex, t, "exp_avg")))
        s.answer(f"v{t}", f"v_{t}", sp.Tuple(*state_at(ex, t, "exp_avg_sq")))
        s.answer(f"x{t}", f"x_{t}", sp.Tuple(*ex.iterates[t]))
        if t == 1:
            s.answer("mhat1", r"\hat m_1", sp.Tuple(*state_at(ex, t, "m_hat")))
            s.answer("vhat1", r"\hat v_1", sp.Tuple(*state_at(ex, t, "v_hat")))
            s.answer("step", r"x_t - x_{t-1}", sp.Tuple(*constant_gradient(p, "step")))
    return s


def constant_gradient(p: Params, key: str) -> tuple[sp.Expr, ...]:
    """The adam-constant-gradient derivation's result ``key``, per coordinate, exactly."""
    from optsym import derivations

    d = derivations.get("adam-constant-gradient")
    sym = {q.name: q.symbol for q in d.params}
    expr = d.result(key).expr
    return tuple(sp.simplify(expr.subs({sym["g"]: gi, sym["lr"]: p["lr"], sym["eps"]: p["eps"],
                                        sym["beta1"]: p["beta1"], sym["beta2"]: p["beta2"]}))
                 for gi in p["g"])


def check(p: Params, ans: Mapping[str, sp.Expr]) -> list[Check]:
    """optsym's generated Adam code: its iterates, its state, its displacement per step;
    the bias-corrected moments against the adam-constant-gradient derivation."""
    from optsym.trajectory import run_generated

    out = trajectory_checks("adam", hypers(p), None, p["x0"],
                            [tuple(ans[f"x{t}"]) for t in range(1, STEPS + 1)], grad=p["g"])
    expected = {}
    for t in range(1, STEPS + 1):
        expected[(t, "exp_avg")] = tuple(ans[f"m{t}"])
        expected[(t, "exp_avg_sq")] = tuple(ans[f"v{t}"])
    out += state_checks("adam", hypers(p), None, p["x0"], expected, grad=p["g"])
    path = run_generated("adam", hypers(p), None, p["x0"], STEPS, constant_grad=p["g"])
    moved = [[float(b) - float(a) for a, b in zip(path[t - 1], path[t])]
             for t in range(1, STEPS + 1)]
    out.append(Check("the displacement per step equals x_t - x_(t-1) of optsym's generated Adam "
                     "code at every step", all(close(m, e, rtol=1e-10) for row in moved
                                               for m, e in zip(row, ans["step"])),
                     moved, [sp.sstr(e) for e in ans["step"]]))
    for key in ("m_hat", "v_hat"):
        exact = constant_gradient(p, key)
        given = tuple(ans[key.replace("_", "") + "1"])
        out.append(Check(f"{key}_1 equals the adam-constant-gradient derivation's {key}",
                         given == exact, [sp.sstr(v) for v in given],
                         [sp.sstr(v) for v in exact]))
    return out


TOPIC = Topic(
    name="adam-first-step", title="The first Adam step",
    intro=r"torch's Adam: $m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t$, "
          r"$v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2$, $\hat m_t = m_t / (1 - \beta_1^t)$, "
          r"$\hat v_t = v_t / (1 - \beta_2^t)$, $x_t = x_{t-1} - \eta \hat m_t / (\sqrt{\hat v_t}"
          r" + \epsilon)$, coordinate by coordinate.  Give exact answers (fractions).",
    draw=draw, problem=problem, solve=solve, check=check)
