r"""Operations over the whole list of a step's tensors, as SymPy nodes (the list part of
:mod:`optsym.ops`).

A rule acts on each tensor on its own; a *transform* (:mod:`optsym.transforms`) may reduce across
all of them (the global norm of the gradients).  A list of :math:`n` tensors is one symbol
(:class:`TensorList`); :math:`x_{i,j}` is element :math:`j` of tensor :math:`i`
(:class:`Element`), tensor :math:`i` has :math:`m_i` elements (:class:`Numel`), and a formula for
every element is a :class:`sympy.Lambda` of :math:`(i, j)`:

.. math::

    \lVert g \rVert = \sqrt{\textstyle\sum_{i=0}^{n-1} \sum_{j=0}^{m_i-1} g_{i,j}^2}, \qquad
    g \leftarrow (i, j) \mapsto s\, g_{i,j}

The framework nodes below (``torch._foreach_norm``, ``torch._foreach_mul_``, ...) keep torch's
operation order, each with its meaning for the proofs (:func:`optsym.proof.compose` substitutes
earlier list values before it replaces nodes by meanings, so a reduction sees the list formula).
The shared printers (:mod:`optsym.codegen.printers`) print :class:`Element` as the array
``g[i]`` and the two sums as the array's own sum and a Python ``sum`` over the tensors;
:func:`instantiate` and :func:`lower` turn a list formula into numbers (50-digit proof checks) and
into per-tensor array expressions whose rounding :mod:`optsym.verify.bounds` bounds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sympy as sp

from optsym.ops import FrameworkOp
from optsym.reductions import Norm
from optsym.spec import LATEX_NAMES, TensorSymbol

#: tensor index, element index, number of tensors
i = sp.Symbol("i", integer=True, nonnegative=True)
j = sp.Symbol("j", integer=True, nonnegative=True)
n = sp.Symbol("n", integer=True, positive=True)


class TensorList(TensorSymbol):
    """A symbol for a whole list of tensors (its entries are :class:`Element` nodes)."""


def tensor_list(name: str, latex: str | None = None) -> TensorList:
    sym = TensorList(name, real=True)
    if latex:
        LATEX_NAMES[sym] = latex
    return sym


#: the gradients and the parameters of a step, as lists
grads = tensor_list("grads", "g")
params = tensor_list("params", r"\theta")


def short_name(x: sp.Basic) -> str:
    """The list's name in plain-text formulas: ``g`` for the gradients, ``theta`` for the
    parameters."""
    return {"grads": "g", "params": "theta"}.get(str(x), str(x))


class Element(sp.Function):
    """``Element(x, i, j)``: element j of tensor i of the list ``x`` (``Element(x, i)``: entry i
    of a list of 0-d values).  Applied to a :class:`sympy.Lambda` it evaluates the formula."""

    is_real = True

    @classmethod
    def eval(cls, x, *index):
        if isinstance(x, sp.Lambda):
            return x(*index)
        return None

    def _latex(self, printer, exp=None):
        out = (f"{printer._print(self.args[0])}_"
               f"{{{','.join(printer._print(a) for a in self.args[1:])}}}")
        return out if exp is None else f"{out}^{{{exp}}}"

    def _sympystr(self, printer):
        return short_name(self.args[0]) + "".join(f"[{printer._print(a)}]" for a in self.args[1:])


class Numel(sp.Function):
    """``Numel(x, i)``: the number of elements :math:`m_i` of tensor i of the list ``x``."""

    is_integer = True
    is_positive = True

    def _latex(self, printer, exp=None):
        out = f"m_{{{printer._print(self.args[1])}}}"
        return out if exp is None else f"{out}^{{{exp}}}"

    def _sympystr(self, printer):
        return f"numel({short_name(self.args[0])}[{printer._print(self.args[1])}])"


def entries(x: sp.Expr) -> sp.Lambda:
    """A list as a formula of its indices: the input list, or an already updated one."""
    return x if isinstance(x, sp.Lambda) else sp.Lambda((i, j), Element(x, i, j))


def each(x: sp.Expr, f: Callable[[sp.Expr], sp.Expr]) -> sp.Lambda:
    """The list whose element (i, j) is ``f(x[i][j])``: an elementwise map over the list."""
    return sp.Lambda((i, j), f(entries(x)(i, j)))


def sum_elements(body: sp.Expr, x: sp.Expr = grads) -> sp.Expr:
    """:math:`\\sum_{j=0}^{m_i-1}` body: over the elements of tensor i."""
    return sp.Sum(body, (j, 0, Numel(x, i) - 1))


def sum_tensors(body: sp.Expr) -> sp.Expr:
    """:math:`\\sum_{i=0}^{n-1}` body: over the tensors of the list."""
    return sp.Sum(body, (i, 0, n - 1))


def lift(target: TensorList, expr: sp.Expr, per_tensor: dict[sp.Symbol, TensorList]) -> sp.Lambda:
    """A per-tensor formula (``grad + lambda*param``) as a formula for every element of the list
    ``target``: each per-tensor symbol becomes the list element it stands for."""
    del target  # the assignment's own target; named for the reader
    return sp.Lambda((i, j), expr.xreplace({s: Element(x, i, j) for s, x in per_tensor.items()}))


def _two_only(order: sp.Expr) -> None:
    if float(order) != 2.0:
        raise NotImplementedError(f"only the 2-norm is written (got order {order})")


class ForeachNorm(FrameworkOp):
    """``torch._foreach_norm(xs, 2.0)``: the list of the 2-norms of each tensor."""

    nargs = 2
    torch_name = "torch._foreach_norm"

    @classmethod
    def meaning(cls, xs, order):
        _two_only(order)
        return sp.Lambda(i, sp.sqrt(sum_elements(entries(xs)(i, j) ** 2)))


class Stack(FrameworkOp):
    """``torch.stack(xs)``: a list of 0-d tensors as one vector (its meaning: the same list)."""

    nargs = 1
    torch_name = "torch.stack"

    @classmethod
    def meaning(cls, xs):
        return xs


class VectorNorm(FrameworkOp):
    """``torch.linalg.vector_norm(v, 2.0)`` of a stack of the n per-tensor values."""

    nargs = 2
    torch_name = "torch.linalg.vector_norm"

    @classmethod
    def meaning(cls, v, order):
        _two_only(order)
        return sp.sqrt(sum_tensors(Element(v, i) ** 2))


class ForeachInPlace(FrameworkOp):
    """A ``torch._foreach_*_`` operation: updates every tensor of its first argument in place."""


class ForeachMul(ForeachInPlace):
    """``torch._foreach_mul_(xs, s)``: x <- x * s for every tensor (``s`` a 0-d tensor or float)."""

    nargs = 2
    torch_name = "torch._foreach_mul_"

    @classmethod
    def meaning(cls, xs, s):
        return sp.Lambda((i, j), entries(xs)(i, j) * s)


class ForeachClampMin(ForeachInPlace):
    """``torch._foreach_clamp_min_(xs, lo)``: x <- max(x, lo)."""

    nargs = 2
    torch_name = "torch._foreach_clamp_min_"

    @classmethod
    def meaning(cls, xs, lo):
        return sp.Lambda((i, j), sp.Max(entries(xs)(i, j), lo))


class ForeachClampMax(ForeachInPlace):
    """``torch._foreach_clamp_max_(xs, hi)``: x <- min(x, hi)."""

    nargs = 2
    torch_name = "torch._foreach_clamp_max_"

    @classmethod
    def meaning(cls, xs, hi):
        return sp.Lambda((i, j), sp.Min(entries(xs)(i, j), hi))


def has_lists(expr: sp.Basic) -> bool:
    """True if ``expr`` involves a list of tensors (a :class:`TensorList` or a list formula)."""
    return isinstance(expr, sp.Lambda) or any(isinstance(s, TensorList)
                                              for s in expr.free_symbols)


def as_element(value: sp.Expr) -> sp.Expr:
    """A list value as the formula of its element (i, j); anything else unchanged."""
    return value(i, j) if isinstance(value, sp.Lambda) else value


# -- printing (called by the shared printers) -------------------------------------------------

def print_element(printer, expr: Element) -> str:
    """``Element(g, i, j)`` in elementwise code: the whole array ``g[i]``."""
    base, *index = expr.args
    if len(index) != 2 or index[1] != j:
        raise TypeError(f"cannot print {expr}: expected an element x[i][j] of a list")
    return f"{printer._print(base)}[{printer._scalar._print(index[0])}]"


def print_sum(printer, expr: sp.Sum, array_sum: str) -> str:
    """A sum over a tensor's elements (the array's sum) or over the tensors (Python ``sum``)."""
    out = printer._print(expr.function)
    for var, lo, hi in expr.limits:
        if var == j and lo == 0 and isinstance(hi + 1, Numel):
            out = f"{printer._module_format(array_sum)}({out})"
        elif var == i and lo == 0 and hi == n - 1:
            out = f"sum({out} for i in range(n))"
        else:
            raise TypeError(f"cannot print the sum over {var} from {lo} to {hi}")
    return out


# -- numbers and bounds -------------------------------------------------------------------------

def instantiate(expr: sp.Expr, sizes: Sequence[int], index: tuple[int, int] = (0, 0)
                ) -> sp.Expr:
    """``expr`` on a concrete list (tensor k has ``sizes[k]`` elements), at element ``index``:
    the free i, j substituted, the sums written out (elements stay :class:`Element` nodes)."""
    expr = expr.subs({i: index[0], j: index[1]})  # the free i, j only (sums keep their own)
    expr = expr.subs(n, len(sizes)).doit()
    lists = {s for s in expr.atoms(TensorList)}
    return expr.xreplace({Numel(x, k): m for x in lists for k, m in enumerate(sizes)}).doit()


def lower(expr: sp.Expr, count: int, k: int | None) -> sp.Expr:
    """A list formula for tensor ``k`` of ``count`` as an array expression: element (k, j) of a
    list ``x`` becomes the array symbol ``x_k`` and a sum of squares over a tensor's elements
    its squared :class:`~optsym.reductions.Norm` (what :mod:`optsym.verify.bounds` bounds)."""
    expr = expr.subs(n, count)
    if k is not None:
        expr = expr.subs(i, k)

    def array(x: sp.Basic, m: sp.Basic) -> TensorSymbol:
        return TensorSymbol(f"{x}_{int(m)}", real=True)

    def visit(e: sp.Basic) -> sp.Basic:
        if isinstance(e, sp.Sum):
            *inner, (var, lo, hi) = e.limits
            body = sp.Sum(e.function, *inner) if inner else e.function
            if lo.is_Integer and hi.is_Integer:  # over the tensors: written out
                return sp.Add(*[visit(body.subs(var, m)) for m in range(int(lo), int(hi) + 1)])
            if var == j and body.is_Pow and body.exp == 2 and isinstance(body.base, Element):
                return Norm(array(body.base.args[0], body.base.args[1])) ** 2
            raise TypeError(f"no rounding bound for the sum {e}")
        if isinstance(e, Element):
            return array(e.args[0], e.args[1])
        if e.is_Atom or not e.args:
            return e
        return e.func(*[visit(a) for a in e.args])

    return visit(expr)


__all__ = ["i", "j", "n", "TensorList", "tensor_list", "grads", "params", "Element", "Numel",
           "entries", "each", "sum_elements", "sum_tensors", "lift", "ForeachNorm", "Stack",
           "VectorNorm", "ForeachInPlace", "ForeachMul", "ForeachClampMin", "ForeachClampMax",
           "has_lists", "as_element", "instantiate", "lower"]
