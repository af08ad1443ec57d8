r"""Exact numbers for worked examples: user values as rationals, sizes kept in bounds.

A value typed as ``0.1`` is the rational :math:`1/10`, not the double nearest to it:

.. math::

    \begin{align*}
    \texttt{"0.1"} &\mapsto \tfrac{1}{10}, \qquad
    \mathrm{fl}_{64}(\tfrac{1}{10}) = 0.1000000000000000055511151231257827\ldots
    \end{align*}

A number typed on the command line keeps its exact value (``--lr 1/3`` is :math:`1/3`,
``--lr "1/(5+sqrt(2))"`` a surd: :class:`optsym.params.Exact`); any other float is read back
through its shortest decimal (``repr``).  Exact arithmetic on a
nonlinear objective can grow without bound (Rosenbrock's cubic gradient triples the digits
each step), so a value past :data:`MAX_DIGITS` digits, or an expression of surds longer than
:data:`MAX_CHARS` characters, continues as a :data:`PRECISION`-digit float, and the example
says from which step on.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sympy as sp

from optsym.objective import ObjectiveError, exact_decimal
from optsym.spec import SpecError

MAX_DIGITS = 60
#: an exact non-rational value (a surd) longer than this, printed, continues as a float
MAX_CHARS = 60
PRECISION = 50


def exact(value: Any) -> sp.Expr:
    """``value`` (text, int, float, Decimal, Fraction, SymPy number) as an exact SymPy number;
    a float (Python's or SymPy's) is read through its shortest decimal."""
    if isinstance(value, bool):
        raise SpecError("a flag is not a number")
    if isinstance(value, str):
        return exact_decimal(value)
    if getattr(value, "exact", None) is not None:  # typed exactly: optsym.params.Exact
        return value.exact
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ObjectiveError(f"{value} is not a finite number")
        return exact_decimal(repr(value))
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, Decimal):
        return exact_decimal(str(value))
    number = sp.sympify(value, strict=True)  # never a string: strings are parsed above
    if isinstance(number, sp.Float):
        return exact(float(number))
    if not number.is_number:
        raise ObjectiveError(f"{value!r} is not a number")
    return number


def digits(q: sp.Rational) -> int:
    return 1 + int(max(abs(int(q.p)).bit_length(), int(q.q).bit_length()) * 0.30103)


def is_exact(value: sp.Expr) -> bool:
    return not value.has(sp.Float)


def tame(value: sp.Expr) -> sp.Expr:
    """``value`` itself when it is small, else its ``PRECISION``-digit float."""
    if isinstance(value, sp.Rational):
        return value if digits(value) <= MAX_DIGITS else sp.Float(value, PRECISION)
    if isinstance(value, sp.Float):
        return value
    if value.has(sp.Float) or len(sp.sstr(value)) > MAX_CHARS:
        return value.evalf(PRECISION)
    return value


def finite_real(value: sp.Expr) -> bool:
    """True when ``value`` is a finite real number."""
    if value.free_symbols or value.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        return False
    try:
        z = complex(sp.N(value, 30))
    except (TypeError, ValueError, OverflowError):
        return False
    return z.imag == 0 and abs(z.real) != float("inf")


def decimal(value: sp.Expr, digits_shown: int = 12) -> str:
    """``value`` as a decimal with ``digits_shown`` significant digits."""
    return f"{float(sp.N(value, 30)):.{digits_shown}g}"


def float64_text(value: sp.Expr) -> str:
    """The exact decimal expansion of the double nearest to ``value`` (34 significant
    digits)."""
    text = format(Decimal(float(sp.N(value, 40))), ".34g")
    return text


def representable(value: sp.Expr) -> bool:
    """True when ``value`` is exactly a double."""
    return isinstance(value, sp.Rational) and sp.Rational(float(value)) == value


__all__ = ["exact", "tame", "finite_real", "decimal", "float64_text", "representable",
           "is_exact", "MAX_DIGITS", "PRECISION"]
