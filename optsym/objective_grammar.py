r"""The objective grammar: text to a SymPy tree, node by node, through an allow-list; never executed.

A user's objective (``"(x - 3)**2"``, ``"x^2 + 10*y^2"``, ``"rosenbrock"``) becomes a SymPy
expression in real variables, built node by node from Python's :mod:`ast` parse tree; nothing
is evaluated, and no ``eval``, ``exec`` or ``sympify`` ever sees the text.  The grammar:

.. math::

    \begin{align*}
    \text{expr} &::= \text{number} \mid \text{variable} \mid \pi \mid e
        \mid \text{expr} \mathbin{op} \text{expr} \mid \pm\,\text{expr}
        \mid \text{function}(\text{expr}), \qquad op \in \{+, -, *, /, **, \hat{}\,\} \\
    \text{variable} &::= [a\text{-}z][a\text{-}z0\text{-}9\_]^* \quad (\text{at most 8}),
    \qquad \text{function} \in \{\exp, \log, \sqrt{\ }, \sin, \cos, \dots\}
    \end{align*}

Numbers are exact: the literal ``0.1`` is the rational :math:`1/10` (its decimal text), not the
double nearest to it.  ``^`` is a power (``**``), and as in Python ``-x**2`` is
:math:`-(x^2)` and ``x**y**z`` is :math:`x^{(y^z)}`.  Anything else is refused with a one-line
:class:`ObjectiveError` naming what: attribute access, subscripts, lambdas, strings, keyword
arguments, calls of unknown names, non-ASCII text, text over 500 characters, nesting deeper
than 60, exponents over 100 in absolute value, a variable in an exponent (``x^y``, ``2^x``:
write ``exp(...)``), integer literals over 30 digits, and constants that would take over 1000
digits (``9**9**9**9``): SymPy evaluates constant powers eagerly and would hang on them.

:func:`parse_formula` returns the expression and its variables; :class:`~optsym.objective.Objective`
is built from them in :mod:`optsym.objective`.  :func:`exact_decimal` reads one number the same
way, and :mod:`optsym.params` builds constants with :class:`Builder`.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation

import sympy as sp

from optsym.spec import SpecError

#: limits on the text and the tree
MAX_CHARS = 500
MAX_DEPTH = 60
MAX_VARIABLES = 8
MAX_EXPONENT = 100
MAX_LITERAL_DIGITS = 30
#: a decimal literal's power of ten, at most this in absolute value (``1e-8`` is fine)
MAX_DECIMAL_EXPONENT = 60
#: a constant may not exceed this many decimal digits (numerator or denominator)
MAX_CONSTANT_DIGITS = 1000
#: a function's constant argument (``exp(50)``) at most this in absolute value
MAX_CONSTANT_ARGUMENT = 1e4
#: exp, sinh, cosh nested at most this deep (``exp(exp(x))``; deeper towers overflow anything)
MAX_EXP_NESTING = 2
#: exponentials inside bounded functions (``sigmoid(sigmoid(...))``) nest at most this deep: each
#: level doubles the derivative's size (depth 8 takes 0.5 s more, depth 14 takes 30 s)
MAX_BOUNDED_EXP_NESTING = 8


class ObjectiveError(SpecError):
    """An objective or a point the parser refuses: one line, exit status 2 in the CLI."""


def _sigmoid(a: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-a))


def _softplus(a: sp.Expr) -> sp.Expr:
    return sp.log(1 + sp.exp(a))


#: the functions an objective may call, each with one positional argument
FUNCTIONS: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "exp": sp.exp, "log": sp.log, "ln": sp.log, "sqrt": sp.sqrt,
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
    "asin": sp.asin, "acos": sp.acos, "atan": sp.atan, "arctan": sp.atan,
    "abs": sp.Abs, "sigmoid": _sigmoid, "softplus": _softplus,
}
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "e": sp.E}
#: names that read as numbers no objective can hold: refused, not taken as variables
NOT_FINITE = frozenset({"nan", "inf", "infinity", "oo", "zoo"})

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_ALLOWED_CHARS = re.compile(r"[A-Za-z0-9_ \t+\-*/^().,]*\Z")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")
_FRACTION = re.compile(r"[+-]?\d+/\d+\Z")

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
#: what the refused node types are called in the messages
_REFUSED = {
    ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Lambda: "lambda",
    ast.List: "lists", ast.Tuple: "tuples", ast.Dict: "dicts", ast.Set: "sets",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions",
    ast.IfExp: "conditional expressions", ast.Compare: "comparisons",
    ast.BoolOp: "boolean operators", ast.NamedExpr: "assignment expressions",
    ast.JoinedStr: "f-strings", ast.Starred: "starred arguments", ast.Await: "await",
    ast.Yield: "yield", ast.YieldFrom: "yield", ast.Slice: "slices",
}


def parse_formula(text: str, known: Sequence[str] = ()
                  ) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    """``text``'s expression and its variables (x, y, z, w first); ``known``: built-in names
    a misspelt variable is compared with."""
    source = checked_text(text)
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        detail = exc.msg if isinstance(exc, SyntaxError) else type(exc).__name__
        if "decimal literal" in detail:
            detail += " (write 2*x for a product)"
        raise ObjectiveError(f"cannot parse the objective {short(text)}: {detail}") from None
    check_depth(tree.body)
    builder = Builder(source, known)
    expr = builder.build(tree.body)
    if not isinstance(expr, sp.Expr) or expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise ObjectiveError(f"the objective {short(text)} is not finite (a division by zero?)")
    for p in expr.atoms(sp.Pow):
        if p.exp.is_Number and abs(p.exp) > 10 * MAX_EXPONENT:
            raise ObjectiveError(f"the objective {short(text)} has a power of degree {p.exp} "
                                 f"after simplification; at most {10 * MAX_EXPONENT}")
    names = sorted(builder.variables, key=_variable_order)
    if len(names) > MAX_VARIABLES:
        raise ObjectiveError(f"the objective has {len(names)} variables; at most "
                             f"{MAX_VARIABLES}")
    if not names:
        raise ObjectiveError(f"the objective {short(text)} has no variable")
    return expr, tuple(builder.variables[n] for n in names)


def checked_text(text: str) -> str:
    if not text.strip():
        raise ObjectiveError("the objective is empty")
    if len(text) > MAX_CHARS:
        raise ObjectiveError(f"the objective is {len(text)} characters long; at most {MAX_CHARS}")
    if not text.isascii():
        bad = next(c for c in text if not c.isascii())
        raise ObjectiveError(f"the objective contains the non-ASCII character {bad!r} "
                             f"(U+{ord(bad):04X}); write it in ASCII")
    if not _ALLOWED_CHARS.match(text):
        bad = next(c for c in text if not _ALLOWED_CHARS.match(c))
        raise ObjectiveError(f"the objective contains the character {bad!r}; allowed: letters, "
                             "digits, spaces, + - * / ^ ( ) . , _")
    depth = 0
    for c in text:
        depth += (c == "(") - (c == ")")
        if depth > MAX_DEPTH:
            raise ObjectiveError(f"the objective nests parentheses deeper than {MAX_DEPTH}")
    return text.strip().replace("^", "**")


def check_depth(root: ast.AST) -> None:
    """Refuse trees deeper than MAX_DEPTH (measured without recursion).  A left-leaning chain
    of ``+ - * /`` (``a + b + c + ...``) counts as one level: it is a sum, not a nesting."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ObjectiveError(f"the objective nests deeper than {MAX_DEPTH} levels")
        for child in ast.iter_child_nodes(node):
            chained = (isinstance(node, ast.BinOp) and child is node.left
                       and isinstance(child, ast.BinOp) and not isinstance(child.op, ast.Pow)
                       and not isinstance(node.op, ast.Pow))
            stack.append((child, depth if chained else depth + 1))


def _variable_order(name: str) -> tuple:
    """x, y, z, w first (in that order), then the others with their digits read as numbers."""
    if name in ("x", "y", "z", "w"):
        return (0, "xyzw".index(name))
    return (1, [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)])


def short(text: str) -> str:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return repr(shown)


class Builder:
    """Builds a SymPy expression from an allow-listed ast, node by node."""

    def __init__(self, source: str, known: Sequence[str] = ()) -> None:
        self.source = source
        self.known = tuple(known)
        self.variables: dict[str, sp.Symbol] = {}

    def build(self, node: ast.AST) -> sp.Expr:
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise ObjectiveError(f"the operator {_op_text(node.op)} is not allowed; use "
                                     "+ - * / ^ (or **)")
            left, right = self.build(node.left), self.build(node.right)
            if isinstance(node.op, ast.Pow):
                return _power(left, right)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return _product(left, right)
            return _quotient(left, right)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return -self.build(node.operand)
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand)
            raise ObjectiveError(f"the operator {_op_text(node.op)} is not allowed")
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.Call):
            return self._call(node)
        what = _REFUSED.get(type(node), f"the syntax {type(node).__name__}")
        raise ObjectiveError(f"{what} not allowed in an objective")

    def _constant(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = {str: "strings", bytes: "bytes", complex: "complex numbers",
                    bool: "booleans"}.get(type(value), repr(value))
            raise ObjectiveError(f"{kind} not allowed in an objective")
        text = (ast.get_source_segment(self.source, node) or repr(value)).replace("_", "")
        if isinstance(value, int):
            if len(str(abs(value))) > MAX_LITERAL_DIGITS:
                raise ObjectiveError(f"the integer literal {short(text)} has more than "
                                     f"{MAX_LITERAL_DIGITS} digits")
            return sp.Integer(value)
        return exact_decimal(text)

    def _name(self, name: str) -> sp.Expr:
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            raise ObjectiveError(f"{name} is a function: write {name}(...)")
        if name in NOT_FINITE:
            raise ObjectiveError(f"{name} is not a finite number, and optsym does not take it "
                                 "as a variable's name: an objective holds finite numbers and "
                                 "variables (x, y, ...)")
        if not _NAME.match(name) or "__" in name or len(name) > 16:
            raise ObjectiveError(f"the name {name!r} is not a variable; variables are lower-case "
                                 "letters, digits and _ (x, y, x1, ...), at most 16 characters")
        close = difflib.get_close_matches(name, [b.replace("-", "_") for b in self.known], 1, 0.75)
        if len(name) >= 4 and close:
            raise ObjectiveError(f"unknown name {name!r}: did you mean the built-in "
                                 f"{close[0].replace('_', '-')!r}? (a variable needs a "
                                 "formula: x, y, ...)")
        if name not in self.variables:
            self.variables[name] = sp.Symbol(name, real=True)
        return self.variables[name]

    def _call(self, node: ast.Call) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            raise ObjectiveError("only named functions may be called "
                                 f"({', '.join(FUNCTIONS)})")
        name = node.func.id
        if name not in FUNCTIONS:
            raise ObjectiveError(f"unknown function {name!r}; allowed: {', '.join(FUNCTIONS)}")
        if node.keywords:
            raise ObjectiveError(f"{name}() takes no keyword arguments")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise ObjectiveError(f"{name}() takes no starred arguments")
        if len(node.args) != 1:
            raise ObjectiveError(f"{name}() takes exactly one argument, got {len(node.args)}")
        arg = self.build(node.args[0])
        if name in _GROWING and _growth_depth(arg) >= MAX_EXP_NESTING:
            raise ObjectiveError(f"exponentials nest more than {MAX_EXP_NESTING} deep "
                                 f"({name} of an exponential of an exponential)")
        if not arg.free_symbols and not _small(arg):
            raise ObjectiveError(f"the constant argument of {name}() exceeds "
                                 f"{MAX_CONSTANT_ARGUMENT:g} in absolute value")
        built = FUNCTIONS[name](arg)
        if _growth_depth(built) > MAX_BOUNDED_EXP_NESTING:
            raise ObjectiveError(f"exponentials (sigmoid, softplus, exp) nest more than "
                                 f"{MAX_BOUNDED_EXP_NESTING} deep; the derivative grows "
                                 "exponentially with the depth")
        return built


#: the functions that grow exponentially
_GROWING = {"exp", "sinh", "cosh", "softplus"}


def _growth_depth(expr: sp.Expr) -> int:
    """How deep exponentials nest in ``expr`` (``exp(exp(x))``: 2)."""
    if not isinstance(expr, sp.Basic) or expr.is_Atom:
        return 0
    inner = max((_growth_depth(a) for a in expr.args), default=0)
    return inner + 1 if isinstance(expr, (sp.exp, sp.sinh, sp.cosh)) else inner


def _op_text(op: ast.AST) -> str:
    return {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.BitXor: "^^",
            ast.BitAnd: "&", ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>",
            ast.Not: "not", ast.Invert: "~"}.get(type(op), type(op).__name__)


def _digits(q: sp.Rational) -> int:
    """Decimal digits (an upper bound) of the larger of a rational's numerator and
    denominator."""
    return 1 + int(max(abs(int(q.p)).bit_length(), int(q.q).bit_length()) * 0.30103)


def _small(value: sp.Expr) -> bool:
    """A constant whose magnitude is at most MAX_CONSTANT_ARGUMENT (so functions of it stay
    cheap: SymPy evaluates ``exp(log(9) * 9**9)`` as an exact power)."""
    try:
        magnitude = abs(complex(sp.N(value, 15)))
    except (TypeError, ValueError, OverflowError):
        return False
    return magnitude <= MAX_CONSTANT_ARGUMENT


def _check_constant(value: sp.Expr) -> sp.Expr:
    if isinstance(value, sp.Rational) and _digits(value) > MAX_CONSTANT_DIGITS:
        raise ObjectiveError(f"a constant in the objective exceeds {MAX_CONSTANT_DIGITS} digits")
    return value


def _product(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    if isinstance(a, sp.Rational) and isinstance(b, sp.Rational) \
            and _digits(a) + _digits(b) > MAX_CONSTANT_DIGITS + 2:
        raise ObjectiveError(f"a constant in the objective exceeds {MAX_CONSTANT_DIGITS} digits")
    return _check_constant(a * b)


def _quotient(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    if isinstance(a, sp.Rational) and isinstance(b, sp.Rational) \
            and _digits(a) + _digits(b) > MAX_CONSTANT_DIGITS + 2:
        raise ObjectiveError(f"a constant in the objective exceeds {MAX_CONSTANT_DIGITS} digits")
    return _check_constant(a / b)


def _power(base: sp.Expr, exp: sp.Expr) -> sp.Expr:
    """``base ** exp`` under the limits: a numeric exponent of at most MAX_EXPONENT in absolute
    value, or a variable exponent of a positive constant base; constants of bounded size."""
    if exp.free_symbols:
        if base == sp.E:
            if _growth_depth(exp) >= MAX_EXP_NESTING:
                raise ObjectiveError(f"exponentials nest more than {MAX_EXP_NESTING} deep "
                                     "(e^ of an exponential of an exponential)")
            return sp.exp(exp)
        raise ObjectiveError("a variable in an exponent is not allowed (x^y, 2^x, towers); "
                             "write exp(...) for e^x")
    if not exp.is_Rational:
        raise ObjectiveError("an exponent must be a rational number (or a variable with a "
                             "constant base)")
    if abs(exp) > MAX_EXPONENT:
        raise ObjectiveError(f"the exponent {exp} exceeds {MAX_EXPONENT} in absolute value")
    if isinstance(base, sp.Rational):
        if base == 0 and exp < 0:
            raise ObjectiveError("the objective divides by zero (0 to a negative power)")
        if _digits(base) * abs(exp) > MAX_CONSTANT_DIGITS + 2:
            raise ObjectiveError(f"a constant in the objective would exceed "
                                 f"{MAX_CONSTANT_DIGITS} digits")
    return _check_constant(base**exp)


# ---- exact numbers from text -------------------------------------------------------------------
def exact_decimal(text: str) -> sp.Rational:
    """The decimal (or ``p/q``) ``text`` as an exact rational: ``"0.1"`` is 1/10."""
    text = text.strip()
    if _FRACTION.match(text):
        p, q = text.split("/")
        if len(p.lstrip("+-")) > MAX_LITERAL_DIGITS or len(q) > MAX_LITERAL_DIGITS:
            raise ObjectiveError(f"the number {text!r} has more than {MAX_LITERAL_DIGITS} digits")
        if int(q) == 0:
            raise ObjectiveError(f"the number {text!r} divides by zero")
        return sp.Rational(int(p), int(q))
    if not _DECIMAL.match(text):
        raise ObjectiveError(f"{text!r} is not a number")
    try:
        dec = Decimal(text)
    except InvalidOperation:
        raise ObjectiveError(f"{text!r} is not a number") from None
    sign, digits, exponent = dec.as_tuple()
    if len(digits) > MAX_LITERAL_DIGITS:
        raise ObjectiveError(f"the number {text!r} has more than {MAX_LITERAL_DIGITS} digits")
    if abs(exponent) > MAX_DECIMAL_EXPONENT:
        raise ObjectiveError(f"the number {text!r} is out of range (at most 10^"
                             f"{MAX_DECIMAL_EXPONENT} in size or precision)")
    mantissa = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    return sp.Rational(mantissa) * sp.Rational(10) ** exponent


__all__ = ["Builder", "CONSTANTS", "FUNCTIONS", "ObjectiveError", "check_depth", "checked_text",
           "exact_decimal", "parse_formula", "short"]
