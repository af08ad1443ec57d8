r"""Gradient clipping, by global norm and by value, written once in SymPy.

A step's gradients are a list of :math:`n` tensors :math:`g_0, \dots, g_{n-1}`; tensor :math:`i`
has :math:`m_i` elements :math:`g_{i,j}`.  The two rules, in their textbook form:

.. math::

    \begin{align*}
    \text{by global norm:}\quad
        N &= \sqrt{\textstyle\sum_{i=0}^{n-1} \sum_{j=0}^{m_i-1} g_{i,j}^2}, \qquad
        s = \min\!\Big(1, \frac{c}{N + \epsilon}\Big), \qquad
        g_{i,j} \leftarrow s\, g_{i,j} \\
    \text{by value:}\quad
        g_{i,j} &\leftarrow \operatorname{clamp}(g_{i,j}, -c, c)
        = \begin{cases} -c & g_{i,j} < -c \\ c & g_{i,j} > c \\ g_{i,j} & \text{otherwise}
          \end{cases}
    \end{align*}

Symbols and torch arguments: :math:`c` = ``max_norm`` (norm) or ``clip_value`` (value);
:math:`\epsilon = 10^{-6}` is fixed by torch (``clip_grad_norm_`` adds it, it is no argument);
only ``norm_type=2`` is written here (torch's default; its ``inf`` and p-norms are not).
All gradients are taken to share one dtype and one device (torch groups them by both; a list of one
group is what its default path runs).

torch's CPU path with ``foreach=None`` (:func:`implementation`) computes the same quantities as

* norm: ``norms = torch._foreach_norm(grads, 2.0)``,
  ``total_norm = torch.linalg.vector_norm(torch.stack(norms), 2.0)``,
  ``clip_coef = max_norm / (total_norm + 1e-6)``, ``torch.clamp(clip_coef, max=1.0)``, then
  ``torch._foreach_mul_(grads, clip_coef_clamped)``: every gradient is multiplied, also when the
  coefficient is 1 (torch avoids a device sync that way).  ``max_norm / tensor`` is
  ``Tensor.__rtruediv__``, which torch defines as ``tensor.reciprocal() * max_norm``: a reciprocal
  and a product, two roundings, not one true division;
* value: ``torch._foreach_clamp_min_(grads, -clip_value)``, then
  ``torch._foreach_clamp_max_(grads, clip_value)``.

Each rule's implementation form is proved equal to the textbook form (:func:`prove_clip`,
symbolically and at random points in 50-digit arithmetic); :func:`derivations` shows that norm
clipping keeps the direction, is a no-op below the threshold and leaves a norm of at most
:math:`c`; :func:`generate_clip` prints either form as an importable module and
:func:`verify_clip` runs it against ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``.

torch accepts any float as a threshold.  Here a norm threshold must be finite and > 0 (a zero
``max_norm`` zeroes the gradients, a negative one flips them) and a value threshold must be
>= 0 (torch maps every element to ``clip_value`` when it is negative, and to NaN when it is NaN);
other values raise :class:`optsym.spec.SpecError`, and the generated code raises ``ValueError``
with the same message.

>>> describe("value")["text"]  # doctest: +ELLIPSIS
'g[i][j] <- Piecewise((-clip_value, g[i][j] < -clip_value), (clip_value, g[i][j] > ...'
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from optsym import __version__
from optsym.codegen.printers import PRINTERS, ScalarPrinter
from optsym.ops import FrameworkOp, TAdd, TMul, to_math
from optsym.proof import Obligation
from optsym.spec import (
    Assign,
    SpecError,
    is_tensor_expr,
    latex,
    scalar,
    tensor,
    unknown_name_message,
)
from optsym.verify.metrics import abs_error, rel_error, same_bits, ulp_distance
from optsym.verify.stream import make_problem

CLIP_KINDS = ("norm", "value")
TARGETS = ("torch-parity", "torch", "numpy")
#: the constant torch's ``clip_grad_norm_`` adds to the total norm
EPS = 1e-6

# ---------------------------------------------------------------------------------------------
# Symbols and nodes

#: the list of gradient tensors (one symbol for the whole list; its entries are Element nodes)
grads = tensor("grads", "g")
#: tensor index and element index
i = sp.Symbol("i", integer=True, nonnegative=True)
j = sp.Symbol("j", integer=True, nonnegative=True)
#: number of tensors in the list
n = sp.Symbol("n", integer=True, positive=True)

max_norm = scalar("max_norm", "c", positive=True)
clip_value = scalar("clip_value", "c", nonnegative=True)
eps = scalar("eps", r"\epsilon", positive=True)

#: 0-d tensors (torch) / NumPy scalars in generated code
total_norm = tensor("total_norm", "N")
clip_coef = tensor("clip_coef", "s")
clip_coef_clamped = tensor("clip_coef_clamped", r"\min(1, s)")
norms = tensor("norms", r"\nu")


class Element(sp.Function):
    """``Element(x, i, j)``: element j of tensor i of the list ``x`` (``Element(x, i)``: entry i).

    Applied to a :class:`sympy.Lambda` (a list whose entries are formulas) it evaluates the
    formula, so an update composed into a later expression reads the updated entries.
    """

    is_real = True

    @classmethod
    def eval(cls, x, *index):
        if isinstance(x, sp.Lambda):
            return x(*index)
        return None

    def _latex(self, printer, exp=None):
        name = printer._print(self.args[0])
        out = f"{name}_{{{','.join(printer._print(a) for a in self.args[1:])}}}"
        return out if exp is None else f"{out}^{{{exp}}}"

    def _sympystr(self, printer):
        return "g" + "".join(f"[{printer._print(a)}]" for a in self.args[1:])


class Numel(sp.Function):
    """``Numel(x, i)``: the number of elements :math:`m_i` of tensor i."""

    is_integer = True
    is_positive = True

    def _latex(self, printer, exp=None):
        out = f"m_{{{printer._print(self.args[1])}}}"
        return out if exp is None else f"{out}^{{{exp}}}"

    def _sympystr(self, printer):
        return f"numel(g[{printer._print(self.args[1])}])"


def _entries(x: sp.Expr) -> sp.Lambda:
    """A list as a formula of its indices: the input list, or an already updated one."""
    return x if isinstance(x, sp.Lambda) else sp.Lambda((i, j), Element(x, i, j))


def _sum_over_elements(body: sp.Expr) -> sp.Expr:
    return sp.Sum(body, (j, 0, Numel(grads, i) - 1))


def _sum_over_tensors(body: sp.Expr) -> sp.Expr:
    return sp.Sum(body, (i, 0, n - 1))


class ForeachNorm(FrameworkOp):
    """``torch._foreach_norm(xs, 2.0)``: the list of the 2-norms of each tensor."""

    nargs = 2
    torch_name = "torch._foreach_norm"

    @classmethod
    def meaning(cls, xs, order):
        _two_norm_only(order)
        return sp.Lambda(i, sp.sqrt(_sum_over_elements(_entries(xs)(i, j) ** 2)))


class Stack(FrameworkOp):
    """``torch.stack(xs)``: the list of 0-d tensors as one vector (its meaning: the same list)."""

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
        _two_norm_only(order)
        return sp.sqrt(_sum_over_tensors(Element(v, i) ** 2))


class Reciprocal(FrameworkOp):
    """``torch.reciprocal(x)`` = 1/x (one rounding)."""

    nargs = 1
    torch_name = "torch.reciprocal"

    @classmethod
    def meaning(cls, x):
        return 1 / x


class ClampMax(FrameworkOp):
    """``torch.clamp(x, max=hi)`` = min(x, hi)."""

    nargs = 2
    torch_name = "torch.clamp"
    torch_keyword = "max"

    @classmethod
    def meaning(cls, x, hi):
        return sp.Min(x, hi)


class ForeachInPlace(FrameworkOp):
    """A ``torch._foreach_*_`` operation: updates every tensor of its first argument in place."""


class ForeachMul(ForeachInPlace):
    """``torch._foreach_mul_(xs, s)``: x <- x * s for every tensor (``s`` a 0-d tensor)."""

    nargs = 2
    torch_name = "torch._foreach_mul_"

    @classmethod
    def meaning(cls, xs, s):
        return sp.Lambda((i, j), _entries(xs)(i, j) * s)


class ForeachClampMin(ForeachInPlace):
    """``torch._foreach_clamp_min_(xs, lo)``: x <- max(x, lo)."""

    nargs = 2
    torch_name = "torch._foreach_clamp_min_"

    @classmethod
    def meaning(cls, xs, lo):
        return sp.Lambda((i, j), sp.Max(_entries(xs)(i, j), lo))


class ForeachClampMax(ForeachInPlace):
    """``torch._foreach_clamp_max_(xs, hi)``: x <- min(x, hi)."""

    nargs = 2
    torch_name = "torch._foreach_clamp_max_"

    @classmethod
    def meaning(cls, xs, hi):
        return sp.Lambda((i, j), sp.Min(_entries(xs)(i, j), hi))


def _two_norm_only(order: sp.Expr) -> None:
    if float(order) != 2.0:
        raise NotImplementedError(f"only norm_type 2 is written (got {order})")


# ---------------------------------------------------------------------------------------------
# The two forms


def textbook(kind: str) -> tuple[Assign, ...]:
    """The rule as the paper writes it: global norm, coefficient, scaled gradients / clamp."""
    g_ij = Element(grads, i, j)
    if _kind(kind) == "norm":
        return (Assign(total_norm, sp.sqrt(_sum_over_tensors(_sum_over_elements(g_ij ** 2))),
                       "global 2-norm of all gradients"),
                Assign(clip_coef, sp.Min(1, max_norm / (total_norm + eps)), "clip coefficient"),
                Assign(grads, sp.Lambda((i, j), clip_coef * g_ij), "scale every gradient"))
    c = clip_value
    clamp = sp.Piecewise((-c, g_ij < -c), (c, g_ij > c), (g_ij, True), evaluate=False)
    return (Assign(grads, sp.Lambda((i, j), clamp), "clamp every element to [-c, c]"),)


def implementation(kind: str) -> tuple[Assign, ...]:
    """torch's CPU ``foreach=None`` path, op for op (torch 2.13 ``clip_grad.py``)."""
    if _kind(kind) == "norm":
        two = sp.Float(2.0)
        return (Assign(norms, ForeachNorm(grads, two), "2-norm of each tensor"),
                Assign(total_norm, VectorNorm(Stack(norms), two), "2-norm of the norms"),
                Assign(clip_coef, TMul(Reciprocal(TAdd(total_norm, eps)), max_norm),
                       "torch's max_norm / (total_norm + 1e-6): Tensor.__rtruediv__"),
                Assign(clip_coef_clamped, ClampMax(clip_coef, sp.Float(1.0)),
                       "coefficient at most 1"),
                Assign(grads, ForeachMul(grads, clip_coef_clamped),
                       "every gradient, also when the coefficient is 1"))
    return (Assign(grads, ForeachClampMin(grads, -clip_value), "g <- max(g, -c)"),
            Assign(grads, ForeachClampMax(grads, clip_value), "g <- min(g, c)"))


def _kind(kind: str) -> str:
    if kind not in CLIP_KINDS:
        raise SpecError(unknown_name_message("clipping kind", kind, list(CLIP_KINDS)))
    return kind


#: the threshold's argument name and symbol, per kind
THRESHOLD = {"norm": ("max_norm", max_norm), "value": ("clip_value", clip_value)}

_x = sp.Symbol("x")  # no assumptions: the predicate must also reject NaN and infinities
#: the threshold values the rule accepts (as SymPy conditions, printed into the generated code),
#: and the message for the others
DOMAIN: dict[str, tuple[sp.Basic, str]] = {
    "norm": (sp.And(_x > 0, _x < sp.oo), "max_norm must be finite and > 0, got {value}"),
    "value": (_x >= 0, "clip_value must be >= 0, got {value}"),
}


def check_threshold(kind: str, threshold: float) -> float:
    """``threshold`` as a float, or :class:`SpecError` when the rule does not accept it."""
    condition, message = DOMAIN[_kind(kind)]
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise SpecError(message.format(value=repr(threshold))) from None
    if not sp.lambdify(_x, condition, "math")(value):
        raise SpecError(message.format(value=value))
    return value


def describe(kind: str) -> dict:
    """The textbook rule in words, as plain text and as LaTeX (an ``align*`` block)."""
    name, sym = THRESHOLD[_kind(kind)]
    text, tex = [], []
    for eq in textbook(kind):
        if isinstance(eq.expr, sp.Lambda):
            lhs, rhs = Element(grads, i, j), eq.expr.expr
        else:
            lhs, rhs = eq.target, eq.expr
        text.append(f"{sp.sstr(lhs)} <- {sp.sstr(rhs)}")
        tex.append(f"{latex(lhs)} &\\leftarrow {latex(rhs)}")
    torch_fn = "clip_grad_norm_" if kind == "norm" else "clip_grad_value_"
    return {
        "kind": kind,
        "title": "clip by global norm" if kind == "norm" else "clip by value",
        "threshold": name,
        "threshold_latex": latex(sym),
        "domain": DOMAIN[kind][1].split(", got")[0],
        "text": "; ".join(text),
        "latex": "\\begin{align*}\n" + " \\\\\n".join(tex) + "\n\\end{align*}",
        "torch": f"torch.nn.utils.{torch_fn}",
        "note": ("norm_type 2 only; eps = 1e-6 is fixed by torch; torch multiplies every "
                 "gradient by the clamped coefficient, also when it is 1" if kind == "norm" else
                 "torch clamps with _foreach_clamp_min_ then _foreach_clamp_max_"),
    }


# ---------------------------------------------------------------------------------------------
# Proof: implementation form == textbook form


def compose(equations: Sequence[Assign]) -> dict[sp.Symbol, sp.Expr]:
    """Each assigned symbol's final value as mathematics of the inputs.

    Unlike :func:`optsym.proof.compose`, earlier values are substituted *before* the framework
    nodes are replaced by their meanings: a list-valued node (``ForeachNorm``) must see the list
    formula (a :class:`sympy.Lambda`) that a later node (``VectorNorm``) reduces.
    """
    env: dict[sp.Symbol, sp.Expr] = {}
    for eq in equations:
        value = to_math(eq.expr.xreplace(env))
        # a Float in a form is the double it prints as (``max=1.0``): read it as that exact number
        env[eq.target] = value.xreplace({f: sp.Rational(f) for f in value.atoms(sp.Float)})
    return env


def _outputs(kind: str) -> list[tuple[str, sp.Symbol]]:
    return ([("total_norm", total_norm)] if kind == "norm" else []) + [("grads", grads)]


def _as_element(value: sp.Expr) -> sp.Expr:
    """A list output as the formula of its element (i, j); scalars unchanged."""
    return value(i, j) if isinstance(value, sp.Lambda) else value


#: the three regions of (g, c) with c >= 0, each parametrized by nonnegative symbols
_p, _q = sp.symbols("p q", nonnegative=True)
_d = sp.Symbol("d", positive=True)
_CLAMP_CASES = (("g < -c", {clip_value: _p}, -_p - _d),
                ("-c <= g <= c", {clip_value: (_p + _q) / 2}, (_p - _q) / 2),
                ("g > c", {clip_value: _p}, _p + _d))


def _zero_by(expr: sp.Expr) -> str | None:
    """How ``expr`` (a difference of the two forms) reduces to 0, or None."""
    if sp.simplify(expr) == 0:
        return "simplify"
    g_ij = Element(grads, i, j)
    if expr.has(clip_value) and all(sp.simplify(expr.xreplace({**sub, g_ij: g})) == 0
                                    for _, sub, g in _CLAMP_CASES):
        return "by cases (c >= 0): " + "; ".join(name for name, _, _ in _CLAMP_CASES)
    return None


#: the concrete list the numeric check instantiates: three tensors of 4, 3 and 1 elements
_CHECK_SIZES = (4, 3, 1)


def _random_point(rng: random.Random) -> dict[sp.Basic, sp.Float]:
    """Random 50-digit values for a concrete list (sizes :data:`_CHECK_SIZES`) and the scalars."""
    values: dict[sp.Basic, sp.Float] = {
        Element(grads, k, m): sp.Float(rng.uniform(-3.0, 3.0), 50)
        for k, size in enumerate(_CHECK_SIZES) for m in range(size)}
    values[max_norm] = sp.Float(rng.uniform(0.05, 5.0), 50)
    values[clip_value] = sp.Float(rng.uniform(0.0, 2.0), 50)
    values[eps] = sp.Float(rng.uniform(1e-8, 1e-2), 50)
    return values


def _evaluate(expr: sp.Expr, values: dict[sp.Basic, sp.Float], index: tuple[int, int]) -> float:
    """``expr`` at element ``index`` of the concrete list, 50 digits (NaN if not a number)."""
    expr = expr.subs({i: index[0], j: index[1]})  # the free i, j only (sums keep their own)
    expr = expr.subs(n, len(_CHECK_SIZES)).doit()
    expr = expr.xreplace({Numel(grads, k): m for k, m in enumerate(_CHECK_SIZES)}).doit()
    return sp.N(expr.xreplace(values), 50)


def _numeric_max_diff(a: sp.Expr, b: sp.Expr, points: int, seed: int) -> float:
    """max |a - b| over random lists, at every element (i, j), in 50-digit arithmetic; each form
    is evaluated on its own (so a difference that SymPy cancels is still measured)."""
    rng = random.Random(seed)
    elementwise = bool({i, j} & (a.free_symbols | b.free_symbols))
    indices = [(k, m) for k, size in enumerate(_CHECK_SIZES) for m in range(size)]
    worst = 0.0
    for _ in range(points):
        values = _random_point(rng)
        for index in indices if elementwise else [(0, 0)]:
            try:
                size = float(abs(_evaluate(a, values, index) - _evaluate(b, values, index)))
            except TypeError:
                size = float("inf")
            worst = max(worst, float("inf") if math.isnan(size) else size)
    return worst


def prove_clip(kind: str, points: int = 4, seed: int = 0,
               form: Sequence[Assign] | None = None) -> list[Obligation]:
    """Prove, output by output (total norm, gradients), that torch's form is the textbook form.

    Each symbolic verdict is backed by a numeric check on random lists of three tensors
    (4, 3 and 1 elements), every element, 50 significant digits.  ``form`` replaces
    :func:`implementation` (to show that a wrong form fails).
    """
    impl = compose(implementation(kind) if form is None else form)
    book = compose(textbook(kind))
    result = []
    for name, sym in _outputs(kind):
        a, b = _as_element(impl[sym]), _as_element(book[sym])
        result.append(Obligation(name, a, b, _zero_by(a - b),
                                 _numeric_max_diff(a, b, points, seed), points))
    return result


# ---------------------------------------------------------------------------------------------
# Derivations


@dataclass(frozen=True)
class Step:
    """One step of a derivation: what is claimed, the expression, and why it holds."""

    statement: str
    expr: sp.Basic | None = None
    justification: str = ""
    #: SymPy confirmed the step (None: a definition or a restatement, nothing to check)
    verified: bool | None = None

    def as_dict(self) -> dict:
        return {"statement": self.statement, "justification": self.justification,
                "verified": self.verified,
                "expr": None if self.expr is None else str(self.expr),
                "latex": None if self.expr is None else latex(self.expr)}


@dataclass(frozen=True)
class NumericCheck:
    """A claim measured on torch's own clipping (float64) over random gradient lists."""

    description: str
    trials: int
    measured: float
    tolerance: float
    passed: bool

    def as_dict(self) -> dict:
        return {"description": self.description, "trials": self.trials,
                "measured": self.measured, "tolerance": self.tolerance, "passed": self.passed}


@dataclass(frozen=True)
class ClipDerivation:
    """A property of norm clipping: its steps (each checked by SymPy) and a numeric check."""

    name: str
    claim: str
    assumptions: tuple[str, ...]
    steps: tuple[Step, ...]
    numeric: tuple[NumericCheck, ...]

    @property
    def proved(self) -> bool:
        return all(s.verified is not False for s in self.steps)

    @property
    def holds(self) -> bool:
        return self.proved and all(c.passed for c in self.numeric)

    def as_dict(self) -> dict:
        return {"name": self.name, "claim": self.claim, "assumptions": list(self.assumptions),
                "proved": self.proved, "holds": self.holds,
                "steps": [s.as_dict() for s in self.steps],
                "numeric": [c.as_dict() for c in self.numeric]}


#: the global norm as a symbol (N >= 0) for the scalar parts of the derivations
_N = sp.Symbol("N", nonnegative=True)
_ASSUME = ("c > 0", "eps > 0", "N = ||g|| >= 0")
_LIMITS = ((j, 0, Numel(grads, i) - 1), (i, 0, n - 1))


def _coefficient() -> sp.Expr:
    """s = min(1, c / (N + eps)), read off the textbook form (N as a symbol)."""
    return {eq.target: eq.expr for eq in textbook("norm")}[clip_coef].xreplace(
        {total_norm: _N})


def _clipped_list() -> tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr]:
    """(g_ij, clip(g)_ij, s, ||g||^2) from the composed textbook form, as sums over the list."""
    book = compose(textbook("norm"))
    g_ij = Element(grads, i, j)
    return g_ij, book[grads](i, j), book[clip_coef], sp.Sum(g_ij**2, *_LIMITS)


def derive_direction(trials: int = 100, seed: int = 0) -> ClipDerivation:
    """Norm clipping keeps the direction: clip(g) = s g with s > 0, so cos(g, clip(g)) = 1."""
    g_ij, clipped, s, sq = _clipped_list()
    inner = sp.Sum(g_ij * clipped, *_LIMITS)
    clipped_norm = sp.sqrt(sp.Sum(clipped**2, *_LIMITS))
    cosine = inner / (sp.sqrt(sq) * clipped_norm)
    steps = (
        Step("clip(g)_ij = s g_ij for every element", sp.Eq(clipped, s * g_ij, evaluate=False),
             "compose the textbook form", verified=sp.simplify(clipped - s * g_ij) == 0),
        Step("s = min(1, c/(N + eps)) > 0", sp.StrictGreaterThan(_coefficient(), 0,
                                                                  evaluate=False),
             "c > 0 and N + eps > 0: both arguments of min are > 0",
             verified=bool(_coefficient().is_positive)),
        Step("<g, clip(g)> = s ||g||^2", sp.Eq(inner, s * sq, evaluate=False),
             "s does not depend on (i, j)", verified=sp.simplify(inner - s * sq) == 0),
        Step("||clip(g)|| = s ||g||", sp.Eq(clipped_norm, s * sp.sqrt(sq), evaluate=False),
             "sqrt(s^2) = s for s > 0",
             verified=sp.simplify(clipped_norm - s * sp.sqrt(sq)) == 0),
        Step("cos(g, clip(g)) = <g, clip(g)> / (||g|| ||clip(g)||) = 1",
             sp.Eq(cosine, 1, evaluate=False), "g != 0", verified=sp.simplify(cosine) == 1),
    )
    return ClipDerivation("direction", "clipping by norm preserves the direction: "
                          "clip(g) = s g with s > 0", _ASSUME + ("g != 0 (for the cosine)",),
                          steps, _numeric_direction(trials, seed))


def derive_noop(trials: int = 100, seed: int = 0) -> ClipDerivation:
    """Below the threshold (N + eps <= c) norm clipping leaves the gradients unchanged."""
    g_ij, clipped, s_list, _ = _clipped_list()
    s = _coefficient()
    d = sp.Symbol("d", nonnegative=True)
    ratio = (max_norm / (_N + eps)).xreplace({max_norm: _N + eps + d})  # c = N + eps + d
    excess = sp.simplify(ratio - 1)
    s_below = sp.Min(1, 1 + excess)  # SymPy decides min(1, 1 + x) for x >= 0 itself
    steps = (
        Step("write c = N + eps + d with d >= 0", sp.Eq(max_norm, _N + eps + d),
             "the assumption N + eps <= c"),
        Step("c/(N + eps) = 1 + d/(N + eps), and d/(N + eps) >= 0",
             sp.Eq(ratio, 1 + excess, evaluate=False), "d >= 0, N + eps > 0",
             verified=sp.simplify(ratio - 1 - excess) == 0 and bool(excess.is_nonnegative)),
        Step("so s = min(1, c/(N + eps)) = 1", sp.Eq(s, s_below, evaluate=False),
             "min(1, 1 + x) = 1 for x >= 0", verified=s_below == 1),
        Step("clip(g)_ij = s g_ij = g_ij", sp.Eq(clipped, g_ij, evaluate=False),
             "the textbook form with s = 1", verified=clipped.xreplace({s_list: s_below}) == g_ij),
    )
    return ClipDerivation("no-op", "if N + eps <= c, clipping by norm is the identity",
                          _ASSUME + ("N + eps <= c",), steps, _numeric_noop(trials, seed))


def derive_norm_bound(trials: int = 100, seed: int = 0) -> ClipDerivation:
    """After norm clipping the global norm is s N <= c N / (N + eps) < c."""
    _, clipped, s_list, sq = _clipped_list()
    s = _coefficient()
    clipped_norm = sp.sqrt(sp.Sum(clipped**2, *_LIMITS))
    bound = max_norm * _N / (_N + eps)
    margin = sp.simplify(bound - max_norm)
    steps = (
        Step("||clip(g)|| = s N", sp.Eq(clipped_norm, s_list * sp.sqrt(sq), evaluate=False),
             "s > 0 (direction derivation), N = sqrt(sum g_ij^2)",
             verified=sp.simplify(clipped_norm - s_list * sp.sqrt(sq)) == 0),
        Step("s N <= c N/(N + eps)", sp.LessThan(s * _N, bound, evaluate=False),
             "min(1, x) <= x, and N >= 0 (by definition; nothing to simplify)"),
        Step("c N/(N + eps) - c = -c eps/(N + eps) < 0",
             sp.Eq(bound - max_norm, margin, evaluate=False), "c > 0, eps > 0, N >= 0",
             verified=sp.simplify(bound - max_norm - margin) == 0 and bool(margin.is_negative)),
    )
    return ClipDerivation("norm bound", "after clipping by norm the global norm is < c "
                          "(<= c N/(N + eps))", _ASSUME, steps, _numeric_bound(trials, seed))


def derivations(trials: int = 100, seed: int = 0) -> list[ClipDerivation]:
    """The three properties of norm clipping, each with its numeric cross-check."""
    return [derive_direction(trials, seed), derive_noop(trials, seed),
            derive_norm_bound(trials, seed)]


def _random_lists(trials: int, seed: int) -> list[list[np.ndarray]]:
    """Random float64 gradient lists (the verify stream's shapes and magnitudes)."""
    return make_problem(trials, seed).grads


def _torch_clip_norm(grads64: list[np.ndarray], c: float) -> tuple[list[np.ndarray], float]:
    """torch.nn.utils.clip_grad_norm_ on float64 copies: (clipped gradients, total norm)."""
    import torch

    params = []
    for g in grads64:
        p = torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64))
        p.grad = torch.from_numpy(np.array(g, dtype=np.float64))
        params.append(p)
    total = torch.nn.utils.clip_grad_norm_(params, c)
    return [p.grad.numpy() for p in params], float(total)


def _flat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.ravel(a) for a in arrays])


#: float64 tolerance of the numeric checks: a first-order rounding bound for lists of up to a few
#: hundred elements, far below any effect the claims are about (>= 1e-9 here)
_TOL64 = 1e-12


def _numeric_direction(trials: int, seed: int) -> tuple[NumericCheck, ...]:
    rng = np.random.default_rng(seed)
    worst_cos, worst_spread, min_ratio = 0.0, 0.0, math.inf
    for gs in _random_lists(trials, seed):
        g = _flat(gs)
        clipped, _ = _torch_clip_norm(gs, float(np.linalg.norm(g)) * 2.0 ** rng.uniform(-4, 2))
        c = _flat(clipped)
        cosine = float(g @ c) / (float(np.linalg.norm(g)) * float(np.linalg.norm(c)))
        ratio = c[g != 0] / g[g != 0]
        worst_cos = max(worst_cos, abs(1.0 - cosine))
        worst_spread = max(worst_spread, float((ratio.max() - ratio.min()) / ratio.mean()))
        min_ratio = min(min_ratio, float(ratio.min()))
    return (NumericCheck("max |1 - cos(g, clip(g))|", trials, worst_cos, _TOL64,
                         worst_cos <= _TOL64),
            NumericCheck("max spread (max - min)/mean of clip(g)_k / g_k over nonzero g_k",
                         trials, worst_spread, _TOL64, worst_spread <= _TOL64),
            NumericCheck("min of clip(g)_k / g_k (must be > 0)", trials, min_ratio, 0.0,
                         min_ratio > 0.0))


def _numeric_noop(trials: int, seed: int) -> tuple[NumericCheck, ...]:
    rng = np.random.default_rng(seed)
    changed, edge = 0, 0.0
    lists = _random_lists(trials, seed)
    sizes = [g.size for g in lists[0]]
    for gs in lists:
        norm = float(np.linalg.norm(_flat(gs)))
        # c >= (N + eps)(1 + 2^-40): far above the few-ulp rounding of N and of c/(N + eps)
        c = (norm + EPS) * (1.0 + 2.0 ** rng.uniform(-40, 2))
        clipped, _ = _torch_clip_norm(gs, c)
        changed += int(not same_bits(_flat(clipped), _flat(gs)).all())
        at_edge, _ = _torch_clip_norm(gs, norm + EPS)
        edge = max(edge, float(rel_error(_flat(at_edge), _flat(gs)).max()))
    edge_tol = _tolerance("norm", "float64", sizes)[0]
    return (NumericCheck("lists changed by clipping with c >= (N + eps)(1 + 2^-40) "
                         "(bitwise)", trials, float(changed), 0.0, changed == 0),
            NumericCheck("max relative change at c = fl(N + eps) exactly (N by NumPy): torch's "
                         "N and c/(N + eps) round, so s may fall a few u below 1; bound "
                         "(m + 3n + 10) u", trials, edge, edge_tol, edge <= edge_tol))


def _numeric_bound(trials: int, seed: int) -> tuple[NumericCheck, ...]:
    rng = np.random.default_rng(seed)
    worst = -math.inf
    for gs in _random_lists(trials, seed):
        norm = float(np.linalg.norm(_flat(gs)))
        c = norm * 2.0 ** rng.uniform(-12, 1)
        clipped, _ = _torch_clip_norm(gs, c)
        worst = max(worst, float(np.linalg.norm(_flat(clipped))) / c - 1.0)
    return (NumericCheck("max ||clip(g)||/c - 1 (float64 norm of torch's clipped list)",
                         trials, worst, _TOL64, worst <= _TOL64),)


# ---------------------------------------------------------------------------------------------
# Code generation


class _ClipScalarPrinter(ScalarPrinter):
    """Python floats printed by ``repr`` (``1e-06``, ``2.0``): every Float here is a double."""

    def _print_Float(self, expr):
        return repr(float(expr))


_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}


class _ClipArrayMixin:
    """Printing of lists of arrays: ``Element(grads, i, j)`` is the whole array ``grads[i]``
    (elementwise), a sum over its elements is the array's sum, a sum over the tensors a Python
    ``sum`` over ``range(n)``; ``min``/``max``/``Piecewise`` of arrays print as the module's
    elementwise calls."""

    _module = ""

    def __init__(self, settings=None):
        super().__init__(settings)
        self._scalar = _ClipScalarPrinter()

    def _print_Element(self, expr):
        base, *index = expr.args
        if len(index) != 2 or index[1] != j:
            raise TypeError(f"cannot print {expr}: expected an element g[i][j] of the list")
        return f"{self._print(base)}[{self._scalar._print(index[0])}]"

    def _print_Sum(self, expr):
        out = self._print(expr.function)
        for var, lo, hi in expr.limits:
            if var == j and lo == 0 and hi == Numel(grads, i) - 1:
                out = f"{self._module_format(self._module + '.sum')}({out})"
            elif var == i and lo == 0 and hi == n - 1:
                out = f"sum({out} for i in range(n))"
            else:
                raise TypeError(f"cannot print the sum over {var} from {lo} to {hi}")
        return out

    def _print_Piecewise(self, expr):
        if not any(is_tensor_expr(cond) for _, cond in expr.args):
            return super()._print_Piecewise(expr)
        *cases, (last, cond) = expr.args
        if cond != sp.true:
            raise TypeError("an elementwise Piecewise needs a last branch for 'otherwise'")
        where = self._module_format(self._module + ".where")
        out = self._print(last)
        for branch, cond in reversed(cases):
            out = f"{where}({self._print(cond)}, {self._print(branch)}, {out})"
        return out

    def _print_Relational(self, expr):
        """An elementwise comparison with the array on the left and without a negated array
        (SymPy stores ``g < -c`` as ``c < -g``; both mean the same, also for NaN)."""
        lhs, rhs, op = expr.lhs, expr.rhs, expr.rel_op
        if op not in _FLIP:
            return super()._print_Relational(expr)
        if not is_tensor_expr(lhs) and is_tensor_expr(rhs):
            lhs, rhs, op = rhs, lhs, _FLIP[op]
        if lhs.could_extract_minus_sign():
            lhs, rhs, op = -lhs, -rhs, _FLIP[op]
        return f"({self._print(lhs)} {op} {self._print(rhs)})"

    def _min_max(self, expr, kind: str) -> str:
        arrays = [a for a in expr.args if is_tensor_expr(a)]
        others = [a for a in expr.args if not is_tensor_expr(a)]
        out = self._print(arrays[0])
        for arg in arrays[1:] + others:
            out = self._binary_min_max(kind, out, arg)
        return out

    def _print_Min(self, expr):
        return self._min_max(expr, "min")

    def _print_Max(self, expr):
        return self._min_max(expr, "max")


class _NumpyClipPrinter(_ClipArrayMixin, PRINTERS["numpy"]):
    _module = "numpy"

    def _binary_min_max(self, kind: str, out: str, arg: sp.Expr) -> str:
        call = self._module_format("numpy.minimum" if kind == "min" else "numpy.maximum")
        return f"{call}({out}, {self._print(arg)})"


class _TorchClipPrinter(_ClipArrayMixin, PRINTERS["torch"]):
    _module = "torch"

    def _binary_min_max(self, kind: str, out: str, arg: sp.Expr) -> str:
        if not is_tensor_expr(arg):  # torch.minimum needs two tensors: clamp a tensor by a float
            return f"{self._module_format('torch.clamp')}({out}, " \
                   f"{'max' if kind == 'min' else 'min'}={self._print(arg)})"
        call = self._module_format("torch.minimum" if kind == "min" else "torch.maximum")
        return f"{call}({out}, {self._print(arg)})"


class _TorchParityClipPrinter(_TorchClipPrinter, PRINTERS["torch-parity"]):
    pass


_PRINTERS: dict[str, Callable[[], object]] = {"numpy": _NumpyClipPrinter,
                                              "torch": _TorchClipPrinter,
                                              "torch-parity": _TorchParityClipPrinter}

_HEADER = '''"""{title} ({target}), generated by optsym {version} from optsym.clipping ({kind!r}).

Form: {form}

Usage::

    {usage}

``grads`` is a list of {arrays} of one dtype; they are modified in place.

Do not edit: regenerate with ``optsym.clipping.generate_clip({kind!r}, {target!r})``.
"""
'''

_FORMS = {"torch-parity": "torch's CPU foreach=None operation order (bit-exact with "
                          "torch.nn.utils.{fn})",
          "torch": "the textbook equations, printed with torch operations",
          "numpy": "the textbook equations, printed with NumPy operations"}


def _check_target(target: str) -> str:
    if target not in TARGETS:
        raise SpecError(unknown_name_message("target", target, list(TARGETS)))
    return target


def print_module(kind: str, target: str, equations: Sequence[Assign]) -> str:
    """Source of a module whose ``clip`` runs ``equations`` (a form of ``kind``) for ``target``.

    :func:`generate_clip` passes the textbook or the implementation form; any other list of
    assignments (a mutated form, in the tests) prints the same way.
    """
    _kind(kind)
    printer = _PRINTERS[_check_target(target)]()
    module = "numpy" if target == "numpy" else "torch"
    name = THRESHOLD[kind][0]
    condition, message = DOMAIN[kind]
    constants = {eps: sp.Float(EPS)}
    fn = "clip_grad_norm_" if kind == "norm" else "clip_grad_value_"
    usage = (f"total_norm = clip(grads, {name}=1.0)" if kind == "norm"
             else f"clip(grads, {name}=1.0)")
    lines = [_HEADER.format(title="Gradient clipping by global norm" if kind == "norm"
                            else "Gradient clipping by value", target=target, version=__version__,
                            kind=kind, form=_FORMS[target].format(fn=fn), usage=usage,
                            arrays="NumPy arrays" if module == "numpy" else "tensors"),
             f"import {module}", "", ""]
    if module == "torch":
        lines.append("@torch.no_grad()")
    lines.append(f"def clip(grads, *, {name}):")
    lines.append(f'    """{describe(kind)["title"].capitalize()}: ``grads`` in place'
                 + ("; returns the total norm before clipping." if kind == "norm" else ".")
                 + '"""')
    check = printer._scalar.doprint(condition.xreplace({_x: sp.Symbol(name)}))
    lines.append(f"    if not ({check}):")
    lines.append(f'        raise ValueError(f"{message.replace("{value}", "{" + name + "}")}")')
    lines.append(f"    {name} = float({name})")
    lines.append("    n = len(grads)")
    if module == "torch":
        lines += ["    if n == 0:  # torch's empty list: nothing to clip",
                  f"        return {'torch.tensor(0.0)' if kind == 'norm' else 'None'}"]
    for eq in equations:
        expr = eq.expr.xreplace(constants)
        comment = f"  # {eq.note}" if eq.note else ""
        if eq.target != grads:
            lines.append(f"    {eq.target} = {printer.doprint(expr)}{comment}")
        elif isinstance(expr, ForeachInPlace) and expr.args[0] == grads:
            lines.append(f"    {printer.doprint(expr)}{comment}")
        elif isinstance(expr, sp.Lambda) and expr.variables == (i, j):
            value = printer.doprint(expr.expr)
            lines.append("    for i in range(n):" + comment)
            lines.append(f"        grads[i].copy_({value})" if module == "torch"
                         else f"        grads[i][...] = {value}")
        else:
            raise TypeError(f"cannot print an update of the gradient list by {expr}")
    lines.append(f"    return {'total_norm' if kind == 'norm' else 'None'}")
    used = {module} | set(printer.module_imports) | set(printer._scalar.module_imports)
    extra = sorted(m for m in used - {module} if not m.startswith(module + "."))
    if extra:
        at = lines.index(f"import {module}")
        lines[at:at] = [f"import {m}" for m in extra]
    return "\n".join(lines) + "\n"


def generate_clip(kind: str, target: str) -> str:
    """Source of an importable module defining ``clip(grads, *, max_norm)`` (norm: returns the
    total norm) or ``clip(grads, *, clip_value)`` (value: returns None); ``grads`` (a list of
    tensors, or of NumPy arrays for ``numpy``) is clipped in place.

    ``torch-parity`` prints :func:`implementation` (bit-exact with torch on CPU);
    ``torch`` and ``numpy`` print :func:`textbook`.
    """
    _check_target(target)
    form = implementation if target == "torch-parity" else textbook
    return print_module(kind, target, form(kind))


# ---------------------------------------------------------------------------------------------
# Verification against torch.nn.utils


_UNIT_ROUNDOFF = {"float32": 2.0 ** -24, "float64": 2.0 ** -53}


def _tolerance(kind: str, dtype: str, sizes: Sequence[int]) -> tuple[float, str]:
    """(max relative error, criterion) for a textbook target.

    Clipping by value rounds nothing (a clamp selects -c, c or g, and c is rounded to the dtype
    the same way by torch and NumPy), so it must be exact.  Clipping by norm: with m elements in
    n tensors and unit roundoff u, any order of summing m squares (each rounded) has relative
    error <= (m + n) u to first order, so N (a square root) is within ((m + n)/2 + 1) u; torch's
    two-level norm (per-tensor norms, squared again by vector_norm) is within (m/2 + 2n + 1) u;
    adding eps, the reciprocal (or a division) and the product by c add <= 3 u to each
    coefficient, min(1, .) adds nothing, and each side's final product g*s one u.  The two
    results differ by at most (m + 3n + 10) u, relative, per element and in the returned norm.
    """
    if kind == "value":
        return 0.0, "bitwise (0 ULP): clamping is a selection, it rounds nothing"
    m, count = int(sum(sizes)), len(sizes)
    u = _UNIT_ROUNDOFF[dtype]
    tol = (m + 3 * count + 10) * u
    return tol, (f"max_rel <= (m + 3n + 10) u = {tol:.3g} (first-order rounding bound; "
                 f"m = {m} elements, n = {count} tensors, u = 2^{int(math.log2(u))})")


def _stream(kind: str, threshold: float, steps: int, seed: int) -> list[list[np.ndarray]]:
    """The verify stream's gradients (float64), each step rescaled so that its size (global
    norm, or largest |g|) is r * threshold: r = 1/2 (no-op), 2 (clipped), 1 and the no-op
    boundary (N + eps = c) first, then r = 2^U(-3, 3) (about half the steps below the
    threshold)."""
    rng = np.random.default_rng([seed, 7])
    out = []
    for k, gs in enumerate(make_problem(steps, seed).grads):
        flat = _flat(gs)
        size = float(np.linalg.norm(flat)) if kind == "norm" else float(np.abs(flat).max())
        if k < 3:
            target = threshold * (0.5, 2.0, 1.0)[k]
        elif k == 3 and kind == "norm" and threshold > 2 * EPS:
            target = threshold - EPS
        else:
            target = threshold * 2.0 ** rng.uniform(-3.0, 3.0)
        out.append([g * (target / size) if size > 0 else g for g in gs])
    return out


def _reference(kind: str, grads_np: list[np.ndarray], threshold: float):
    """torch.nn.utils.clip_grad_norm_ / clip_grad_value_ on parameters whose .grad is set."""
    import torch

    params = []
    for g in grads_np:
        p = torch.nn.Parameter(torch.zeros(g.shape, dtype=getattr(torch, str(g.dtype))))
        p.grad = torch.from_numpy(g.copy())
        params.append(p)
    if kind == "norm":
        total = torch.nn.utils.clip_grad_norm_(params, threshold)
        return [p.grad.numpy() for p in params], total.numpy()
    torch.nn.utils.clip_grad_value_(params, threshold)
    return [p.grad.numpy() for p in params], None


def _run_candidate(clip: Callable, target: str, kind: str, grads_np: list[np.ndarray],
                   threshold: float):
    """Run generated ``clip`` on copies; read the results from the arrays that were passed in
    (so an implementation that replaced list entries instead of updating them fails)."""
    if target == "numpy":
        arrays = [g.copy() for g in grads_np]
        returned = clip(list(arrays), **{THRESHOLD[kind][0]: threshold})
        return [np.asarray(a) for a in arrays], returned
    import torch

    tensors = [torch.from_numpy(g.copy()) for g in grads_np]
    returned = clip(list(tensors), **{THRESHOLD[kind][0]: threshold})
    if isinstance(returned, torch.Tensor):
        returned = returned.numpy()
    return [t.numpy() for t in tensors], returned


def verify_source(kind: str, source: str, target: str, threshold: float,
                  dtype: str = "float32", seed: int = 0, steps: int = 50,
                  criterion: str | None = None) -> dict:
    """Run the ``clip`` of generated ``source`` against torch on the stream; one record.

    ``criterion``: ``"bitwise"`` (the default for ``torch-parity``) or ``"rounding"`` (the
    default for the textbook targets; see :func:`_tolerance`).
    """
    from optsym.codegen.module import load

    kind, target = _kind(kind), _check_target(target)
    threshold = check_threshold(kind, threshold)
    if dtype not in _UNIT_ROUNDOFF:
        raise SpecError(unknown_name_message("dtype", dtype, list(_UNIT_ROUNDOFF)))
    np_dtype = np.dtype(dtype)
    sizes = [int(np.prod(s)) for s in (g.shape for g in make_problem(1, seed).grads[0])]
    criterion = criterion or ("bitwise" if target == "torch-parity" else "rounding")
    if criterion not in ("bitwise", "rounding"):
        raise SpecError(unknown_name_message("criterion", criterion, ["bitwise", "rounding"]))
    if criterion == "bitwise":
        tol, text = 0.0, "bitwise: same bits as torch in every gradient element" + \
            (" and the returned total norm" if kind == "norm" else "") + " (0 ULP)"
    else:
        tol, text = _tolerance(kind, dtype, sizes)
    clip = load(source, f"optsym_clip_{kind}_{target.replace('-', '_')}")["clip"]
    worst = {"max_abs": 0.0, "max_rel": 0.0, "max_ulp": 0.0}
    norm_worst = {"norm_max_rel": 0.0, "norm_max_ulp": 0.0}
    failure, noop, clipped = None, 0, 0
    for k, step64 in enumerate(_stream(kind, threshold, steps, seed), start=1):
        grads_np = [np.asarray(g, dtype=np_dtype) for g in step64]
        ref, ref_norm = _reference(kind, grads_np, threshold)
        unchanged = all(same_bits(r, g).all() for r, g in zip(ref, grads_np))
        noop, clipped = noop + unchanged, clipped + (not unchanged)
        try:
            got, got_norm = _run_candidate(clip, target, kind, grads_np, threshold)
        except Exception as exc:  # noqa: BLE001 - a generated module failing is a result
            failure = failure or f"step {k}: clip raised {type(exc).__name__}: {exc}"
            continue
        for t, (a, r) in enumerate(zip(got, ref)):
            if a.dtype != r.dtype or a.shape != r.shape:
                failure = failure or (f"step {k}: tensor {t} is {a.dtype}{list(a.shape)}, "
                                      f"torch's is {r.dtype}{list(r.shape)}")
                continue
            rel = float(rel_error(a, r).max(initial=0.0))
            ulp = float(ulp_distance(a, r).max(initial=0.0))
            worst["max_abs"] = max(worst["max_abs"], float(abs_error(a, r).max(initial=0.0)))
            worst["max_rel"], worst["max_ulp"] = max(worst["max_rel"], rel), \
                max(worst["max_ulp"], ulp)
            bad = (not same_bits(a, r).all()) if criterion == "bitwise" else rel > tol
            if bad and failure is None:
                failure = (f"step {k}: tensor {t} (shape {list(r.shape)}): max_rel {rel:.3g}, "
                           f"{ulp:.0f} ULP")
        if kind == "norm":
            failure = _compare_norm(k, got_norm, ref_norm, criterion, tol, norm_worst, failure)
    record = {"target": target, "dtype": dtype, "kind": kind, "threshold": threshold,
              **{key: _plain(v) for key, v in worst.items()}}
    if kind == "norm":
        record.update({key: _plain(v) for key, v in norm_worst.items()})
    record.update({"noop_steps": noop, "clipped_steps": clipped, "passed": failure is None,
                   "criterion": text, "failure": failure})
    return record


def _compare_norm(k: int, got, ref: np.ndarray, criterion: str, tol: float, worst: dict,
                  failure: str | None) -> str | None:
    got_arr = np.asarray(got)
    if got_arr.dtype != ref.dtype or got_arr.shape != ():
        return failure or (f"step {k}: returned norm is {got_arr.dtype}{list(got_arr.shape)}, "
                           f"torch's is {ref.dtype}[]")
    rel = float(rel_error(got_arr, ref))
    ulp = float(ulp_distance(got_arr, ref))
    worst["norm_max_rel"] = max(worst["norm_max_rel"], rel)
    worst["norm_max_ulp"] = max(worst["norm_max_ulp"], ulp)
    bad = (not bool(same_bits(got_arr, ref))) if criterion == "bitwise" else rel > tol
    if bad and failure is None:
        return f"step {k}: returned total norm {got_arr!r} vs torch's {ref!r} ({ulp:.0f} ULP)"
    return failure


def _plain(value: float) -> float | int:
    return int(value) if math.isfinite(value) and float(value).is_integer() else value


def verify_clip(kind: str, threshold: float, dtypes: Sequence[str] = ("float32", "float64"),
                seed: int = 0, steps: int = 50, targets: Sequence[str] = TARGETS) -> dict:
    """Generated code of every target against ``torch.nn.utils`` on a stream of gradient lists.

    Prefer a threshold that is not a power of two: with ``max_norm = 1.0`` the product in torch's
    ``reciprocal(N + eps) * max_norm`` is exact, and a true division would pass parity too.

    The stream is :func:`optsym.verify.stream.make_problem`'s gradients (tensors of shapes
    (6, 5), (17,), ()), each step rescaled to lie below or above the threshold
    (:func:`_stream`).  Returns ``{"kind", "threshold", "seed", "steps", "reference",
    "results": {target: {dtype: record}}, "passed"}``; a record has ``max_abs``, ``max_rel``,
    ``max_ulp`` over all gradient elements (and ``norm_max_rel``, ``norm_max_ulp`` for the
    returned norm), ``noop_steps`` / ``clipped_steps`` (steps torch left unchanged / changed),
    ``passed``, ``criterion`` and ``failure`` (None, or the first failing step).
    """
    kind = _kind(kind)
    threshold = check_threshold(kind, threshold)
    for target in targets:
        _check_target(target)
    results: dict[str, dict[str, dict]] = {}
    for target in targets:
        source = generate_clip(kind, target)
        results[target] = {dt: verify_source(kind, source, target, threshold, dt, seed, steps)
                           for dt in dtypes}
    fn = "clip_grad_norm_" if kind == "norm" else "clip_grad_value_"
    return {"kind": kind, "threshold": threshold, "seed": seed, "steps": steps,
            "reference": f"torch.nn.utils.{fn} on CPU tensors with .grad set (foreach=None)",
            "results": results,
            "passed": all(r["passed"] for per in results.values() for r in per.values())}


__all__ = [
    "CLIP_KINDS", "EPS", "TARGETS", "ClipDerivation", "NumericCheck", "Step",
    "check_threshold", "compose", "derivations", "derive_direction", "derive_noop",
    "derive_norm_bound", "describe", "generate_clip", "implementation", "print_module",
    "prove_clip", "textbook", "verify_clip", "verify_source",
]
