r"""Framework operations as unevaluated SymPy nodes.

An *implementation form* writes an update in a framework's own operation order: torch's
``lerp_``, ``addcmul_``, ``addcdiv_``, ``add(alpha=)`` each round once, so the order and grouping of
the operations decides the last bit of the result.  Each node below keeps that grouping in the
expression tree (SymPy would otherwise flatten and reorder it) and knows its mathematical meaning:

.. math::

    \begin{align*}
    \operatorname{lerp}(a, b, w) &= a + w (b - a) \\
    \operatorname{addcmul}(a, b, c, v) &= a + v\, b c \\
    \operatorname{addcdiv}(a, b, c, v) &= a + v\, b / c \\
    \operatorname{add}(a, b, \alpha) &= a + \alpha b
    \end{align*}

:func:`to_math` replaces every node by its meaning; the proof that an implementation form equals
the textbook form is made on that rewritten expression.  The printers in :mod:`optsym.codegen`
print each node as the framework call it stands for.
"""

from __future__ import annotations

import sympy as sp


class FrameworkOp(sp.Function):
    """An operation kept as one node: printed as one framework call, proved through ``meaning``."""

    #: name of the torch function that performs the operation
    torch_name: str = ""
    #: keyword of the last argument in the torch call (``value=``, ``alpha=``), if any
    torch_keyword: str | None = None

    @classmethod
    def meaning(cls, *args: sp.Expr) -> sp.Expr:  # pragma: no cover - abstract
        raise NotImplementedError


class Lerp(FrameworkOp):
    """``torch.lerp(a, b, w)`` = a + w (b - a)."""

    nargs = 3
    torch_name = "torch.lerp"

    @classmethod
    def meaning(cls, a, b, w):
        return a + w * (b - a)


class AddCMul(FrameworkOp):
    """``torch.addcmul(a, b, c, value=v)`` = a + v b c."""

    nargs = 4
    torch_name = "torch.addcmul"
    torch_keyword = "value"

    @classmethod
    def meaning(cls, a, b, c, v):
        return a + v * b * c


class AddCDiv(FrameworkOp):
    """``torch.addcdiv(a, b, c, value=v)`` = a + v b / c."""

    nargs = 4
    torch_name = "torch.addcdiv"
    torch_keyword = "value"

    @classmethod
    def meaning(cls, a, b, c, v):
        return a + v * b / c


class AddScaled(FrameworkOp):
    """``torch.add(a, b, alpha=s)`` = a + s b (one rounding where the backend fuses it)."""

    nargs = 3
    torch_name = "torch.add"
    torch_keyword = "alpha"

    @classmethod
    def meaning(cls, a, b, s):
        return a + s * b


class TMul(FrameworkOp):
    """``torch.mul(a, s)``: a tensor times a scalar (or tensor)."""

    nargs = 2
    torch_name = "torch.mul"

    @classmethod
    def meaning(cls, a, s):
        return a * s


class TDiv(FrameworkOp):
    """``torch.div(a, s)``: a true division (not a multiplication by the reciprocal)."""

    nargs = 2
    torch_name = "torch.div"

    @classmethod
    def meaning(cls, a, s):
        return a / s


class TAdd(FrameworkOp):
    """``torch.add(a, s)``: a tensor plus a scalar (or tensor)."""

    nargs = 2
    torch_name = "torch.add"

    @classmethod
    def meaning(cls, a, s):
        return a + s


class TSqrt(FrameworkOp):
    """``torch.sqrt(a)``: torch's own square root (not always correctly rounded in float32)."""

    nargs = 1
    torch_name = "torch.sqrt"

    @classmethod
    def meaning(cls, a):
        return sp.sqrt(a)


class TMax(FrameworkOp):
    """``torch.maximum(a, b)``: elementwise maximum."""

    nargs = 2
    torch_name = "torch.maximum"

    @classmethod
    def meaning(cls, a, b):
        return sp.Max(a, b)


class TNeg(FrameworkOp):
    """``torch.neg(a)``: exact negation."""

    nargs = 1
    torch_name = "torch.neg"

    @classmethod
    def meaning(cls, a):
        return -a


class LibmSqrt(FrameworkOp):
    """A scalar square root in C's ``std::sqrt`` (``math.sqrt``), as torch's fused kernels take it.

    Python's ``x ** 0.5`` (torch's Python code) and ``math.sqrt(x)`` differ in the last bit on
    about 0.1% of doubles, so the two are different nodes.
    """

    nargs = 1
    torch_name = "math.sqrt"

    @classmethod
    def meaning(cls, a):
        return sp.sqrt(a)


class Copy(FrameworkOp):
    """A fresh copy (``torch.clone`` / ``numpy.copy``): state must not alias the caller's arrays."""

    nargs = 1
    torch_name = "torch.clone"

    @classmethod
    def meaning(cls, a):
        return a


def to_math(expr: sp.Expr) -> sp.Expr:
    """Replace every :class:`FrameworkOp` node in ``expr`` by its mathematical meaning."""
    if not isinstance(expr, sp.Basic) or expr.is_Atom:
        return expr
    args = [to_math(a) for a in expr.args]
    if isinstance(expr, FrameworkOp):
        return type(expr).meaning(*args)
    return expr.func(*args) if args else expr
