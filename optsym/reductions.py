r"""Operations over a tensor's elements or axes, not elementwise: the norm of a whole tensor
(LAMB's trust ratio), a mean or a norm along one axis and the outer product of a column and a
row (Adafactor's factored second moment).

Each is one SymPy node.  :class:`Norm` and :class:`Mean` are the mathematics the textbook forms
write; :class:`TNormDim`, :class:`TMeanDim` and :class:`TMatMul` are torch's calls
(:class:`~optsym.ops.FrameworkOp`), proved through their meaning like every other.  In the
random-point checks of :mod:`optsym.proof` a tensor symbol stands for one element;
:mod:`optsym.verify.bounds` bounds each one's rounding.
"""

from __future__ import annotations

import sympy as sp

from optsym.ops import FrameworkOp


class Norm(sp.Function):
    r"""The Euclidean norm :math:`\lVert a \rVert_2` of a whole tensor (all its elements).

    Not an elementwise operation: it reduces a tensor to a 0-d tensor, as LAMB's trust ratio
    does per parameter tensor.  Every printer prints it as the library's own norm
    (``torch.linalg.norm`` / ``numpy.linalg.norm``), so torch-order code sums in torch's order.
    In the random-point checks of :mod:`optsym.proof` a tensor symbol stands for one element,
    whose norm is its absolute value; :mod:`optsym.verify.bounds` bounds its rounding error.
    """

    nargs = 1
    is_real = True
    is_nonnegative = True

    def _eval_evalf(self, prec):
        return sp.Abs(self.args[0])._eval_evalf(prec)

    def _latex(self, printer):
        return rf"\left\lVert {printer._print(self.args[0])} \right\rVert"


class Mean(sp.Function):
    r"""The mean of a tensor along one axis (``-1``: over each row, ``-2``: over each column),
    keeping that axis with size 1 (Adafactor's row and column factors).

    Not an elementwise operation.  In the random-point checks of :mod:`optsym.proof` a tensor
    symbol stands for one element, whose mean is itself; :mod:`optsym.verify.bounds` bounds its
    rounding error.
    """

    nargs = 2
    is_real = True

    def _eval_evalf(self, prec):
        return self.args[0]._eval_evalf(prec)

    def _latex(self, printer):
        which = "row" if self.args[1] == -1 else "col"
        return (rf"\operatorname{{mean}}_{{\mathrm{{{which}}}}}"
                rf"\left({printer._print(self.args[0])}\right)")


class TNormDim(FrameworkOp):
    r"""``torch.norm(a, dim=axis, keepdim=True)``: the 2-norm along one axis of size ``n``.

    Its meaning is :math:`\sqrt{n \operatorname{mean}(a^2)}`; ``n`` is for the meaning only."""

    nargs = 3
    torch_name = "torch.norm"
    #: printed arguments: the tensor and ``dim=``; then the fixed ``keepdim=True``
    torch_arguments = ("", "dim")
    torch_extra = "keepdim=True"

    @classmethod
    def meaning(cls, a, axis, n):
        return sp.sqrt(n * Mean(a**2, axis))


class TMeanDim(FrameworkOp):
    """``torch.mean(a, dim=axis, keepdim=True)``."""

    nargs = 2
    torch_name = "torch.mean"
    torch_arguments = ("", "dim")
    torch_extra = "keepdim=True"

    @classmethod
    def meaning(cls, a, axis):
        return Mean(a, axis)


class TMatMul(FrameworkOp):
    """``torch.matmul(r, c)`` of a column (n, 1) and a row (1, m): their outer product, one
    rounding per element (measured: equal to ``r * c`` bit for bit)."""

    nargs = 2
    torch_name = "torch.matmul"

    @classmethod
    def meaning(cls, r, c):
        return r * c


__all__ = ["Mean", "Norm", "TMatMul", "TMeanDim", "TNormDim"]
