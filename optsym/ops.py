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
print each node as the framework call it stands for.  Operations over a tensor's elements or
axes (norms, means, Adafactor's outer product) live in :mod:`optsym.reductions`; nodes over
the whole list of a step's tensors (the global norm, ``_foreach_*`` calls) live in
:mod:`optsym.listops`.
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


class FusedCpuMax(TMax):
    r"""The maximum in torch's fused CPU Adam kernel (AMSGrad's ``max_exp_avg_sq``).

    The kernel walks each tensor in vectors of :data:`VECTOR_BYTES` (8 float32 or 4 float64:
    its AVX2 build, which torch also dispatches on AVX-512 machines, and the 32-byte default
    vector) with ``Vectorized::maximum``, which carries a NaN of either side, and finishes the
    last :math:`n \bmod w` elements in a scalar loop with ``std::max(a, b)``, that is
    ``b if a < b else a``, which keeps ``a`` where ``b`` is NaN.  On real numbers both are
    :math:`\max(a, b)`; the difference shows only under a NaN gradient (measured with torch
    2.13 on CPU: a 1-element tensor keeps its maximum, the first 8 of 9 float32 elements
    carry the NaN).  torch's CUDA kernel is not modelled: there the node is ``torch.maximum``.
    """

    #: bytes per vector in the kernel's main loop
    VECTOR_BYTES = 32

    @staticmethod
    def print_torch(printer, expr) -> str:
        """torch source: the vector body's ``torch.maximum``, the scalar tail's ``std::max``."""
        a, b = (printer._print(x) for x in expr.args)
        torch = printer._module_format("torch")
        tail = (f"{torch}.arange({a}.numel(), device={a}.device).reshape({a}.shape) >= "
                f"{a}.numel() - {a}.numel() % ({FusedCpuMax.VECTOR_BYTES} // {a}.element_size())")
        keep = f"{torch}.logical_and({tail}, {torch}.logical_not({a} < {b}))"
        vector = f"{torch}.maximum({a}, {b})"
        return f"({torch}.where({keep}, {a}, {vector}) if {a}.is_cpu else {vector})"


class TNeg(FrameworkOp):
    """``torch.neg(a)``: exact negation."""

    nargs = 1
    torch_name = "torch.neg"

    @classmethod
    def meaning(cls, a):
        return -a


class TSub(FrameworkOp):
    """``torch.sub(a, b)`` = a - b (ASGD's ``param.sub(ax)``)."""

    nargs = 2
    torch_name = "torch.sub"

    @classmethod
    def meaning(cls, a, b):
        return a - b


class TAbs(FrameworkOp):
    """``torch.abs(a)``: exact absolute value (Adamax's ``grad.abs()``)."""

    nargs = 1
    torch_name = "torch.abs"

    @classmethod
    def meaning(cls, a):
        return sp.Abs(a)


class Float32(FrameworkOp):
    """A Python float rounded to float32: what torch's 0-d float32 state tensors hold.

    torch keeps NAdam's ``mu_product`` and ASGD's ``eta`` and ``mu`` as 0-d float32 tensors
    (``_get_scalar_dtype()``) and reads them back with ``.item()``.  ``mu_product *= mu`` is
    therefore ``Float32(mu_product * Float32(mu))`` (the Python float ``mu`` meets a float32
    tensor), and ``eta.copy_(torch.as_tensor(x))`` is ``Float32(x)``.  Its meaning is the value
    itself; the rounding is what the node adds.  It is a scalar operation: generated code prints
    it as ``torch.tensor(x, dtype=torch.float32).item()``.
    """

    nargs = 1
    torch_name = "torch.tensor"

    @classmethod
    def meaning(cls, a):
        return a


class Float32Pow(FrameworkOp):
    """``torch.pow(x, p)`` of a 0-d float32 tensor ``x`` by a Python float ``p``: C's ``powf``
    (not Python's double ``**`` rounded to float32), as torch's foreach ASGD computes
    ``(1 + lambd * lr * step) ** alpha`` on its float32 step counter.  A scalar operation:
    generated code prints it as ``torch.pow(torch.tensor(x, dtype=torch.float32), p).item()``.
    """

    nargs = 2
    torch_name = "torch.pow"

    @classmethod
    def meaning(cls, a, b):
        return a**b


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


class TRecip(FrameworkOp):
    """``torch.reciprocal(a)`` = 1 / a (one rounding; ``b * (1/a)`` is not ``b / a``)."""

    nargs = 1
    torch_name = "torch.reciprocal"

    @classmethod
    def meaning(cls, a):
        return 1 / a




class TSign(FrameworkOp):
    """``torch.sign(a)``: -1, 0 or 1 elementwise (exact)."""

    nargs = 1
    torch_name = "torch.sign"

    @classmethod
    def meaning(cls, a):
        return sp.sign(a)


class TWhere(FrameworkOp):
    """``torch.where(cond, a, b)``: ``a`` where the elementwise condition holds, else ``b``.

    torch's masked assignment ``x[mask] = value`` computes the same (exact: a selection)."""

    nargs = 3
    torch_name = "torch.where"

    @classmethod
    def meaning(cls, cond, a, b):
        return sp.Piecewise((a, cond), (b, True))


class TClamp(FrameworkOp):
    """``torch.clamp(a, min=lo, max=hi)`` = min(max(a, lo), hi) (exact: a selection)."""

    nargs = 3
    torch_name = "torch.clamp"
    #: keywords of the trailing arguments in the torch call
    torch_keywords = ("min", "max")

    @classmethod
    def meaning(cls, a, lo, hi):
        return sp.Min(sp.Max(a, lo), hi)








class TClampMin(FrameworkOp):
    """``torch.clamp(a, min=lo)`` = max(a, lo) (exact: a selection)."""

    nargs = 2
    torch_name = "torch.clamp"
    torch_keyword = "min"

    @classmethod
    def meaning(cls, a, lo):
        return sp.Max(a, lo)


class TClampMax(FrameworkOp):
    """``torch.clamp(a, max=hi)`` = min(a, hi) (exact: a selection)."""

    nargs = 2
    torch_name = "torch.clamp"
    torch_keyword = "max"

    @classmethod
    def meaning(cls, a, hi):
        return sp.Min(a, hi)


class TRsqrt(FrameworkOp):
    """``torch.rsqrt(a)`` = 1 / sqrt(a), torch's own kernel (not ``1 / torch.sqrt(a)``)."""

    nargs = 1
    torch_name = "torch.rsqrt"

    @classmethod
    def meaning(cls, a):
        return 1 / sp.sqrt(a)




class Item(FrameworkOp):
    """``x.item()``: a 0-d tensor read as a Python float (exact; later arithmetic on it is
    Python's, in double precision).  The printers print what contains it as Python arithmetic."""

    nargs = 1
    torch_name = ".item"

    @classmethod
    def meaning(cls, a):
        return a


def to_math(expr: sp.Expr, keep: tuple[type, ...] = ()) -> sp.Expr:
    """Replace every :class:`FrameworkOp` node in ``expr`` by its mathematical meaning (and
    every Python-float operation of :mod:`optsym.pyops`, torch's own scalar order, by its own).
    Nodes of the types in ``keep`` stay (the rounding bounds keep :class:`Float32`)."""
    from optsym.pyops import PyOp

    if not isinstance(expr, sp.Basic) or expr.is_Atom:
        return expr
    args = [to_math(a, keep) for a in expr.args]
    if isinstance(expr, keep):
        return expr.func(*args)
    if isinstance(expr, (FrameworkOp, PyOp)):
        return type(expr).meaning(*args)
    return expr.func(*args) if args else expr
