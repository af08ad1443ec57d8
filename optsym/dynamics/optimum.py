r"""Where an objective's minima are, for the distance-to-optimum curve.

.. math::

    d_t = \min_{x^\star \in M} \|x_t - x^\star\|_2

:math:`M` is known exactly for the built-ins (Himmelblau's four minima to six decimals) and,
for a quadratic :math:`f(x) = \tfrac12 x^\top H x + b^\top x + c` with :math:`H` positive
definite, is the single point solving :math:`H x^\star = -b` (exact, by SymPy).  Anything else
has no known minimum unless the user gives one; then the distance curve is left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy as sp

#: the built-ins' minima (rosenbrock ... beale, as optsym.objective describes them)
BUILTIN_MINIMA: dict[str, tuple[tuple[float, ...], ...]] = {
    "rosenbrock": ((1.0, 1.0),),
    "narrow-valley": ((0.0, 0.0),),
    "bowl": ((0.0, 0.0),),
    "booth": ((1.0, 3.0),),
    "beale": ((3.0, 0.5),),
    "himmelblau": ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186),
                   (3.584428, -1.848126)),
}


def quadratic_minimum(objective) -> tuple[float, ...] | None:
    """The minimizer of a positive-definite quadratic objective, else None."""
    xs = objective.variables
    try:
        poly = sp.Poly(sp.expand(objective.expr), *xs)
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return None
    if poly.total_degree() != 2:
        return None
    H = sp.hessian(objective.expr, xs)
    if not H.is_symmetric() or not all(ev.is_positive for ev in H.eigenvals()):
        return None
    b = sp.Matrix([sp.diff(objective.expr, v).subs({u: 0 for u in xs}) for v in xs])
    sol = H.LUsolve(-b)
    return tuple(float(v) for v in sol)


def minima(objective, given: Sequence[float] | None = None) -> list[np.ndarray]:
    """The known minima of ``objective`` (``given`` first, if any); empty if none is known."""
    if given is not None:
        return [np.array([float(v) for v in given])]
    if objective.name in BUILTIN_MINIMA:
        return [np.array(p) for p in BUILTIN_MINIMA[objective.name]]
    q = quadratic_minimum(objective)
    return [] if q is None else [np.array(q)]


def distances(path: np.ndarray, points: Sequence[np.ndarray]) -> np.ndarray | None:
    """Each row's distance to the nearest of ``points`` (None when there are none)."""
    if not points:
        return None
    d = np.stack([np.linalg.norm(path - p, axis=1) for p in points])
    return d.min(axis=0)


__all__ = ["minima", "distances", "quadratic_minimum", "BUILTIN_MINIMA"]
