r"""A formula with the numbers put in, unevaluated: ``-lr*d + param`` at ``lr = 1/10``,
``d = -6``, ``param = 0`` reads ``-(1/10)*(-6) + 0`` (text) and
:math:`- \frac{1}{10} \cdot \left(-6\right) + 0` (LaTeX).

A value whose exact form is long (a 40-digit rational, a nested surd) is put in as its
17-digit decimal; the result is still computed exactly.  The formula keeps its own symbols,
and the printers print each symbol as its value: SymPy keeps the formula's shape (nothing
numeric is left to evaluate), and the terms come in the order the formula itself is printed
in, so ``momentum*b + grad*(1 - dampening)`` reads ``(9/10)*2 + (9/5)*(1 - 0)``, not the other
way round.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp
from sympy.printing.str import StrPrinter

from optsym.reading import ReadingPrinter
from optsym.spec import LATEX_NAMES


class _Named(StrPrinter):
    """Prints each symbol of ``names`` as its value's text (``bare``: the text without
    parentheses, for a function's argument: ``sqrt(1/4)``, not ``sqrt((1/4))``)."""

    def __init__(self, names: Mapping[sp.Symbol, str], bare: Mapping[sp.Symbol, str]) -> None:
        super().__init__()
        self.names, self.bare = names, bare

    def _print_Symbol(self, expr):
        return self.names.get(expr, expr.name)

    def _print_Pow(self, expr, rational=False):
        if expr.exp == sp.S.Half and expr.base in self.bare:
            return f"sqrt({self.bare[expr.base]})"
        return super()._print_Pow(expr, rational)

    def _print_Function(self, expr):
        if len(expr.args) == 1 and expr.args[0] in self.bare:
            return f"{self._print(expr.func)}({self.bare[expr.args[0]]})"
        return super()._print_Function(expr)


def _atomic(value: sp.Expr) -> bool:
    return (isinstance(value, sp.Integer) and value >= 0) or isinstance(value, sp.Symbol)


#: a value whose exact form is longer than this is put in a formula as its decimal
LONG = 40


def _rounded(value: sp.Expr) -> bool:
    return value.has(sp.Float) or len(sp.sstr(value)) > LONG


def value_text(value: sp.Expr, bare: bool = False) -> str:
    """The text of a value put in a formula: in parentheses unless it is a non-negative
    integer (or ``bare``)."""
    text = sp.sstr(value) if not _rounded(value) else f"{float(value):.17g}"
    return text if bare or _atomic(value) else f"({text})"


def value_latex(value: sp.Expr, base: bool = False) -> str:
    """LaTeX of a value put in a formula: in parentheses when negative or compound (and, as the
    base of a power, when it is not a non-negative integer)."""
    tex = sp.latex(value) if not _rounded(value) else f"{float(value):.17g}"
    simple = _atomic(value) or (not base and isinstance(value, sp.Rational) and value > 0)
    return tex if simple else rf"\left({tex}\right)"


def substituted(expr: sp.Expr, values: Mapping[sp.Symbol, sp.Expr]) -> tuple[str, str]:
    """``expr`` with ``values`` shown in place of its symbols: (text, LaTeX).  A formula that
    is one symbol shows its value without parentheses."""
    expr = expr.xreplace({f: sp.Float(f, 17) for f in expr.atoms(sp.Float)})
    if expr in values:
        value = values[expr]
        return value_text(value, bare=True), (sp.latex(value) if not _rounded(value)
                                              else f"{float(value):.17g}")
    # a square root or a function call brackets its argument already; a power's base and a
    # factor of a product need brackets
    bases = {p.base for p in expr.atoms(sp.Pow)
             if p.exp not in (sp.S.Half, -sp.S.Half, sp.S.NegativeOne)}
    used = {s: v for s, v in values.items() if s in expr.free_symbols}
    text = _Named({s: value_text(v) for s, v in used.items()},
                  {s: value_text(v, bare=True) for s, v in used.items()}).doprint(expr)
    names = {**LATEX_NAMES, **{s: value_latex(v, s in bases) for s, v in used.items()}}
    # the sums in reading order, as the formula line above it (optsym.reading)
    return text, ReadingPrinter(symbol_names=names, mul_symbol="dot").doprint(expr)


__all__ = ["substituted", "value_text", "value_latex"]
