r"""Proofs that an implementation form computes the textbook form.

An update is a list of assignments run in order.  :func:`compose` turns it into closed
expressions: the new parameter and the new value of each state variable as functions of the
step's inputs (old parameter, gradient, old state, hyperparameters, t).  :func:`prove_rule` then
shows, for every output,

.. math::

    \operatorname{to\_math}(\text{implementation}) - \text{textbook} \equiv 0

symbolically (``simplify``; where a square root must be split, with the power rules that the
rule's stated assumptions justify), and backs each symbolic verdict with a numeric check at random
points of the domain in 50-digit arithmetic, because SymPy can be wrong silently.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import sympy as sp

from optsym.ops import to_math
from optsym.spec import Assign, Config, Rule, State, latex, t, theta


def compose(equations: tuple[Assign, ...]) -> dict[sp.Symbol, sp.Expr]:
    """Each assigned symbol's final value as an expression of the step's inputs."""
    env: dict[sp.Symbol, sp.Expr] = {}
    for eq in equations:
        env[eq.target] = to_math(eq.expr).xreplace(env)
    return env


def outputs(rule: Rule, cfg: Config) -> list[tuple[str, sp.Symbol]]:
    """(name, symbol) of what a step writes: the parameter, then each state variable."""
    return [("param", theta)] + [(s.name, s.symbol) for s in rule.states(cfg)]


def _is_zero(expr: sp.Expr) -> str | None:
    """The method that reduces ``expr`` to 0, or None."""
    expr = sp.piecewise_fold(expr)
    if isinstance(expr, sp.Piecewise):
        methods = [_is_zero(branch) for branch, _ in expr.args]
        return None if None in methods else "by cases: " + ", ".join(sorted(set(methods)))
    if sp.simplify(expr) == 0:
        return "simplify"
    forced = sp.powdenest(sp.expand_power_base(sp.powsimp(expr, force=True), force=True),
                          force=True)
    if sp.simplify(forced) == 0:
        return "simplify with the power rules of the stated assumptions"
    return None


@dataclass(frozen=True)
class Obligation:
    """One output's proof: the two forms, the symbolic verdict and its numeric cross-check."""

    output: str
    implementation: sp.Expr
    textbook: sp.Expr
    method: str | None
    numeric_max_diff: float
    points: int

    @property
    def holds(self) -> bool:
        return self.method is not None and self.numeric_max_diff <= 1e-30

    def as_dict(self) -> dict:
        return {"output": self.output, "holds": self.holds, "method": self.method,
                "implementation": str(self.implementation), "textbook": str(self.textbook),
                "implementation_latex": latex(self.implementation),
                "textbook_latex": latex(self.textbook),
                "numeric_max_diff": self.numeric_max_diff, "numeric_points": self.points}


def _sample(rule: Rule, cfg: Config, symbols: set[sp.Symbol], states: tuple[State, ...],
            rng: random.Random, step: int | None = None) -> dict[sp.Symbol, sp.Float]:
    """A random point of the domain: hyperparameters from their ranges, t >= 1, v >= 0."""
    ranges = {h.symbol: h.sample for h in rule.hypers if h.symbol is not None}
    nonneg = {s.symbol for s in states if s.nonnegative}
    point: dict[sp.Symbol, sp.Float] = {}
    for sym in symbols:
        if sym == t:
            point[sym] = sp.Integer(step if step is not None else rng.randint(1, 30))
        elif sym in ranges:
            lo, hi = ranges[sym]
            point[sym] = sp.Float(rng.uniform(lo, hi), 50)
        elif sym in nonneg:
            point[sym] = sp.Float(rng.uniform(0.0, 3.0), 50)
        else:
            point[sym] = sp.Float(rng.uniform(-3.0, 3.0), 50)
    return point


def numeric_check(rule: Rule, cfg: Config, a: sp.Expr, b: sp.Expr, points: int = 6,
                  seed: int = 0) -> float:
    """max |a - b| over random domain points, evaluated with 50 significant digits.

    The first points take t = 1 and t = 2, where step-1 special cases live; a difference that
    does not evaluate to a number counts as infinite.
    """
    rng = random.Random(seed)
    symbols = a.free_symbols | b.free_symbols
    worst = 0.0
    for i in range(points):
        point = _sample(rule, cfg, symbols, rule.states(cfg), rng, step=i + 1 if i < 2 else None)
        diff = sp.N((a - b).xreplace(point), 50)
        try:
            size = float(abs(diff))
        except TypeError:
            size = float("inf")
        worst = max(worst, size if size == size else float("inf"))
    return worst


def prove_rule(rule: Rule, cfg: Config, points: int = 6, path: str = "single"
               ) -> list[Obligation]:
    """Prove, output by output, that torch's ``path`` form equals the textbook form."""
    impl = compose(rule.implementation_for(path)(cfg))
    book = compose(rule.textbook(cfg))
    result = []
    for name, sym in outputs(rule, cfg):
        a, b = impl.get(sym, sym), book.get(sym, sym)
        result.append(Obligation(name, a, b, _is_zero(a - b), numeric_check(rule, cfg, a, b,
                                                                            points), points))
    return result

