r"""Printers that turn rule expressions into NumPy and torch source.

They subclass SymPy's own printers and add what an optimizer step needs:

* **scalars stay Python floats**: any subexpression without a tensor symbol (``1 - beta1**t``,
  ``lr / bias_correction1``) is printed by :class:`ScalarPrinter` as plain Python arithmetic, so
  NumPy never promotes a float32 array through a float64 scalar and torch sees the same Python
  floats as in its own code (``bias_correction2 ** 0.5``, never ``math.sqrt``);
* **framework operations** (:mod:`optsym.ops`) print as the one call they stand for
  (``torch.addcdiv(a, b, c, value=v)``), keeping torch's operation order;
* a ``Piecewise`` whose conditions are scalars (torch's step-1 cases) prints as a Python
  conditional expression, not as an elementwise select.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import PythonCodePrinter
from sympy.printing.pytorch import TorchPrinter

from optsym.listops import print_element, print_sum
from optsym.ops import Copy, FrameworkOp, Item
from optsym.pyops import PyOp, print_pyop
from optsym.spec import TensorSymbol, is_tensor_expr


class ScalarPrinter(PythonCodePrinter):
    """Python-float arithmetic, written the way torch's optimizers and schedulers write it."""

    def _print(self, expr, **kwargs):
        if isinstance(expr, PyOp):  # a scheduler's own operation order (optsym.pyops)
            return print_pyop(self, expr)
        return super()._print(expr, **kwargs)

    def _print_Item(self, expr):
        """``x.item()``: the tensor expression printed by the array printer that owns this one."""
        return f"{self._array._print(expr.args[0])}.item()"

    def _print_LibmSqrt(self, expr):
        return f"{self._module_format('math.sqrt')}({self._print(expr.args[0])})"

    def _print_Float32Pow(self, expr):
        base, exp = expr.args
        base = base.args[0] if type(base).__name__ == "Float32" else base  # rounded once below
        base, exp = self._print(base), self._print(exp)
        return (f"{self._module_format('torch.pow')}({self._module_format('torch.tensor')}"
                f"({base}, dtype={self._module_format('torch.float32')}), {exp}).item()")

    def _print_Float32(self, expr):
        """A Python float through a 0-d float32 tensor, as torch's scalar state holds it."""
        return (f"{self._module_format('torch.tensor')}({self._print(expr.args[0])}, "
                f"dtype={self._module_format('torch.float32')}).item()")

    def _print_Pow(self, expr, rational=False):
        if expr.exp == sp.S.Half:
            return f"{self.parenthesize(expr.base, PRECEDENCE['Pow'])}**0.5"
        return super()._print_Pow(expr, rational=rational)


def _array_valued(expr: sp.Basic) -> bool:
    """True if ``expr`` is an array: it has a tensor symbol outside every ``.item()``."""
    if isinstance(expr, Item):
        return False
    if isinstance(expr, TensorSymbol):
        return True
    return any(_array_valued(a) for a in expr.args)


class _ArrayPrinterMixin:
    """Routes scalar subexpressions to :class:`ScalarPrinter`; prints scalar-guarded Piecewise."""

    _copy_call = ""

    def __init__(self, settings=None):
        super().__init__(settings)
        self._scalar = ScalarPrinter()
        self._scalar._array = self  # prints the tensor inside a scalar's ``.item()``

    def _print(self, expr, **kwargs):
        if isinstance(expr, sp.Basic) and not isinstance(expr, sp.Piecewise) \
                and not _array_valued(expr):
            return self._scalar._print(expr, **kwargs)
        if isinstance(expr, FrameworkOp):  # SymPy's dispatch skips Function base classes
            return (self._print_Copy if isinstance(expr, Copy) else self._print_FrameworkOp)(expr)
        return super()._print(expr, **kwargs)

    def _print_Piecewise(self, expr):
        if any(is_tensor_expr(cond) for _, cond in expr.args):
            return super()._print_Piecewise(expr)
        *cases, (last, _) = expr.args
        out = self._print(last)
        for branch, cond in reversed(cases):
            out = f"({self._print(branch)} if {self._scalar._print(cond)} else {out})"
        return out

    def _print_Copy(self, expr):
        return f"{self._module_format(self._copy_call)}({self._print(expr.args[0])})"

    def _print_Mean(self, expr):
        """The mean along one axis, keeping it (Adafactor's row and column factors)."""
        call, axis, keep = self._mean_call
        return (f"{self._module_format(call)}({self._print(expr.args[0])}, "
                f"{axis}={int(expr.args[1])}, {keep}=True)")

    def _print_Norm(self, expr):
        return f"{self._module_format(self._norm_call)}({self._print(expr.args[0])})"

    def _print_Element(self, expr):  # tensor i of a list (optsym.listops): the array g[i]
        return print_element(self, expr)

    def _print_Sum(self, expr):  # over a tensor's elements, or over the list's tensors
        return print_sum(self, expr, self._sum_call)

    def _print_Max(self, expr):
        call = self._module_format(self._maximum_call)
        out = self._print(expr.args[0])
        for arg in expr.args[1:]:
            out = f"{call}({out}, {self._print(arg)})"
        return out


class NumpyTextbookPrinter(_ArrayPrinterMixin, NumPyPrinter):
    """NumPy source for the textbook form."""

    _copy_call = "numpy.copy"
    _maximum_call = "numpy.maximum"
    _mean_call = ("numpy.mean", "axis", "keepdims")
    _norm_call = "numpy.linalg.norm"
    _sum_call = "numpy.sum"

    def _print_FrameworkOp(self, expr):
        raise TypeError(f"{type(expr).__name__} is a torch operation; numpy prints textbook forms")

    def _print_Norm(self, expr):
        """The 2-norm with its squares summed in float64, cast back to the tensor's dtype: the
        norm the formula means.  ``numpy.linalg.norm`` squares in the dtype (a float32 update
        of 1e-27 has norm 0, and LAMB's trust ratio takes its other branch).  torch's CPU
        norm is not one thing either (a 0-d float32 tensor of 1e-27 has its exact norm, four
        values of 1e-27 have norm 0), so where a norm's square leaves the dtype's range the
        rounding bound calls the element outside its domain (:mod:`optsym.verify.bounds`)."""
        x, np_ = self._print(expr.args[0]), self._module_format("numpy")
        return (f"{np_}.sqrt({np_}.sum({np_}.square({x}, dtype={np_}.float64)))"
                f".astype({x}.dtype)")

    def _print_Min(self, expr):
        """Nested ``numpy.minimum`` (SymPy's own prints ``functools.reduce`` over a list)."""
        call = self._module_format("numpy.minimum")
        out = self._print(expr.args[0])
        for arg in expr.args[1:]:
            out = f"{call}({out}, {self._print(arg)})"
        return out


class TorchTextbookPrinter(_ArrayPrinterMixin, TorchPrinter):
    """torch source for the textbook form (torch functions, plain operators)."""

    _copy_call = "torch.clone"
    _maximum_call = "torch.maximum"
    _mean_call = ("torch.mean", "dim", "keepdim")
    _norm_call = "torch.linalg.norm"
    _sum_call = "torch.sum"

    def _print_Min(self, expr):
        """``torch.minimum`` of the tensor arguments, clamped above by the scalar ones."""
        tensors = [a for a in expr.args if is_tensor_expr(a)]
        scalars = [a for a in expr.args if not is_tensor_expr(a)]
        out = self._print(tensors[0])
        for arg in tensors[1:]:
            out = f"{self._module_format('torch.minimum')}({out}, {self._print(arg)})"
        if scalars:
            upper = self._print(sp.Min(*scalars))
            out = f"{self._module_format('torch.clamp')}({out}, max={upper})"
        return out

    def _print_Max(self, expr):
        """``torch.maximum`` of the tensor arguments, clamped below by the scalar ones."""
        tensors = [a for a in expr.args if is_tensor_expr(a)]
        scalars = [a for a in expr.args if not is_tensor_expr(a)]
        out = self._print(tensors[0])
        for arg in tensors[1:]:
            out = f"{self._module_format('torch.maximum')}({out}, {self._print(arg)})"
        if scalars:
            low = self._print(sp.Max(*scalars))
            out = f"{self._module_format('torch.clamp')}({out}, min={low})"
        return out

    def _print_Relational(self, expr):
        """The tensor first (``torch.lt(x, c)``: torch's comparisons take a tensor first)."""
        if not is_tensor_expr(expr.lhs) and is_tensor_expr(expr.rhs):
            expr = expr.reversed
        return super()._print_Relational(expr)

    def _print_Pow(self, expr, rational=False):
        if expr.exp == 2:
            return f"torch.square({self._print(expr.base)})"
        return super()._print_Pow(expr)


class TorchParityPrinter(TorchTextbookPrinter):
    """torch source in torch's own operation order: each :class:`FrameworkOp` is one call."""

    def _print_FrameworkOp(self, expr):
        if hasattr(expr, "print_torch"):  # more than one call (optsym.ops.FusedCpuMax)
            return expr.print_torch(self, expr)
        args = [self._print(a) for a in expr.args]
        if expr.torch_keyword:
            args[-1] = f"{expr.torch_keyword}={args[-1]}"
        keywords = getattr(expr, "torch_keywords", ())  # several keyword arguments (clamp)
        if keywords:
            args[-len(keywords):] = [f"{k}={a}" for k, a in zip(keywords, args[-len(keywords):])]
        positions = getattr(expr, "torch_arguments", ())  # printed arguments, by keyword or ""
        if positions:
            args = [f"{k}={a}" if k else a for k, a in zip(positions, args)]
        if getattr(expr, "torch_extra", ""):  # fixed keyword arguments (``keepdim=True``)
            args.append(expr.torch_extra)
        return f"{self._module_format(expr.torch_name)}({', '.join(args)})"

    _print_Copy = _print_FrameworkOp


PRINTERS = {
    "numpy": NumpyTextbookPrinter,
    "torch": TorchTextbookPrinter,
    "torch-parity": TorchParityPrinter,
}

__all__ = ["PRINTERS", "ScalarPrinter", "Copy", "FrameworkOp"]
