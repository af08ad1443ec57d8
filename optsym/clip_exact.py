r"""Clipping one given gradient, exactly: what ``optsym clip norm --g 3,4 --threshold 1`` prints.

The spec's textbook equations (:mod:`optsym.transforms.clip_norm` and `clip_value`, ``textbook()``),
evaluated on exact numbers (no second copy of the formulas):

.. math::

    \begin{align*}
    \text{by norm:}\quad g &\leftarrow \min\!\Big(1, \frac{c}{\|g\|_2 + \epsilon}\Big)\, g,
        \qquad \epsilon = 0 \text{ (textbook)},\ \epsilon = 10^{-6} \text{ (torch)} \\
    \text{by value:}\quad g_j &\leftarrow \operatorname{clamp}(g_j, -c, c)
    \end{align*}

``(3, 4)`` at :math:`c = 1`: :math:`\|g\| = 5`, so the textbook answer is :math:`(3/5, 4/5)`;
torch's :math:`\epsilon` makes it :math:`(3, 4)/(5 + 10^{-6})`, which is also given exactly.
The result is checked against ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` run on
the same gradient in float64.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from optsym.spec import SpecError

#: torch's eps in clip_grad_norm_, exactly
TORCH_EPS = sp.Rational(1, 10**6)


@dataclass(frozen=True)
class Clipped:
    """A gradient before and after clipping, exact, with torch's float64 result."""

    kind: str
    g: tuple[sp.Expr, ...]
    threshold: sp.Expr
    #: the textbook result (eps = 0 for norm clipping)
    clipped: tuple[sp.Expr, ...]
    #: norm clipping: ||g||, the factor min(1, c/||g||), and torch's (eps = 1e-6) result
    norm: sp.Expr | None = None
    factor: sp.Expr | None = None
    torch_exact: tuple[sp.Expr, ...] | None = None
    #: torch.nn.utils on the gradient in float64, and its largest distance to torch_exact
    torch_float: tuple[float, ...] = ()
    torch_error: float = 0.0

    @property
    def active(self) -> bool:
        """True when clipping changed the gradient."""
        return self.clipped != self.g

    def as_dict(self) -> dict[str, Any]:
        def texts(v):
            return None if v is None else [sp.sstr(e) for e in v]
        return {"kind": self.kind, "g": texts(self.g), "threshold": sp.sstr(self.threshold),
                "clipped": texts(self.clipped),
                "clipped_float": [float(e) for e in self.clipped], "active": self.active,
                "norm": None if self.norm is None else sp.sstr(self.norm),
                "factor": None if self.factor is None else sp.sstr(self.factor),
                "torch_exact": texts(self.torch_exact), "torch_float64": list(self.torch_float),
                "torch_max_error": self.torch_error}


def _exact(value: Any) -> sp.Expr:
    """An exact number as SymPy holds it; a Python int, float or :class:`Exact` through
    :func:`optsym.params.exact_of` (never a string: nothing here parses text)."""
    from optsym.params import exact_of

    return value if isinstance(value, sp.Expr) else exact_of(value)


def clip_gradient(kind: str, g: Sequence[sp.Expr], threshold: sp.Expr) -> Clipped:
    """Clip ``g`` (exact numbers) by norm or value at ``threshold`` > 0, exactly."""
    g = tuple(_exact(v) for v in g)
    c = _exact(threshold)
    if not g:
        raise SpecError("the gradient is empty")
    if not c.is_positive:
        raise SpecError(f"the threshold must be > 0, got {sp.sstr(c)}")
    if kind == "value":
        from optsym.transforms import clip_value as spec

        clamp = spec.textbook({})[0].expr  # Lambda((i, j), the three cases)
        clipped = tuple(sp.piecewise_fold(clamp(0, m).xreplace({**_elements(g),
                                                                spec.clip_value: c}))
                        for m in range(len(g)))
        return _with_torch(Clipped(kind, g, c, clipped))
    if kind != "norm":
        raise SpecError(f"unknown clipping kind {kind!r}; kinds: norm, value")
    norm, factor_of = _norm_and_coefficient(g, c)
    factor = factor_of(0) if norm != 0 else sp.Integer(1)  # eps -> 0: no clipping of g = 0
    clipped = tuple(sp.radsimp(factor * v) for v in g)
    return _with_torch(Clipped(kind, g, c, clipped, norm, factor,
                               tuple(sp.radsimp(factor_of(TORCH_EPS) * v) for v in g)))


def _elements(g: Sequence[sp.Expr]) -> dict:
    """The entries of a one-tensor gradient list as the spec's ``Element`` nodes."""
    from optsym.listops import Element, grads

    return {Element(grads, 0, m): v for m, v in enumerate(g)}


def _norm_and_coefficient(g: Sequence[sp.Expr], c: sp.Expr):
    """The spec's global norm of ``g`` (:mod:`optsym.transforms.clip_norm`'s textbook, on a
    list of one tensor) and its clip coefficient as a function of eps."""
    from optsym.listops import Numel, n
    from optsym.transforms import clip_norm as spec

    norm_eq, coef_eq = spec.textbook({})[:2]
    on_g = norm_eq.expr.xreplace({s: len(g) for s in norm_eq.expr.atoms(Numel)})
    norm = on_g.xreplace({n: 1}).doit().xreplace(_elements(g))
    return norm, lambda eps: coef_eq.expr.xreplace({spec.total_norm: norm, spec.max_norm: c,
                                                    spec.eps: eps})


def _with_torch(result: Clipped) -> Clipped:
    """``result`` with torch.nn.utils' float64 answer on the same gradient."""
    import torch

    p = torch.nn.Parameter(torch.zeros(len(result.g), dtype=torch.float64))
    p.grad = torch.tensor([float(v) for v in result.g], dtype=torch.float64)
    if result.kind == "norm":
        torch.nn.utils.clip_grad_norm_([p], float(result.threshold))
        reference = result.torch_exact
    else:
        torch.nn.utils.clip_grad_value_([p], float(result.threshold))
        reference = result.clipped
    got = tuple(float(v) for v in p.grad)
    error = max(abs(float(sp.N(r - sp.Rational(v), 30))) for r, v in zip(reference, got))
    return Clipped(result.kind, result.g, result.threshold, result.clipped, result.norm,
                   result.factor, result.torch_exact, got, error)


__all__ = ["Clipped", "TORCH_EPS", "clip_gradient"]
