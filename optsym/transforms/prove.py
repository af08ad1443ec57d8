r"""Proof that a transform's implementation form computes its textbook form.

The engine's own :func:`optsym.proof.compose` turns each form into closed expressions (a list
output as the formula of its element :math:`(i, j)`), :func:`optsym.proof.zero_by` reduces each
difference to 0 (symbolically, by cases where the transform names its regions), and every
verdict is backed by :func:`optsym.proof.max_difference` on concrete lists: three tensors of 4, 3
and 1 elements with random 50-digit values, at every element.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import sympy as sp

from optsym.listops import Element, TensorList, as_element, instantiate, i, j
from optsym.proof import Obligation, compose, max_difference, zero_by
from optsym.spec import Assign, Config
from optsym.transforms.base import Transform

#: the concrete list the numeric check instantiates
CHECK_SIZES = (4, 3, 1)


def _point(transform: Transform, symbols: set[sp.Basic], lists: set[TensorList],
           rng: random.Random) -> dict[sp.Basic, sp.Float]:
    """Random 50-digit values for the concrete lists and the scalars (from ``sample``)."""
    values: dict[sp.Basic, sp.Float] = {
        Element(x, k, m): sp.Float(rng.uniform(-3.0, 3.0), 50)
        for x in sorted(lists, key=str) for k, size in enumerate(CHECK_SIZES)
        for m in range(size)}
    for sym in sorted(symbols, key=str):
        lo, hi = transform.sample.get(sym, (-3.0, 3.0))
        values[sym] = sp.Float(rng.uniform(lo, hi), 50)
    return values


def numeric_check(transform: Transform, a: sp.Expr, b: sp.Expr, points: int = 4,
                  seed: int = 0) -> float:
    """max |a - b| over random concrete lists, at every element (i, j), 50 digits."""
    rng = random.Random(seed)
    elementwise = bool({i, j} & (a.free_symbols | b.free_symbols))
    indices = [(k, m) for k, size in enumerate(CHECK_SIZES) for m in range(size)]
    worst = 0.0
    for _ in range(points):
        pairs = [(instantiate(a, CHECK_SIZES, ix), instantiate(b, CHECK_SIZES, ix))
                 for ix in (indices if elementwise else [(0, 0)])]
        scalars = {s for pa, pb in pairs for s in (pa.free_symbols | pb.free_symbols)
                   if not isinstance(s, TensorList)}
        lists = {s for pa, pb in pairs for s in (pa.free_symbols | pb.free_symbols)
                 if isinstance(s, TensorList)}
        point = _point(transform, scalars, lists, rng)
        worst = max([worst] + [max_difference(pa, pb, [point]) for pa, pb in pairs])
    return worst


def prove(transform: Transform, cfg: Config | None = None, points: int = 4, seed: int = 0,
          form: Sequence[Assign] | None = None) -> list[Obligation]:
    """Output by output (the returned value, each written list), torch's form == textbook.

    ``form`` replaces the implementation form (to show that a wrong form fails).
    """
    cfg = transform.config(cfg)
    impl = compose(tuple(transform.implementation(cfg) if form is None else form))
    book = compose(transform.textbook(cfg))
    out = []
    for name, sym in transform.outputs(cfg):
        a, b = as_element(impl.get(sym, sym)), as_element(book.get(sym, sym))
        out.append(Obligation(name, a, b, zero_by(a - b, regions=transform.proof_regions),
                              numeric_check(transform, a, b, points, seed), points))
    return out
