r"""A quadratic problem as a student states it: an objective ``--f`` or a Hessian ``--hessian``.

A derivation on quadratics is written in its parameters (:math:`L`, :math:`\mu`, or the Hessian
entries :math:`a, b, c`); a textbook problem gives the objective instead.  This module turns the
objective into its Hessian, exactly, and the Hessian into its extreme eigenvalues:

.. math::

    \begin{align*}
    f(x) &= \tfrac12 x^\top H x + g^\top x + c \iff \nabla^2 f = H \text{ (constant)}, \qquad
    L = \lambda_{\max}(H), \quad \mu = \lambda_{\min}(H)
    \end{align*}

``"3*x^2 + x*y + 2*y^2"`` has :math:`H = \begin{pmatrix} 6 & 1 \\ 1 & 4 \end{pmatrix}`, so
:math:`L, \mu = 5 \pm \sqrt2`.  A non-quadratic objective (its Hessian depends on the point) is
refused in one line, as is a Hessian that is not symmetric or not positive definite.  The text
is read by the objective's allow-list grammar (:mod:`optsym.objective`), never evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from optsym.errors import SpecError

#: the largest Hessian accepted (eigenvalues of larger ones have no closed form worth printing)
MAX_DIM = 4


@dataclass(frozen=True)
class Quadratic:
    """A quadratic's Hessian, where it came from, and its extreme eigenvalues (exact)."""

    #: ``f(x, y) = 3*x**2 + x*y + 2*y**2`` or ``H = [[6, 1], [1, 4]]``
    source: str
    hessian: sp.ImmutableMatrix
    L: sp.Expr
    mu: sp.Expr

    @property
    def dim(self) -> int:
        return self.hessian.shape[0]

    def hessian_text(self) -> str:
        return _matrix_text(self.hessian)


def from_objective(text: str) -> Quadratic:
    """The quadratic ``text`` (a formula in x, y, ...); a non-quadratic is a SpecError."""
    from optsym.objective import parse_objective

    objective = parse_objective(text)
    if objective.dim > MAX_DIM:
        raise SpecError(f"--f has {objective.dim} variables; at most {MAX_DIM}")
    hessian = sp.ImmutableMatrix(sp.hessian(objective.expr, objective.variables))
    hessian = hessian.applyfunc(sp.expand)
    moving = sorted({str(v) for v in hessian.free_symbols})
    if moving:
        raise SpecError(f"--f {text!r} is not a quadratic: its Hessian depends on "
                        f"{', '.join(moving)} (these derivations are for quadratics; give the "
                        "Hessian at a point with --hessian)")
    names = ", ".join(str(v) for v in objective.variables)
    return _with_spectrum(f"f({names}) = {sp.sstr(objective.expr)}", hessian)


_ROW_SPLIT = re.compile(r"\]\s*,\s*\[")


def from_hessian(text: str) -> Quadratic:
    """A symmetric positive definite matrix from ``"[[6,1],[1,4]]"`` or ``"6,1;1,4"``, each
    entry an exact number (``1/2``, ``sqrt(2)``)."""
    from optsym.params import exact_number

    body = text.strip()
    if body.startswith("[[") and body.endswith("]]"):
        rows = _ROW_SPLIT.split(body[2:-2])
    elif "[" not in body and "]" not in body:
        rows = body.split(";")
    else:
        raise SpecError(f"--hessian expects rows like [[6,1],[1,4]] (or 6,1;1,4), got {text!r}")
    try:
        entries = [[exact_number(e) for e in row.split(",")] for row in rows]
    except SpecError as exc:
        raise SpecError(f"--hessian: {exc}") from None
    n = len(entries)
    if any(len(row) != n for row in entries):
        raise SpecError(f"--hessian must be square, got rows of lengths "
                        f"{', '.join(str(len(r)) for r in entries)}")
    if n > MAX_DIM:
        raise SpecError(f"--hessian is {n} x {n}; at most {MAX_DIM} x {MAX_DIM}")
    hessian = sp.ImmutableMatrix(entries)
    if hessian != hessian.T:
        raise SpecError(f"--hessian {text!r} is not symmetric (a Hessian is)")
    return _with_spectrum(f"H = {_matrix_text(hessian)}", hessian)


def problem(f_text: str | None, hessian_text: str | None) -> Quadratic | None:
    """The quadratic given by ``--f`` or ``--hessian`` (not both), or None."""
    if f_text is not None and hessian_text is not None:
        raise SpecError("give one of --f and --hessian, not both")
    if f_text is not None:
        return from_objective(f_text)
    if hessian_text is not None:
        return from_hessian(hessian_text)
    return None


def _matrix_text(m: sp.Matrix) -> str:
    return "[" + ", ".join("[" + ", ".join(sp.sstr(v) for v in m.row(i)) + "]"
                           for i in range(m.shape[0])) + "]"


def _with_spectrum(source: str, hessian: sp.ImmutableMatrix) -> Quadratic:
    """The quadratic with its extreme eigenvalues; not positive definite is a SpecError."""
    eigen = [sp.radsimp(sp.nsimplify(e) if e.is_Float else e) for e in hessian.eigenvals()]
    numeric = [complex(sp.N(e, 30)) for e in eigen]
    if any(abs(z.imag) > 1e-20 for z in numeric):  # a symmetric matrix has real eigenvalues
        raise AssertionError(f"complex eigenvalues of a symmetric matrix: {eigen}")
    order = sorted(range(len(eigen)), key=lambda i: numeric[i].real)
    small, big = eigen[order[0]], eigen[order[-1]]
    if numeric[order[0]].real <= 0:
        raise SpecError(f"the Hessian {_matrix_text(hessian)} is not positive definite (its "
                        f"smallest eigenvalue is {sp.sstr(small)}): L, mu and kappa are for "
                        "strongly convex quadratics")
    return Quadratic(source, hessian, big, small)


def overrides_text(values: dict[str, sp.Expr]) -> str:
    """``--a 6 --b 1 --c 4``: the parameters the problem sets, as options."""
    def shown(v: sp.Expr) -> str:
        text = sp.sstr(v)
        return text if v.is_Rational else f'"{text.replace(" ", "")}"'

    return " ".join(f"--{k.replace('_', '-')} {shown(v)}" for k, v in values.items())


def as_overrides(values: dict[str, sp.Expr]) -> dict:
    """Parameter values (exact SymPy numbers) as configuration overrides that keep them
    exact (:class:`optsym.params.Exact`)."""
    from optsym.params import Exact

    return {k: Exact(v, sp.sstr(v)) for k, v in values.items()}


def eigenvalues(q: Quadratic) -> dict[str, sp.Expr]:
    """``{"L": ..., "mu": ...}``: what the L/mu derivations take."""
    return {"L": q.L, "mu": q.mu}


def entries_2x2(q: Quadratic) -> dict[str, sp.Expr]:
    """``{"a", "b", "c"}`` of H = [[a, b], [b, c]]: what condition-number takes."""
    if q.dim != 2:
        raise SpecError(f"condition-number's quadratic has two variables (H = [[a, b], [b, c]]); "
                        f"{q.source} has {q.dim} (heavy-ball, nesterov and gd-quadratic take "
                        "any size)")
    h = q.hessian
    return {"a": h[0, 0], "b": h[0, 1], "c": h[1, 1]}


__all__ = ["Quadratic", "as_overrides", "eigenvalues", "entries_2x2", "from_hessian",
           "from_objective", "overrides_text", "problem"]
