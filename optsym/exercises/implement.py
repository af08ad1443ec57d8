r"""Implement an optimizer from scratch, predict its first two steps, and check it with
``optsym check``.

The draw picks one of SGD with momentum, RMSprop, Adam and AdamW, exact hyperparameters under
torch's argument names, a start :math:`x_0` and a constant gradient :math:`g`.  The student
writes a class ``MyOpt(params, lr=..., ...)`` whose ``step()`` reads ``p.grad`` (no
``torch.optim``), computes :math:`x_1, x_2` by hand, and runs the solution checker::

    optsym check my_opt.py:MyOpt --rule adam

which answers *equal* (bitwise, or within the rounding bound of the textbook form) or names
the slip (bias correction missing, eps inside the square root, ...) with its first differing
step.  The solution shows the rule's textbook equations, printed from its spec, and the two
steps in exact arithmetic (:func:`optsym.examples.worked_example`); the check runs optsym's
generated code for the rule (torch's operation order, float64) on the same problem.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

import sympy as sp

from optsym.derivation import Check
from optsym.exercises.rule_steps import trajectory_checks, worked
from optsym.exercises.rule_steps import working as rule_working
from optsym.exercises.topic import Params, Solution, Topic, tex

STEPS = 2
GRADIENTS = tuple(sp.Rational(v) for v in ("1/2", "1", "2", "1/4", "3/2"))
CHOICES: dict[str, dict[str, tuple[sp.Rational, ...]]] = {
    "sgd": {"lr": ("1/10", "1/4", "1/2"), "momentum": ("1/2", "9/10", "3/4")},
    "rmsprop": {"lr": ("1/100", "1/10"), "alpha": ("3/4", "99/100", "15/16"),
                "eps": ("0", "1/100")},
    "adam": {"lr": ("1/10", "1/100"), "beta1": ("9/10", "1/2"), "beta2": ("99/100", "3/4"),
             "eps": ("0", "1/2")},
    "adamw": {"lr": ("1/10", "1/100"), "beta1": ("9/10", "1/2"), "beta2": ("99/100", "3/4"),
              "eps": ("0",), "weight_decay": ("1/10", "1/2")},
}


def draw(rng: random.Random) -> dict:
    rule = rng.choice(sorted(CHOICES))
    drawn = {k: sp.Rational(rng.choice(v)) for k, v in CHOICES[rule].items()}
    grad = tuple(rng.choice(GRADIENTS) * rng.choice((1, -1)) for _ in range(2))
    return {"rule": rule, **drawn, "g": grad,
            "x0": tuple(sp.Integer(rng.randint(-3, 3)) for _ in range(2))}


def hypers(p: Params) -> dict:
    """The drawn hyperparameters of the drawn rule, under torch's argument names."""
    return {k: p[k] for k in CHOICES[p["rule"]]}


def _title(p: Params) -> str:
    from optsym import rules

    return rules.get(p["rule"]).title


def _arguments(p: Params) -> str:
    return ", ".join(rf"\texttt{{{k.replace('_', chr(92) + '_')}}} $= {tex(v)}$"
                     for k, v in hypers(p).items())


def problem(p: Params) -> str:
    name = p["rule"]
    return (rf"Implement {_title(p)} from scratch, as torch's \texttt{{{name}}} computes it "
            r"(a Python class \texttt{MyOpt(params, lr, ...)} whose \texttt{step()} reads "
            r"\texttt{p.grad}; no \texttt{torch.optim}), with " + _arguments(p) + ".  "
            rf"(a) Before running it, compute by hand the iterates $x_1$ and $x_2$ from "
            rf"$x_0 = {tex(p['x0'])}$ when the gradient is $g = {tex(p['g'])}$ at both steps "
            r"(all state starts at 0).  Your class, given \texttt{p.grad} $= g$ twice, must "
            r"print the same.  (b) Check your implementation with "
            rf"\texttt{{optsym check my\_opt.py:MyOpt --rule {name}}}: it must answer "
            r"\emph{equal} (bitwise, or within the rounding bound); otherwise it names the "
            r"slip and the first step where your code leaves the rule.")


def _equations(p: Params) -> str:
    from optsym import rules
    from optsym.rules.docmath import equations
    from optsym.trajectory import rule_config

    spec = rules.get(p["rule"])
    block = equations(spec, rule_config(spec, hypers(p)))
    return r"\[" + block.replace("align*", "aligned") + r"\]"


def solve(p: Params) -> Solution:
    ex = worked(p["rule"], None, p["x0"], hypers(p), STEPS, grad=p["g"])
    s = Solution()
    s.say(r"The rule, line by line (each line reads what the lines before it wrote; "
          r"$t = 1$ on the first step); \texttt{step()} does this for every parameter:")
    s.say(_equations(p))
    s.say("The two steps in exact arithmetic, coordinate by coordinate:")
    for line in rule_working(ex):
        s.say(line)
    for t in range(1, STEPS + 1):
        s.answer(f"x{t}", f"x_{t}", sp.Tuple(*ex.iterates[t]))
    s.say(rf"(b) \texttt{{optsym check my\_opt.py:MyOpt --rule {p['rule']}}} runs the class "
          r"against optsym's spec over the rule's sweep, in float32 and float64, for 100 steps "
          r"with a changing learning rate.")
    return s


def check(p: Params, ans: Mapping[str, sp.Expr]) -> list[Check]:
    """optsym's generated code for the rule: its iterates on the same problem."""
    return trajectory_checks(p["rule"], hypers(p), None, p["x0"],
                             [tuple(ans[f"x{t}"]) for t in range(1, STEPS + 1)], grad=p["g"])


TOPIC = Topic(
    name="implement-optimizer", title="Implement an optimizer and check it",
    intro=r"Each problem asks for an implementation from scratch, two steps computed by hand, "
          r"and a run of the solution checker \texttt{optsym check}.  Give exact answers "
          r"(fractions and square roots).",
    draw=draw, problem=problem, solve=solve, check=check, vary=("rule",))
