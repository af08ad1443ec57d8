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

import itertools
import random
from dataclasses import dataclass

import sympy as sp

from optsym.listops import TensorList, has_lists
from optsym.ops import to_math
from optsym.spec import (
    PER_TENSOR_CODE,
    Assign,
    Config,
    Rule,
    State,
    TensorSymbol,
    is_tensor_expr,
    latex,
    t,
    theta,
)


def compose(equations: tuple[Assign, ...], keep: tuple[type, ...] = ()
            ) -> dict[sp.Symbol, sp.Expr]:
    """Each assigned symbol's final value as an expression of the step's inputs (framework
    operations replaced by their meaning, except those of the types in ``keep``).

    Over lists of tensors (a transform, :mod:`optsym.listops`) earlier values are substituted
    *before* the nodes are replaced by their meanings: a list-valued node (``_foreach_norm``)
    must see the list formula that a later node (``vector_norm``) reduces; and a Float in such a
    form is the double it prints as (``max=1.0``), read as that exact number.
    """
    env: dict[sp.Symbol, sp.Expr] = {}
    lists = any(has_lists(eq.expr) or isinstance(eq.target, TensorList) for eq in equations)
    for eq in equations:
        if lists:
            value = to_math(eq.expr.xreplace(env), keep)
            env[eq.target] = value.xreplace({f: sp.Rational(f) for f in value.atoms(sp.Float)})
        else:
            env[eq.target] = to_math(eq.expr, keep).xreplace(env)
    return env


def outputs(rule: Rule, cfg: Config) -> list[tuple[str, sp.Symbol]]:
    """(name, symbol) of what a step writes: the parameter, then each state variable."""
    return [("param", theta)] + [(s.name, s.symbol) for s in rule.states(cfg)]


def _rational_identity(expr: sp.Expr) -> bool:
    """True if ``expr`` is 0 as a rational function of its variables and of its non-rational
    subterms (square roots, ``beta**t``, Max, ...) each taken as an opaque symbol: a sufficient
    condition, fast where ``simplify`` is slow (NAdam's two step sizes)."""
    cache: dict[sp.Basic, sp.Dummy] = {}

    def opaque(e: sp.Basic) -> sp.Basic:
        if e.is_Atom:
            return e
        e = e.func(*[opaque(a) for a in e.args])
        if (e.is_Pow and not e.exp.is_Integer) or isinstance(e, sp.Function):
            return cache.setdefault(e, sp.Dummy())
        return e

    try:
        return sp.expand(sp.numer(sp.together(opaque(expr)))) == 0
    except (TypeError, ValueError):  # a node that cannot be rebuilt from its arguments
        return False


def zero_method(expr: sp.Expr) -> str | None:
    """The method that reduces ``expr`` to 0, or None (the one zero-prover: rules' proofs and
    the conventions' induction use it)."""
    expr = sp.piecewise_fold(expr)
    if isinstance(expr, sp.Piecewise):
        methods = [zero_method(branch) for branch, _ in expr.args]
        return None if None in methods else "by cases: " + ", ".join(sorted(set(methods)))
    if _rational_identity(expr):
        return "rational identity (roots and powers as opaque terms)"
    if sp.expand(expr) == 0:  # cheap where simplify is slow (Adafactor's nested norms)
        return "expand"
    if _sign_symbols(expr):
        # the forced power rules treat every symbol as positive (|g| -> g, sign(g) -> 1): where
        # a tensor's sign matters they could prove a false identity; the caller splits by cases
        return "simplify" if sp.simplify(expr) == 0 else None
    forced = sp.powdenest(sp.expand_power_base(sp.powsimp(expr, force=True), force=True),
                          force=True)
    if _rational_identity(forced):  # sqrt(v/c) = sqrt(v)/sqrt(c): NAdam's foreach order
        return "rational identity with the power rules of the stated assumptions"
    if sp.simplify(expr) == 0:
        return "simplify"
    if sp.simplify(forced) == 0:
        return "simplify with the power rules of the stated assumptions"
    return None


_is_zero = zero_method


def _sign_symbols(expr: sp.Expr) -> list[sp.Symbol]:
    """The tensor symbols whose sign picks a branch: inside a ``sign``, an ``Abs`` or a tensor
    condition."""
    found: set[sp.Symbol] = set()
    for node in sp.preorder_traversal(expr):
        relational = isinstance(node, sp.core.relational.Relational)
        if isinstance(node, (sp.sign, sp.Abs)) or (relational and is_tensor_expr(node)):
            found |= {s for s in node.free_symbols if isinstance(s, TensorSymbol)
                      and not isinstance(s, TensorList)}  # a list's sign means nothing
    return sorted(found, key=str)


def _is_zero_by_cases(expr: sp.Expr, facts: tuple = ()) -> str | None:
    """:func:`_is_zero`, or case by case on the sign (+, -, 0) of each symbol a branch
    depends on (directly where an elementwise selection is present).

    In each case the symbol is replaced by ``+a``, ``-a`` (``a`` a positive symbol) or 0, so
    ``sign`` and the elementwise conditions evaluate; conditions between hyperparameters left
    over (Rprop's ``etaplus == etaminus``) are decided by the rule's ``proof_facts``.  The
    cases cover every real value of the symbols, so the verdict is a proof.
    """
    syms = _sign_symbols(expr)
    selects = any(isinstance(node, sp.Piecewise) and is_tensor_expr(node.args[0].cond)
                  for node in sp.preorder_traversal(expr))
    if not selects:  # elementwise selections are proved by cases directly (faster, and sound)
        method = _is_zero(sp.refine(expr, sp.And(*facts)) if facts else expr)
        if method is not None or not syms:
            return method
    methods = set()
    for signs in itertools.product((1, -1, 0), repeat=len(syms)):
        case = expr.xreplace({s: k * sp.Dummy(f"abs_{s}", positive=True)
                              for s, k in zip(syms, signs)})
        method = _is_zero(sp.refine(case, sp.And(*facts)) if facts else case)
        if method is None:
            return None
        methods.add(method)
    return (f"by cases on the signs of {', '.join(map(str, syms))} ({3 ** len(syms)} cases): "
            + ", ".join(sorted(methods)))


def zero_by(expr: sp.Expr, facts: tuple = (),
            regions: tuple[tuple[str, dict], ...] = ()) -> str | None:
    """How ``expr`` (a difference of two forms) reduces to 0, or None: :func:`_is_zero_by_cases`,
    else region by region when the spec names ``regions`` that cover its domain (``(name,
    substitution)``: clamping's g < -c, -c <= g <= c, g > c, each by nonnegative symbols)."""
    method = _is_zero_by_cases(expr, facts)
    if method is not None or not regions:
        return method
    if all(_is_zero_by_cases(expr.xreplace(sub), facts) is not None for _, sub in regions):
        return "by cases: " + "; ".join(name for name, _ in regions)
    return None


def max_difference(a: sp.Expr, b: sp.Expr, points) -> float:
    """max |a - b| over ``points`` (substitutions), each form evaluated on its own in 50-digit
    arithmetic (a difference that SymPy cancels is still measured); not a number counts as
    infinite."""
    worst = 0.0
    for point in points:
        try:
            size = float(abs(sp.N(a.xreplace(point), 50) - sp.N(b.xreplace(point), 50)))
        except TypeError:
            size = float("inf")
        worst = max(worst, size if size == size else float("inf"))
    return worst


@dataclass(frozen=True)
class Obligation:
    """One equation of a proof, ``implementation = textbook``: the two sides, how SymPy showed
    their difference is 0 (``method``; None: it did not), and the numeric cross-check at
    ``points`` random points in 50-digit arithmetic.  ``output`` names what is proved (a rule's
    output, a convention's "velocity after the step"); ``case`` the induction case, if any."""

    output: str
    implementation: sp.Expr
    textbook: sp.Expr
    method: str | None
    numeric_max_diff: float
    points: int
    case: str = ""

    @property
    def holds(self) -> bool:
        return self.method is not None and self.numeric_max_diff <= 1e-30

    @property
    def difference(self) -> sp.Expr:
        return self.implementation - self.textbook

    @property
    def consistent(self) -> bool:
        """The numeric check agrees with the symbolic verdict."""
        return (self.numeric_max_diff <= 1e-30) == (self.method is not None)

    def as_dict(self) -> dict:
        out = {"output": self.output, "holds": self.holds, "method": self.method,
               "implementation": str(self.implementation), "textbook": str(self.textbook),
               "implementation_latex": latex(self.implementation),
               "textbook_latex": latex(self.textbook),
               "numeric_max_diff": self.numeric_max_diff, "numeric_points": self.points}
        return {"case": self.case, **out} if self.case else out


def _sample(rule: Rule, cfg: Config, symbols: set[sp.Symbol], states: tuple[State, ...],
            rng: random.Random, step: int | None = None) -> dict[sp.Symbol, sp.Float]:
    """A random point of the domain: hyperparameters from their ranges, t >= 1, v >= 0."""
    ranges = {h.symbol: h.sample for h in rule.hypers if h.symbol is not None}
    nonneg = {s.symbol for s in states if s.nonnegative}
    point: dict[sp.Symbol, sp.Float] = {}
    for sym in sorted(symbols, key=str):  # a set's order changes per process (hash seed)
        if sym == t:
            point[sym] = sp.Integer(step if step is not None else rng.randint(1, 30))
        elif sym in ranges:
            lo, hi = ranges[sym]
            point[sym] = sp.Float(rng.uniform(lo, hi), 50)
        elif sym in nonneg or sym in PER_TENSOR_CODE:  # shape numbers, machine epsilon: > 0
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
        result.append(Obligation(name, a, b, _is_zero_by_cases(a - b, rule.proof_facts),
                                 numeric_check(rule, cfg, a, b, points), points))
    return result

