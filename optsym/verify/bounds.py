r"""First-order rounding-error bounds, derived from the rule's own expressions.

The textbook backends compute the same mathematics as torch in a different order, so they cannot
be bitwise equal.  How far apart they may be follows from the standard model of floating-point
arithmetic, :math:`\mathrm{fl}(a \circ b) = (a \circ b)(1 + \delta)`, :math:`|\delta| \le u`
(:math:`u = 2^{-24}` in float32, :math:`2^{-53}` in float64).  To first order, evaluating
:math:`f` with a relative error :math:`\delta_s` at every operation node :math:`s` changes the
result by

.. math::

    |\hat f - f| \;\le\; u \sum_{s} k_s \,\Bigl|\, w_s \frac{\partial f}{\partial s} \Bigr|
    \;=:\; u\, B(f)

where :math:`k_s` counts the roundings of node :math:`s` (n-1 for a sum or product of n terms, 1
for a square or a reciprocal, 2 for a square root since torch's float32 ``sqrt`` is not always
correctly rounded, 2 for a power with a symbolic exponent, 8 for an elementary function such
as exp or sin, 0 for max/abs/sign) and :math:`w_s`
is :math:`|s|`, or for a sum the sum of its terms' magnitudes (partial sums can exceed the
total).  Each hyperparameter leaf is rounded once to the tensor dtype (a Python float meeting a
float32 array).

The bound is evaluated numerically on the SymPy expression DAG: a forward pass computes every
node's value, a reverse pass accumulates :math:`\partial f / \partial s` (reverse-mode
differentiation with each node type's local derivative), and the sum above is formed on the way.

``optsym verify`` checks the textbook backends one step at a time from torch's own state, so
errors do not compound across steps, and passes an element when

.. math::

    |\text{ours} - \text{torch}|
    \le u\,\bigl(B(f_{\text{textbook}}) + B(f_{\text{torch order}})\bigr)
    + \text{tiny}

each term bounding one of the two computations (tiny = the dtype's smallest normal number, for
results that underflow).  Where a formula cancels (centered RMSprop's :math:`v - \bar g^2`), the
sensitivities grow and so does the bound: the tolerance comes from the rule, not from tuning.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from sympy.functions.elementary.piecewise import ExprCondPair

from optsym.ops import Float32
from optsym.reductions import Mean, Norm
from optsym.spec import is_tensor_expr

SQRT_ROUNDINGS = 2

#: elementary functions an objective may use; values and derivatives come from SymPy itself
_ELEMENTARY = (sp.exp, sp.log, sp.sin, sp.cos, sp.tan, sp.sinh, sp.cosh, sp.tanh, sp.asin,
               sp.acos, sp.atan)


@functools.lru_cache(maxsize=None)
def _elementary(fn: type) -> tuple:
    """NumPy forms of ``fn`` and of its derivative, lambdified from SymPy's own ``diff``."""
    z = sp.Dummy("z")
    return (sp.lambdify(z, fn(z), "numpy"), sp.lambdify(z, sp.diff(fn(z), z), "numpy"))


#: roundings of one elementary function: vectorised float32 kernels (NumPy's SIMD loops,
#: SLEEF's 3.5-ulp variants in torch) are not correctly rounded; 4 ulp = 8 u covers them
#: (measured: NumPy's float32 exp reaches 2.7 u relative)
ELEMENTARY_ROUNDINGS = 8


def _roundings(node: sp.Basic) -> int:
    """How many roundings one operation node performs (k_s above)."""
    if isinstance(node, sp.Add):
        return len(node.args) - 1
    if isinstance(node, sp.Mul):
        return max(len([a for a in node.args if a != sp.S.NegativeOne]) - 1, 0)
    if isinstance(node, sp.Pow):
        if node.exp in (2, -1):
            return 1
        if node.exp == sp.S.Half:
            return SQRT_ROUNDINGS
        if node.exp == -sp.S.Half:
            return SQRT_ROUNDINGS + 1
        return 2
    if isinstance(node, (sp.Max, sp.Min, sp.Abs, sp.sign)):
        return 0
    if type(node) in _ELEMENTARY:
        return ELEMENTARY_ROUNDINGS
    return 2


def _float32_roundings(unit: float | None) -> float:
    """A rounding to float32 (torch's 0-d float32 scalar state) in units of the dtype's u."""
    return 1.0 if unit is None else max(2.0**-24 / unit, 1.0)


def _topological(f: sp.Basic) -> list[sp.Basic]:
    """The distinct subexpressions of ``f``, children before parents."""
    order: list[sp.Basic] = []
    seen: set[sp.Basic] = set()

    def visit(node: sp.Basic) -> None:
        if node in seen:
            return
        seen.add(node)
        for child in node.args:
            visit(child)
        order.append(node)

    visit(f)
    return order


_RELATIONS = {sp.Eq: np.equal, sp.Ne: np.not_equal, sp.Lt: np.less, sp.Le: np.less_equal,
              sp.Gt: np.greater, sp.Ge: np.greater_equal}


def _forward(node: sp.Basic, args: list, values: dict[str, np.ndarray | float]):
    """The numeric value of one node from its arguments' values."""
    if node.is_Symbol:
        return values[node.name]
    if node.is_Number or node in (sp.true, sp.false):
        return float(node) if node.is_Number else bool(node)
    if isinstance(node, sp.Add):
        return sum(args[1:], args[0])
    if isinstance(node, sp.Mul):
        out = args[0]
        for x in args[1:]:
            out = out * x
        return out
    if isinstance(node, sp.Pow):
        return np.power(args[0], args[1])
    if isinstance(node, Float32):
        return args[0]
    if type(node) in _ELEMENTARY:
        return _elementary(type(node))[0](args[0])
    if isinstance(node, sp.Max):
        return np.maximum.reduce(np.broadcast_arrays(*args))
    if isinstance(node, sp.Min):
        return np.minimum.reduce(np.broadcast_arrays(*args))
    if isinstance(node, sp.Abs):
        return np.abs(args[0])
    if isinstance(node, sp.sign):
        return np.sign(args[0])
    if isinstance(node, Mean):  # along one of the tensor's own (trailing) axes
        return np.mean(np.asarray(args[0]), axis=int(node.args[1]), keepdims=True)
    if isinstance(node, Norm):  # axis 0 indexes the steps; the norm reduces the rest
        x = np.asarray(args[0])
        return np.sqrt(np.sum(x * x, axis=tuple(range(1, x.ndim)), keepdims=True))
    if isinstance(node, (sp.Or, sp.And)):
        return (np.logical_or if isinstance(node, sp.Or) else np.logical_and).reduce(
            np.broadcast_arrays(*args))
    if isinstance(node, sp.Not):
        return np.logical_not(args[0])
    if isinstance(node, sp.ITE):  # a condition on a selected value (Rprop's factor == etaminus)
        return np.where(*np.broadcast_arrays(*args))
    if isinstance(node, ExprCondPair):
        return tuple(args)
    if isinstance(node, sp.Piecewise):  # inside a condition: the selected value itself
        values_, conds = zip(*args)
        return np.select([np.broadcast_to(c, np.shape(np.broadcast_arrays(*values_, *conds)[0]))
                          for c in conds], np.broadcast_arrays(*values_), np.nan)
    if type(node) in _RELATIONS:
        return _RELATIONS[type(node)](args[0], args[1])
    raise TypeError(f"no numeric rule for {type(node).__name__} in a rounding bound")


def _backward(node: sp.Basic, args: list, value, adj) -> list:
    """Adjoint contributions d node / d arg * adj, one per argument."""
    if isinstance(node, sp.Add):
        return [adj] * len(args)
    if isinstance(node, sp.Mul):
        out = []
        for i in range(len(args)):
            others = 1.0
            for j, x in enumerate(args):
                if j != i:
                    others = others * x
            out.append(adj * others)
        return out
    if isinstance(node, sp.Pow):
        base, exp = args
        # a numeric exponent (2, 1/2) is exact and skipped by the caller; a computed one
        # (NAdam's 0.96 ** (t * momentum_decay)) carries its error: d/dx a**x = a**x log a
        with np.errstate(divide="ignore", invalid="ignore"):
            d_exp = np.where(np.asarray(value) == 0, 0.0, value * np.log(np.abs(base)))
        return [adj * exp * np.power(base, exp - 1), adj * d_exp]
    if isinstance(node, Float32):
        return [adj]
    if type(node) in _ELEMENTARY:
        return [adj * _elementary(type(node))[1](args[0])]
    if isinstance(node, sp.Max):
        pick = np.argmax(np.stack(np.broadcast_arrays(*args)), axis=0)
        return [adj * (pick == i) for i in range(len(args))]
    if isinstance(node, sp.Min):
        pick = np.argmin(np.stack(np.broadcast_arrays(*args)), axis=0)
        return [adj * (pick == i) for i in range(len(args))]
    if isinstance(node, sp.Abs):
        return [adj * np.sign(args[0])]
    if isinstance(node, sp.sign):  # flat; near 0 the caller flags the element (``unit``)
        return [0.0 * adj]
    raise TypeError(f"no derivative rule for {type(node).__name__} in a rounding bound")


def _condition(cond: sp.Basic, values) -> np.ndarray:
    order = _topological(cond)
    val: dict[sp.Basic, object] = {}
    with np.errstate(all="ignore"):  # an inf or NaN input is judged by the comparison
        for node in order:
            val[node] = _forward(node, [val[a] for a in node.args], values)
    return np.asarray(val[cond])


def _times(a, b):
    """a * b where a zero factor wins over an infinite one (an exact zero carries no error)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where((np.asarray(a) == 0) | (np.asarray(b) == 0), 0.0, np.multiply(a, b))


def _norm_error(node: Norm, child_bound, value) -> np.ndarray:
    r"""B of a tensor norm :math:`\lVert x \rVert`: the error of its argument and its own.

    :math:`|\delta \lVert x \rVert| \le \lVert \delta x \rVert` (triangle inequality), so the
    argument's elementwise bounds enter as their 2-norm; the norm's own evaluation (n squares,
    a sum of n nonnegative terms in any order, a square root) has a relative error of at most
    :math:`(n/2 + 2)u` to first order.
    """
    b = np.broadcast_to(np.asarray(child_bound, dtype=np.float64), np.shape(value))
    axes = tuple(range(1, b.ndim))
    n = int(np.prod(b.shape[1:])) if b.ndim > 1 else 1
    norm = np.sqrt(np.sum(np.asarray(value, dtype=np.float64) ** 2, axis=axes, keepdims=True))
    return np.sqrt(np.sum(b * b, axis=axes, keepdims=True)) + (n / 2 + SQRT_ROUNDINGS) * norm


#: ``sympy.piecewise_fold``, once per expression: it simplifies the conditions, which is slow
#: for Rprop's nested selections and is otherwise repeated per tensor, dtype and backend
_piecewise_fold = functools.lru_cache(maxsize=512)(sp.piecewise_fold)


def _scalar_choice(f: sp.Piecewise, values) -> sp.Expr | None:
    """The branch ``f`` takes when its conditions are numbers, not arrays (a whole tensor takes
    one branch: Adafactor's ``ndim > 1``); None when a condition is elementwise."""
    for expr, cond in f.args:
        holds = _condition(cond, values)
        if np.ndim(holds) != 0:
            return None
        if bool(holds):
            return expr
    return None


def _mean_error(node: Mean, child_bound, value) -> np.ndarray:
    r"""B of a mean along one axis of n elements: its argument's bounds, averaged, and its own
    n - 1 additions and one division, at most :math:`n \operatorname{mean}|x|` (first order)."""
    axis = int(node.args[1])
    x = np.asarray(value, dtype=np.float64)
    b = np.broadcast_to(np.asarray(child_bound, dtype=np.float64), x.shape)
    n = x.shape[axis]
    return (np.mean(b, axis=axis, keepdims=True)
            + n * np.mean(np.abs(x), axis=axis, keepdims=True))


def _onto(mask: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``mask`` reduced by ``any`` onto the shape of ``like``: an output reduced along an axis
    (Adafactor's row mean, a norm) is marked where any element it reduces is."""
    shape, mask = np.shape(like), np.asarray(mask)
    lead = mask.ndim - len(shape)
    if lead < 0:
        return mask  # it broadcasts
    for axis, n in enumerate((1,) * lead + shape):
        if n == 1 and mask.shape[axis] > 1:
            mask = mask.any(axis=axis, keepdims=True)
    return mask.reshape(mask.shape[lead:])


def evaluate_bound(f: sp.Expr, scalar_leaves: set[sp.Symbol],
                   values: dict[str, np.ndarray | float], unit: float | None = None,
                   tiny: float = 0.0, huge: float | None = None) -> np.ndarray:
    r"""B(f) at ``values`` (arrays broadcast together): forward values, then reverse adjoints.

    The adjoints propagated are absolute values (:math:`\sum |\prod \partial|` over paths), an
    upper bound on :math:`|\partial f/\partial s|` that holds even where generated code computes
    a shared subexpression twice.  A bound that is not finite (a square root of an exact zero,
    an overflow) means the element cannot be checked to first order; it is returned as inf.

    A tensor norm (:class:`~optsym.reductions.Norm`, axis 0 of the values indexing the steps) is
    bounded by :func:`_norm_error`.  A sign is flat, but rounding can flip it where its
    argument is within rounding of 0: given ``unit`` (the dtype's unit roundoff), an element
    whose sign argument :math:`c` has :math:`|c| \le 2u B(c)` gets an infinite bound (not
    checkable to first order: the two computations may take different signs there).  An
    element where a square root's argument :math:`c` has :math:`|c| \le 2u B(c)` is outside the
    bound's domain (NaN, below): either order may take the root of a value rounded below 0.

    ``tiny`` (the dtype's smallest normal number) covers underflow: a result below it carries an
    absolute error up to :math:`u \cdot \text{tiny}` instead of a relative one, so each
    rounding's weight is :math:`|s| + \text{tiny}` (negligible unless a sensitivity is huge: a
    gradient of 1e-20 squared to a subnormal 1e-40 under :math:`1/\sqrt{v}`).

    ``huge`` (the dtype's largest finite number) marks overflow: an element where an
    intermediate tensor value of ``f`` (taken in float64), or the square of a norm, exceeds it
    in magnitude (or the square of a norm is below ``tiny``: it underflows) has no first-order
    bound at all, since the dtype's computation there is inf
    or NaN (centered RMSprop's :math:`g^2` at a float32 gradient of 1e30; LAMB's norm of an
    update of 2.6e19).  It is returned as NaN: outside the
    bound's domain, where inf means "not checkable to first order".
    """
    f = _piecewise_fold(f)
    if isinstance(f, sp.Piecewise):
        chosen = _scalar_choice(f, values)
        if chosen is not None:  # one branch for the whole tensor (Adafactor's ndim > 1)
            return evaluate_bound(chosen, scalar_leaves, values, unit, tiny, huge)
        out = None
        for expr, cond in reversed(f.args):
            branch = evaluate_bound(expr, scalar_leaves, values, unit, tiny, huge)
            out = branch if out is None else np.where(_condition(cond, values), branch, out)
        return out
    order = _topological(f)
    val: dict[sp.Basic, object] = {}
    with np.errstate(all="ignore"):
        for node in order:
            val[node] = _forward(node, [val[a] for a in node.args], values)
        adj: dict[sp.Basic, object] = {f: 1.0}
        total = 0.0
        undefined: list[np.ndarray] = []  # elements outside the bound's domain (NaN)
        for node in reversed(order):
            a = adj.get(node)
            if a is None:
                continue
            if isinstance(node, Norm):
                inner = evaluate_bound(node.args[0], scalar_leaves, values, unit, tiny)
                total = total + _times(_norm_error(node, inner, val[node.args[0]]), a)
                continue
            if isinstance(node, Mean):
                inner = evaluate_bound(node.args[0], scalar_leaves, values, unit, tiny)
                total = total + _times(_mean_error(node, inner, val[node.args[0]]), a)
                continue
            if isinstance(node, sp.sign) and unit is not None:
                inner = evaluate_bound(node.args[0], scalar_leaves, values, unit, tiny)
                near_zero = np.abs(val[node.args[0]]) <= 2 * unit * inner
                total = total + np.where(near_zero & (np.asarray(a) != 0), np.inf, 0.0)
            if (isinstance(node, sp.Pow) and node.exp in (sp.S.Half, -sp.S.Half)
                    and unit is not None and not node.base.is_Atom):
                # a square root whose argument is within rounding of 0 (centered RMSprop's
                # g^2 - avg^2 at a tiny alpha): one order may take the root of a negative, a
                # NaN that rounding explains: outside the bound's domain
                # (an argument that is exactly 0 cannot round below 0: no NaN to explain)
                inner = evaluate_bound(node.base, scalar_leaves, values, unit, tiny)
                near_zero = (np.abs(val[node.base]) <= 2 * unit * inner) & (val[node.base] != 0)
                undefined.append(near_zero & (np.asarray(a) != 0))
            if node.is_Atom:
                if node in scalar_leaves:  # a Python float rounded to the tensor dtype
                    total = total + _times(np.abs(val[node]), a)
                continue
            args = [val[x] for x in node.args]
            k = _roundings(node) if not isinstance(node, Float32) else _float32_roundings(unit)
            if k:
                weight = (sum(np.abs(x) for x in args) if isinstance(node, sp.Add)
                          else np.abs(val[node])) + tiny
                total = total + k * _times(weight, a)
            for child, local in zip(node.args, _backward(node, args, val[node], 1.0)):
                if child.is_Number:
                    continue
                adj[child] = adj.get(child, 0.0) + _times(a, np.abs(local))
        out = np.where(np.isnan(np.asarray(total, dtype=np.float64)), np.inf, total)
        if huge is not None:
            over = [np.abs(np.asarray(val[n], dtype=np.float64)) > huge for n in order
                    if not n.is_Atom and is_tensor_expr(n)]
            # a norm's sum of squares may overflow in the dtype (torch's float32 vector_norm
            # does, at a norm of 2.6e19) whatever the order its library sums in
            over += [np.asarray(val[n], dtype=np.float64) ** 2 > huge for n in order
                     if isinstance(n, Norm)]
            # ... or underflow below the smallest normal (four float32 values of 1e-27 have
            # norm 0 in torch's vector_norm, 2e-27 in float64)
            over += [(0 < np.asarray(val[n], dtype=np.float64) ** 2)
                     & (np.asarray(val[n], dtype=np.float64) ** 2 < tiny) for n in order
                     if isinstance(n, Norm) and tiny > 0]
            # ... but a pole is no overflow: a division by an exact 0 (a formula's own 0/0
            # where v = 0) stays a failure
            poles = [np.asarray(val[n.base], dtype=np.float64) == 0 for n in order
                     if isinstance(n, sp.Pow) and n.exp.is_negative and is_tensor_expr(n)]
            if over:
                mask = np.logical_or.reduce(np.broadcast_arrays(*over))
                if poles:
                    pole = _onto(np.logical_or.reduce(np.broadcast_arrays(*poles)), mask)
                    mask = mask & ~np.broadcast_to(pole, np.broadcast(mask, pole).shape)
                undefined.append(mask)
        if undefined:
            out = np.where(_onto(np.logical_or.reduce(np.broadcast_arrays(*undefined)), out),
                           np.nan, out)
    return np.asarray(out, dtype=np.float64)
