r"""Python-float arithmetic in a fixed evaluation order, as unevaluated SymPy nodes.

torch's learning-rate schedulers compute in Python floats, and the grouping of their operations
decides the last bit: ``math.pi * k / T`` is ``(math.pi * k) / T``, which rounds differently
from ``math.pi * (k / T)``.  SymPy flattens and reorders ``Add`` and ``Mul``, so a scheduler's
own order is written with the nodes below; each keeps its two operands and its place in the tree,
prints as the one Python operation it is, and knows its exact meaning (``to_math``), on which
the proof that the order computes the closed form is made:

.. math::

    \begin{align*}
    a \oplus b &= a + b, & a \ominus b &= a - b, & a \otimes b &= a b, & a \oslash b &= a / b \\
    a \mathbin{//} b &= \lfloor a / b \rfloor, & a \bmod b &= a - b \lfloor a / b \rfloor, &
    \mathrm{fl}(\pi) &\to \pi, & \operatorname{cos}_{\text{libm}} &\to \cos
    \end{align*}

:func:`parse` builds such a tree from a Python expression written exactly as torch writes it
(``"(1 + cos(pi * k / T)) / 2"``), read with :mod:`ast`; nothing is evaluated.  It is only ever
given optsym's own fixed source strings, never user text.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

import sympy as sp


class PyOp(sp.Function):
    """One Python-float operation, kept as one node and printed with explicit parentheses."""

    #: the Python operator (``"+"``) or function (``"math.cos"``) it prints as
    python: str = ""

    @classmethod
    def meaning(cls, *args: sp.Expr) -> sp.Expr:  # pragma: no cover - abstract
        raise NotImplementedError


class PyAdd(PyOp):
    nargs, python = 2, "+"

    @classmethod
    def meaning(cls, a, b):
        return a + b


class PySub(PyOp):
    nargs, python = 2, "-"

    @classmethod
    def meaning(cls, a, b):
        return a - b


class PyMul(PyOp):
    nargs, python = 2, "*"

    @classmethod
    def meaning(cls, a, b):
        return a * b


class PyDiv(PyOp):
    nargs, python = 2, "/"

    @classmethod
    def meaning(cls, a, b):
        return a / b


class PyFloorDiv(PyOp):
    nargs, python = 2, "//"

    @classmethod
    def meaning(cls, a, b):
        return sp.floor(a / b)


class PyMod(PyOp):
    nargs, python = 2, "%"

    @classmethod
    def meaning(cls, a, b):
        return sp.Mod(a, b)


class PyPow(PyOp):
    nargs, python = 2, "**"

    @classmethod
    def meaning(cls, a, b):
        return a**b


class PyCos(PyOp):
    nargs, python = 1, "math.cos"

    @classmethod
    def meaning(cls, a):
        return sp.cos(a)


class PyFloor(PyOp):
    nargs, python = 1, "math.floor"

    @classmethod
    def meaning(cls, a):
        return sp.floor(a)


class PyLog(PyOp):
    """``math.log(x, base)``."""

    nargs, python = 2, "math.log"

    @classmethod
    def meaning(cls, a, b):
        return sp.log(a) / sp.log(b)


class PyMin(PyOp):
    nargs, python = 2, "min"

    @classmethod
    def meaning(cls, a, b):
        return sp.Min(a, b)


class PyMax(PyOp):
    nargs, python = 2, "max"

    @classmethod
    def meaning(cls, a, b):
        return sp.Max(a, b)


class PyPi(PyOp):
    """``math.pi``: the double nearest to :math:`\\pi` (its meaning is :math:`\\pi`)."""

    nargs, python = 0, "math.pi"

    @classmethod
    def meaning(cls):
        return sp.pi


class PyFloat(PyOp):
    """A Python float literal, printed with ``repr`` (SymPy's ``Float`` prints 15 digits)."""

    nargs, python = 1, "float"

    @classmethod
    def meaning(cls, a):
        return sp.Rational(float(a))  # the double the literal denotes, exactly


_BINARY = {ast.Add: PyAdd, ast.Sub: PySub, ast.Mult: PyMul, ast.Div: PyDiv,
           ast.FloorDiv: PyFloorDiv, ast.Mod: PyMod, ast.Pow: PyPow}
_CALLS = {"cos": PyCos, "floor": PyFloor, "log": PyLog, "min": PyMin, "max": PyMax}
_COMPARE = {ast.Lt: sp.Lt, ast.LtE: sp.Le, ast.Gt: sp.Gt, ast.GtE: sp.Ge, ast.Eq: sp.Eq,
            ast.NotEq: sp.Ne}


def parse(source: str, names: Mapping[str, sp.Expr]) -> sp.Expr:
    """The Python expression ``source`` as a tree of :class:`PyOp` nodes (nothing is evaluated).

    Names are looked up in ``names`` (``pi`` is ``math.pi``); integer literals are exact, float
    literals are :class:`PyFloat`; ``a if c else b`` is a ``Piecewise``.
    """
    return _build(ast.parse(source, mode="eval").body, names)


def _build(node: ast.AST, names: Mapping[str, sp.Expr]) -> sp.Expr:
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_build(node.left, names), _build(node.right, names))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_build(node.operand, names)  # negation is exact
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        raise ValueError("booleans are not numbers here")
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return sp.Integer(node.value)
    if isinstance(node, ast.Constant) and isinstance(node.value, float):
        return PyFloat(sp.Float(node.value, 17))
    if isinstance(node, ast.Name):
        if node.id == "pi":
            return PyPi()
        return names[node.id]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in _CALLS and not node.keywords:
        return _CALLS[node.func.id](*[_build(a, names) for a in node.args])
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        return _COMPARE[type(node.ops[0])](_build(node.left, names),
                                           _build(node.comparators[0], names))
    if isinstance(node, ast.BoolOp):
        op = sp.And if isinstance(node.op, ast.And) else sp.Or
        return op(*[_build(v, names) for v in node.values])
    if isinstance(node, ast.IfExp):
        return sp.Piecewise((_build(node.body, names), _build(node.test, names)),
                            (_build(node.orelse, names), True))
    raise ValueError(f"unsupported syntax in a scheduler expression: {ast.dump(node)[:60]}")


def to_math(expr: sp.Basic) -> sp.Basic:
    """Replace every :class:`PyOp` by its exact meaning (for proofs)."""
    if not isinstance(expr, sp.Basic) or expr.is_Atom:
        return expr
    if isinstance(expr, PyFloat):
        return PyFloat.meaning(expr.args[0])
    if isinstance(expr, PyPi):
        return sp.pi
    args = [to_math(a) for a in expr.args]
    if isinstance(expr, PyOp):
        return type(expr).meaning(*args)
    return expr.func(*args)


def print_pyop(printer, expr: PyOp) -> str:
    """``(a + b)``, ``math.cos(a)``, ``math.pi``, ``0.1``: the node as Python source."""
    if isinstance(expr, PyFloat):
        return repr(float(expr.args[0]))
    if isinstance(expr, PyPi):
        return printer._module_format("math.pi")
    args = [printer._print(a) if a.is_Atom or isinstance(a, PyOp) and not a.is_Number
            else f"({printer._print(a)})" for a in expr.args]
    if expr.python.startswith("math."):
        return f"{printer._module_format(expr.python)}({', '.join(args)})"
    if expr.python in ("min", "max"):
        return f"{expr.python}({', '.join(args)})"
    return f"({args[0]} {expr.python} {args[1]})"
