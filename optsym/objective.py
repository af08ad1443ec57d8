r"""Objective functions from text: an :class:`Objective` (expression, variables, its exact
gradient and numeric forms), the named built-ins, and points.

A user's objective (``"(x - 3)**2"``, ``"x^2 + 10*y^2"``, ``"rosenbrock"``) becomes a SymPy
expression in real variables through the allow-list grammar of :mod:`optsym.objective_grammar`:
nothing is evaluated, and no ``eval``, ``exec`` or ``sympify`` ever sees the text.

Named built-ins (``builtin_names()``): ``rosenbrock``, ``narrow-valley`` (:math:`x^2 + 10y^2`,
condition number 10), ``bowl``, ``booth``, ``himmelblau``, ``beale``, each written as text in
this grammar and parsed like the user's.  A point (``"1,1"``, ``"-1.5, 2"``, ``"1/3,0"``) is a
tuple of exact rationals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from optsym.objective_grammar import (
    CONSTANTS,
    FUNCTIONS,
    MAX_CHARS,
    ObjectiveError,
    exact_decimal,
    parse_formula,
    short,
)


@dataclass(frozen=True)
class Objective:
    r"""A differentiable objective :math:`f(x_1, \dots, x_n)` in exact SymPy form."""

    name: str
    variables: tuple[sp.Symbol, ...]
    expr: sp.Expr
    #: what a built-in is, in words ("" for the user's own text)
    description: str = ""

    @property
    def dim(self) -> int:
        return len(self.variables)

    def gradient(self) -> tuple[sp.Expr, ...]:
        """The exact gradient, one partial derivative per variable."""
        return tuple(sp.diff(self.expr, v) for v in self.variables)

    def _at(self, point: Sequence) -> dict[sp.Symbol, sp.Expr]:
        # strict: a string is refused, never parsed by SymPy (strings go through parse_point)
        try:
            point = tuple(exact_decimal(repr(p)) if isinstance(p, float)
                          else sp.sympify(p, strict=True) for p in point)
        except sp.SympifyError:
            raise ObjectiveError(f"a point must hold numbers, not {point!r} (text goes "
                                 "through parse_point)") from None
        if len(point) != self.dim:
            raise ObjectiveError(_dimension_message(len(point), self))
        return dict(zip(self.variables, point))

    def value(self, point: Sequence) -> sp.Expr:
        """:math:`f` at ``point``: exact when the entries are rationals."""
        return self.expr.xreplace(self._at(point))

    def grad_at(self, point: Sequence) -> tuple[sp.Expr, ...]:
        """:math:`\\nabla f` at ``point``, exact when the entries are rationals."""
        at = self._at(point)
        return tuple(d.xreplace(at) for d in self.gradient())

    def numpy(self) -> tuple[Callable, Callable]:
        """``f(x) -> float`` and ``grad(x) -> ndarray`` for a float array ``x`` of length n."""
        import numpy as np

        from optsym.objective_eval import compile_tree, numpy_ops

        ops = numpy_ops()
        value = compile_tree(self.expr, ops)
        partials = [compile_tree(d, ops) for d in self.gradient()]

        def f(x):
            return float(value(dict(zip(self.variables, np.asarray(x, dtype=np.float64)))))

        def df(x):
            env = dict(zip(self.variables, np.asarray(x, dtype=np.float64)))
            return np.array([float(d(env)) for d in partials], dtype=np.float64)

        return f, df

    def torch(self) -> Callable:
        """``f(x) -> 0-d tensor`` for a tensor ``x`` of length n, differentiable by autograd."""
        from optsym.objective_eval import compile_tree, torch_ops

        value = compile_tree(self.expr, torch_ops())

        def f(x):
            return value({v: x[i] for i, v in enumerate(self.variables)})

        return f

    def latex(self) -> str:
        """:math:`f(x, y) = \\dots` as LaTeX."""
        args = ", ".join(sp.latex(v) for v in self.variables)
        return rf"f({args}) = {sp.latex(self.expr)}"


# ---- built-ins ---------------------------------------------------------------------------------
#: name -> (text in the grammar above, description)
BUILTINS: dict[str, tuple[str, str]] = {
    "rosenbrock": ("(1 - x)^2 + 100*(y - x^2)^2",
                   "Rosenbrock's banana valley; minimum 0 at (1, 1)"),
    "narrow-valley": ("x^2 + 10*y^2",
                      "the narrow-valley quadratic x^2 + 10 y^2 (condition number 10); "
                      "minimum 0 at (0, 0)"),
    "bowl": ("x^2 + y^2", "the round bowl x^2 + y^2 (condition number 1); minimum 0 at (0, 0)"),
    "booth": ("(x + 2*y - 7)^2 + (2*x + y - 5)^2", "Booth's function; minimum 0 at (1, 3)"),
    "himmelblau": ("(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
                   "Himmelblau's function; four minima of value 0, one at (3, 2)"),
    "beale": ("(1.5 - x + x*y)^2 + (2.25 - x + x*y^2)^2 + (2.625 - x + x*y^3)^2",
              "Beale's function; minimum 0 at (3, 1/2)"),
}


def builtin_names() -> list[str]:
    """The named objectives ``parse_objective`` accepts besides formulas."""
    return list(BUILTINS)


def builtin(name: str) -> Objective:
    """A named built-in objective (``narrow_valley`` is accepted for ``narrow-valley``)."""
    key = name.strip().lower().replace("_", "-")
    if key not in BUILTINS:
        raise ObjectiveError(f"unknown built-in objective {name!r}; built-ins: "
                             f"{', '.join(BUILTINS)}")
    text, description = BUILTINS[key]
    expr, variables = parse_formula(text)
    return Objective(key, variables, expr, description)


# ---- parsing -----------------------------------------------------------------------------------
def parse_objective(text: str) -> Objective:
    """The objective ``text`` (a formula or a built-in's name), parsed safely.

    Raises :class:`ObjectiveError` with a one-line message on anything outside the grammar.
    """
    if not isinstance(text, str):
        raise ObjectiveError("the objective must be text")
    key = text.strip().lower().replace("_", "-")
    if key in BUILTINS:
        return builtin(key)
    expr, variables = parse_formula(text, tuple(BUILTINS))
    return Objective(text.strip(), variables, expr)


def parse_point(text: str, n: int | None = None) -> tuple[sp.Rational, ...]:
    """A point from ``"1,1"`` / ``"-1.5, 2"`` / ``"1/3,0"``: exact rationals, ``n`` entries."""
    if not isinstance(text, str) or not text.strip():
        raise ObjectiveError("the point is empty; give numbers separated by commas, e.g. 1,1")
    if len(text) > MAX_CHARS:
        raise ObjectiveError(f"the point is {len(text)} characters long; at most {MAX_CHARS}")
    parts = [p.strip() for p in text.split(",")]
    try:
        point = tuple(exact_decimal(p) for p in parts)
    except ObjectiveError as exc:
        raise ObjectiveError(f"bad point {short(text)}: {exc}") from None
    if n is not None and len(point) != n:
        raise ObjectiveError(f"the point {short(text)} has {len(point)} coordinate"
                             f"{'s' if len(point) != 1 else ''}; the objective has {n} variable"
                             f"{'s' if n != 1 else ''}")
    return point


def _dimension_message(k: int, objective: Objective) -> str:
    names = ", ".join(str(v) for v in objective.variables)
    return (f"the point has {k} coordinate{'s' if k != 1 else ''}; the objective has "
            f"{objective.dim} variable{'s' if objective.dim != 1 else ''} ({names})")


__all__ = ["Objective", "ObjectiveError", "parse_objective", "parse_point", "builtin_names",
           "builtin", "exact_decimal", "FUNCTIONS", "CONSTANTS"]
