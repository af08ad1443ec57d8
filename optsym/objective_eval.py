r"""An objective's SymPy tree as a numeric function, without generating or running any code.

:func:`compile_tree` walks the tree once and returns nested closures, one per node, that
evaluate it through a table of NumPy or torch functions (``ops``): an ``Add`` sums its terms left
to right, a ``Mul`` multiplies them left to right, :math:`a^{1/2}` is ``sqrt``, an integer power
is Python's ``**``, any other power ``ops["pow"]``.  The order is the tree's, so NumPy and torch
(autograd included) see the same operations; constants are converted to floats once, not at
every evaluation, which is what makes a long trajectory cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

Env = dict
Node = Callable[[Env], Any]


def _fold(parts: list[Node], combine: Callable[[Any, Any], Any]) -> Node:
    first, rest = parts[0], parts[1:]

    def node(env: Env):
        out = first(env)
        for part in rest:
            out = combine(out, part(env))
        return out
    return node


def compile_tree(expr: sp.Expr, ops: dict) -> Node:
    """``expr`` as a function of ``env`` (symbol -> value) through ``ops``; an unknown function
    is an :class:`~optsym.objective.ObjectiveError` here, before any evaluation."""
    if isinstance(expr, sp.Symbol):
        return lambda env: env[expr]
    if not expr.free_symbols:
        constant = float(expr)
        return lambda env: constant
    parts = [compile_tree(a, ops) for a in expr.args]
    if isinstance(expr, sp.Add):
        return _fold(parts, lambda a, b: a + b)
    if isinstance(expr, sp.Mul):
        return _fold(parts, lambda a, b: a * b)
    if isinstance(expr, sp.Pow):
        base, power = parts
        exponent = expr.exp
        if exponent == sp.Rational(1, 2):
            sqrt = ops["sqrt"]
            return lambda env: sqrt(base(env))
        if exponent.is_Integer:
            n = int(exponent)
            return lambda env: base(env) ** n
        pow_ = ops["pow"]
        return lambda env: pow_(base(env), power(env))
    name = type(expr).__name__
    if name not in ops:
        from optsym.objective import ObjectiveError

        raise ObjectiveError(f"cannot evaluate {name} numerically")
    fn = ops[name]
    return lambda env: fn(*(part(env) for part in parts))


def numpy_ops() -> dict:
    import numpy as np

    return {"sqrt": np.sqrt, "pow": np.power, "exp": np.exp, "log": np.log, "sin": np.sin,
            "cos": np.cos, "tan": np.tan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
            "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "Abs": np.abs,
            "sign": np.sign}


def torch_ops() -> dict:
    import torch

    return {"sqrt": torch.sqrt, "pow": torch.pow, "exp": torch.exp, "log": torch.log,
            "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "sinh": torch.sinh,
            "cosh": torch.cosh, "tanh": torch.tanh, "asin": torch.asin, "acos": torch.acos,
            "atan": torch.atan, "Abs": torch.abs, "sign": torch.sign}


__all__ = ["compile_tree", "numpy_ops", "torch_ops"]
