"""A square root that SymPy evaluates numerically, not exactly: for results like sqrt(1 - a^t).

``Derivation.instantiate`` substitutes each parameter as an exact rational (0.99 becomes its
53-bit double as a fraction), so ``sqrt(1 - alpha**t)`` at t = 100 is the square root of a
rational with ~5000-bit numerator and denominator, and SymPy's ``Rational._eval_power`` tries to
factor them to pull out perfect squares: seconds at t = 100, minutes beyond.  :class:`LazySqrt`
prints as a square root and stays unevaluated on exact numbers; ``evalf`` (which ``instantiate``
calls) takes the root numerically.
"""

from __future__ import annotations

import sympy as sp


class LazySqrt(sp.Function):
    """sqrt(x), left unevaluated for exact numbers and evaluated by ``evalf``."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if isinstance(x, sp.Float):
            return sp.sqrt(x)
        return None

    def _eval_evalf(self, prec):
        return sp.sqrt(self.args[0]._eval_evalf(prec))

    def _eval_is_nonnegative(self):
        return self.args[0].is_nonnegative

    def _eval_is_positive(self):
        return self.args[0].is_positive

    def _eval_rewrite_as_Pow(self, x, **kwargs):
        return sp.sqrt(x)

    def _latex(self, printer, exp=None, **kwargs):
        out = r"\sqrt{%s}" % printer._print(self.args[0])
        return out if exp is None else r"\left(%s\right)^{%s}" % (out, exp)

    def _sympystr(self, printer, **kwargs):
        return "sqrt(%s)" % printer._print(self.args[0])

    def _pretty(self, printer, **kwargs):
        return printer._print(sp.Pow(self.args[0], sp.S.Half, evaluate=False))


def lazy_sqrt(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every square root of something holding a symbolic power made lazy."""
    def heavy(z) -> bool:
        return (z.is_Pow and z.exp == sp.S.Half
                and any(p.is_Pow and p.exp.free_symbols for p in sp.preorder_traversal(z.base)))

    return expr.replace(heavy, lambda z: LazySqrt(z.base))
