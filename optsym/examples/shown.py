r"""A formula with the numbers put in, unevaluated: ``-lr*d + param`` at ``lr = 1/10``,
``d = -6``, ``param = 0`` reads ``-(1/10)*(-6) + 0`` (text) and
:math:`- \left(\frac{1}{10}\right) \left(-6\right) + 0` (LaTeX).

A value whose exact form is long (a 40-digit rational, a nested surd) is put in as its
17-digit decimal; the result is still computed exactly.  Each symbol is replaced by a fresh
opaque symbol (a :class:`sympy.Dummy`, so two inputs with
the same value never merge) printed as the value; SymPy keeps the formula's shape because
nothing numeric is left to evaluate.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp
from sympy.printing.str import StrPrinter

from optsym.spec import LATEX_NAMES


class _Named(StrPrinter):
    """Prints each placeholder as its value's text."""

    def __init__(self, names: Mapping[sp.Dummy, str]) -> None:
        super().__init__()
        self.names = names

    def _print_Dummy(self, expr):
        return self.names.get(expr, expr.name)


def _atomic(value: sp.Expr) -> bool:
    return (isinstance(value, sp.Integer) and value >= 0) or isinstance(value, sp.Symbol)


#: a value whose exact form is longer than this is put in a formula as its decimal
LONG = 40


def _rounded(value: sp.Expr) -> bool:
    return value.has(sp.Float) or len(sp.sstr(value)) > LONG


def value_text(value: sp.Expr) -> str:
    text = sp.sstr(value) if not _rounded(value) else f"{float(value):.17g}"
    return text if _atomic(value) else f"({text})"


def value_latex(value: sp.Expr, base: bool = False) -> str:
    """LaTeX of a value put in a formula: in parentheses when negative or compound (and, as the
    base of a power, when it is not a non-negative integer)."""
    tex = sp.latex(value) if not _rounded(value) else f"{float(value):.17g}"
    simple = _atomic(value) or (not base and isinstance(value, sp.Rational) and value > 0)
    return tex if simple else rf"\left({tex}\right)"


def substituted(expr: sp.Expr, values: Mapping[sp.Symbol, sp.Expr]) -> tuple[str, str]:
    """``expr`` with ``values`` shown in place of its symbols: (text, LaTeX)."""
    holders = {s: sp.Dummy(str(s)) for s in values}
    shape = expr.xreplace(holders)
    shape = shape.xreplace({f: sp.Float(f, 17) for f in shape.atoms(sp.Float)})
    bases = {p.base for p in shape.atoms(sp.Pow)}
    text = _Named({holders[s]: value_text(v) for s, v in values.items()}).doprint(shape)
    names = {**LATEX_NAMES, **{holders[s]: value_latex(v, holders[s] in bases)
                               for s, v in values.items()}}
    return text, sp.latex(shape, symbol_names=names)


__all__ = ["substituted", "value_text", "value_latex"]
