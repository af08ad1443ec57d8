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
correctly rounded, 2 for a power with a symbolic exponent, 0 for max/abs/sign) and :math:`w_s`
is :math:`|s|`, or for a sum the sum of its terms' magnitudes (partial sums can exceed the
total).  Each hyperparameter leaf is rounded once to the tensor dtype (a Python float meeting a
float32 array).

``optsym verify`` checks the textbook backends one step at a time from torch's own state, so
errors do not compound across steps, and passes an element when

.. math::

    |\text{ours} - \text{torch}| \le u\,\bigl(B(f_{\text{textbook}}) + B(f_{\text{torch order}})\bigr)
    + \text{tiny}

each term bounding one of the two computations (tiny = the dtype's smallest normal number, for
results that underflow).  Where a formula cancels (centered RMSprop's :math:`v - \bar g^2`), the
sensitivities grow and so does the bound: the tolerance comes from the rule, not from tuning.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp

from optsym.spec import t

SQRT_ROUNDINGS = 2


def _roundings(node: sp.Basic) -> tuple[int, sp.Expr]:
    """(number of roundings, magnitude weight) of one operation node."""
    if isinstance(node, sp.Add):
        return len(node.args) - 1, sp.Add(*[sp.Abs(a, evaluate=False) for a in node.args])
    if isinstance(node, sp.Mul):
        factors = [a for a in node.args if a not in (sp.S.NegativeOne,)]
        return max(len(factors) - 1, 0), sp.Abs(node, evaluate=False)
    if isinstance(node, sp.Pow):
        if node.exp in (2, -1):
            return 1, sp.Abs(node, evaluate=False)
        if node.exp == sp.S.Half:
            return SQRT_ROUNDINGS, sp.Abs(node, evaluate=False)
        if node.exp == -sp.S.Half:
            return SQRT_ROUNDINGS + 1, sp.Abs(node, evaluate=False)
        return 2, sp.Abs(node, evaluate=False)
    if isinstance(node, (sp.Max, sp.Min, sp.Abs, sp.sign)):
        return 0, sp.S.Zero
    return 2, sp.Abs(node, evaluate=False)


def _local_derivative(node: sp.Basic, index: int) -> sp.Expr:
    """d node / d node.args[index], computed on the node alone (cheap: the node is small)."""
    dummies = [sp.Dummy(f"a{i}") for i in range(len(node.args))]
    local = sp.diff(node.func(*dummies), dummies[index])
    return local.xreplace(dict(zip(dummies, node.args)))


def _adjoints(f: sp.Expr) -> dict[sp.Basic, sp.Expr]:
    """df/ds for every subexpression s of f, by reverse accumulation over the expression DAG."""
    order: list[sp.Basic] = []
    seen: set[sp.Basic] = set()

    def visit(node: sp.Basic) -> None:  # post-order: children before parents
        if node in seen:
            return
        seen.add(node)
        for child in node.args:
            visit(child)
        order.append(node)

    visit(f)
    adjoint: dict[sp.Basic, sp.Expr] = {f: sp.S.One}
    for node in reversed(order):  # parents before children
        a = adjoint.get(node, sp.S.Zero)
        if a == 0 or node.is_Atom or isinstance(node, sp.Piecewise):
            continue
        for i, child in enumerate(node.args):
            if child.is_Number or child.free_symbols == set():
                continue
            adjoint[child] = adjoint.get(child, sp.S.Zero) + a * _local_derivative(node, i)
    return adjoint


def bound_expr(f: sp.Expr, scalar_leaves: set[sp.Symbol]) -> sp.Expr:
    r"""B(f): the first-order rounding-error bound of ``f`` divided by u."""
    f = sp.piecewise_fold(f)
    if isinstance(f, sp.Piecewise):
        return sp.Piecewise(*[(bound_expr(e, scalar_leaves), c) for e, c in f.args])
    terms = []
    for node, sens in _adjoints(f).items():
        if node.is_Atom:
            if node in scalar_leaves:  # a Python float rounded to the tensor dtype
                terms.append(sp.Abs(node * sens, evaluate=False))
            continue
        k, weight = _roundings(node)
        if k:
            terms.append(k * weight * sp.Abs(sens, evaluate=False))
    return sp.Add(*terms)


def compile_bound(f: sp.Expr, scalar_leaves: set[sp.Symbol]) -> Callable[..., np.ndarray]:
    """A NumPy function of the step's inputs (by symbol name) returning B(f) elementwise."""
    expr = bound_expr(f, scalar_leaves)
    symbols = sorted(f.free_symbols | {t}, key=lambda s: s.name)
    fn = sp.lambdify(symbols, expr, modules="numpy")
    names = [s.name for s in symbols]

    def evaluate(values: dict[str, np.ndarray | float]) -> np.ndarray:
        with np.errstate(all="ignore"):
            out = np.asarray(fn(*[values[n] for n in names]), dtype=np.float64)
        return np.where(np.isnan(out), 0.0, out)  # 0 * inf: an exact zero operand

    return evaluate

