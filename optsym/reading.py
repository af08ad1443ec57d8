r"""Updates printed in reading order: :math:`\theta \gets \theta - \eta \hat m/(\sqrt{\hat v} +
\epsilon)`, not SymPy's :math:`\theta \gets -\eta \hat m/(\epsilon + \sqrt{\hat v}) + \theta`.

SymPy stores a sum's terms in its own canonical order and prints them in that order.  One
printer, :class:`ReadingPrinter`, reorders every sum it prints, and only the order: the
assigned variable first (``theta <- theta - ...``), then SymPy's order with the positive terms
before the subtracted ones, the small constants (``eps``) last; a positive number leads a sum
whose other terms are all subtracted (``1 - \eta\lambda``, not ``-\eta\lambda + 1``) and
ends any other sum (``t + 1``).  A product with one sum of constants as a factor writes the
sum first (``(1 - \beta_1) g``).  The expression itself is not changed (the printed terms are
its terms).
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

from optsym.spec import LATEX_NAMES

#: names of the small constants that go last in a sum
SMALL = ("eps", "epsilon", "eps1", "eps2", "delta")


class ReadingPrinter(LatexPrinter):
    """``sympy.latex`` with optsym's symbol names and sums in reading order."""

    def __init__(self, leading: sp.Basic | None = None,
                 constants: frozenset[sp.Symbol] = frozenset(), **settings) -> None:
        """``settings``: SymPy's LaTeX settings (``symbol_names`` replaces optsym's names:
        a worked example's substitution line names each symbol by its value)."""
        super().__init__({"symbol_names": LATEX_NAMES, **settings})
        self.leading = leading
        self.constants = constants

    def _as_ordered_terms(self, expr, order=None):
        terms = list(super()._as_ordered_terms(expr, order=order))
        # a positive number leads a difference (1 - \beta, 1 - x - y) and ends any other
        # sum (t + 1, r_1 r_2 - r_1 - r_2 + 1)
        last = not all(t.could_extract_minus_sign() for t in terms if not t.is_Number)
        return sorted(terms, key=lambda t: (_rank(t, self.leading, last), terms.index(t)))

    def _print_Mul(self, expr):
        """A product of a sum of constants (hyperparameters, ``t``) and variables, with no
        number or denominator, puts the sum first: ``(1 - \\beta_1) g``,
        ``(1 - \\eta\\lambda) \\theta``."""
        sums = [f for f in expr.args if f.is_Add]
        rest = [f for f in expr.args if not f.is_Add]
        if len(sums) == 1 and rest and sums[0].free_symbols <= self.constants and \
                sp.Mul(*rest).free_symbols - self.constants and not any(
                f.is_Number or (f.is_Pow and f.exp.is_negative) for f in rest):
            return r"\left(%s\right) %s" % (self._print(sums[0]), self._print(sp.Mul(*rest)))
        return super()._print_Mul(expr)


def _rank(term: sp.Basic, leading: sp.Basic | None, numbers_last: bool) -> int:
    if leading is not None and term == leading:
        return 0
    if term.is_Number and term.is_positive:
        return 5 if numbers_last else 1
    if isinstance(term, sp.Symbol) and term.name in SMALL:
        return 4
    return 3 if term.could_extract_minus_sign() else 2


def reading(expr: sp.Basic, leading: sp.Basic | None = None,
            constants: frozenset[sp.Symbol] = frozenset()) -> str:
    """``expr`` as LaTeX, its sums in reading order, ``leading`` (the assigned variable) first
    where it is a term; ``constants``: the hyperparameters' symbols (see
    :meth:`ReadingPrinter._print_Mul`)."""
    return ReadingPrinter(leading, constants).doprint(expr)


def update(target: sp.Basic, expr: sp.Basic, constants: frozenset[sp.Symbol] = frozenset(),
           arrow: str = r"\gets") -> str:
    r"""``target \gets expr`` in reading order."""
    return f"{reading(target)} {arrow} {reading(expr, target, constants)}"


def constants_of(rule) -> frozenset[sp.Symbol]:
    """A rule's hyperparameter symbols and the step counter ``t``: what its updates multiply
    the variables by."""
    from optsym.spec import t

    return frozenset({h.symbol for h in rule.hypers if h.symbol is not None} | {t})


__all__ = ["ReadingPrinter", "constants_of", "reading", "update"]
