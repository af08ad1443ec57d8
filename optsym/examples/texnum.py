r"""Numbers in the LaTeX of worked examples and derivations: exact where short, otherwise a
stated number of significant digits in scientific notation (:math:`1.5 \cdot 10^{-8}`, never
Python's ``1.5e-08``); ``\frac{1}{10^k}`` as a power of ten."""

from __future__ import annotations

import re

import sympy as sp

from optsym.examples.exact import decimal, float64_text, is_exact
from optsym.mathtext import scientific
from optsym.spec import latex

#: the significant digits of a decimal in the LaTeX output
TEX_DIGITS = 10
#: an exact value longer than this (printed by SymPy) is shown as its decimal in LaTeX
TEX_SHORT = 16
#: the sentence that says so
TEX_NUMBERS = (r"Values are exact where they are short; otherwise $\approx$ the value to "
               f"{TEX_DIGITS} significant digits.")


def exact_short(value: sp.Expr) -> bool:
    """Whether ``value`` is exact and short enough to show as it is (:data:`TEX_SHORT`)."""
    return is_exact(value) and len(sp.sstr(value)) <= TEX_SHORT


def tex_decimal(value: sp.Expr, digits: int = TEX_DIGITS) -> str:
    """``value`` to ``digits`` significant digits as LaTeX: ``0.9000000005``, and
    ``1.5 \\cdot 10^{-8}`` where Python would print e-notation."""
    return scientific(decimal(value, digits))


_POWER_OF_TEN = re.compile(r"\\frac\{1\}\{10(0{3,})\}")


def tex_exact(value: sp.Expr) -> str:
    """An exact value as LaTeX, ``10^{-8}`` for ``\\frac{1}{100000000}``."""
    return tens(latex(value))


def tens(text: str) -> str:
    """LaTeX with each ``\\frac{1}{10...0}`` (four zeros or more) written as a power of ten."""
    return _POWER_OF_TEN.sub(lambda m: f"10^{{-{len(m.group(1)) + 1}}}", text)


def tex_float64(value: sp.Expr) -> str:
    """The double nearest ``value``, every digit, as LaTeX (``1.00...473 \\cdot 10^{-8}``)."""
    return scientific(float64_text(value))
