r"""Newton's method is drawn to the saddle that GD leaves.

On the saddle objective of :mod:`optsym.dynamics.claims_saddle`,
:math:`f(x, y) = x^2/2 + y^4/4 - y^2/2` (saddle at the origin, minima at :math:`(0, \pm 1)`),
the Hessian is :math:`\operatorname{diag}(1,\ 3y^2 - 1)`, so the pure Newton step
(:mod:`optsym.newton`, :math:`\eta = 1`, :math:`\mu = 0`) sends :math:`x` to 0 at once and

.. math::

    y_{k+1} = y_k - \frac{y_k^3 - y_k}{3y_k^2 - 1} = \frac{2 y_k^3}{3 y_k^2 - 1}.

Near the saddle :math:`y_{k+1} \approx -2 y_k^3`: cubic convergence *to the saddle*.  The map
shrinks :math:`|y|` while :math:`2y^2 < |3y^2 - 1|`, i.e. for :math:`|y| < 1/\sqrt 5 \approx
0.447`: that is the saddle's basin of attraction under Newton.  From :math:`y_0 = 1/2`,
outside it, one step lands exactly on the minimum :math:`y = -1` (:math:`2/8 / (3/4 - 1)`).
GD from the same start multiplies :math:`y` by about :math:`1 + \eta` per step and leaves.

Damping :math:`\mu` changes the curvature Newton sees to :math:`3y^2 - 1 + \mu`, and near the
saddle :math:`y_{k+1} \approx \tfrac{\mu}{\mu - 1}\, y_k`: the saddle still attracts for
:math:`\mu < 1/2` (linearly, no longer cubically) and repels from :math:`\mu \ge 1/2` on
(oscillating below :math:`\mu = 1`, monotonically above it, where the damped curvature is
positive and the step is a descent step): :math:`\mu = 2` is the mutation the claim's test
runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from optsym.dynamics.claim import Claim
from optsym.dynamics.claims_saddle import SADDLE, escape_step

#: the saddle's basin under the pure Newton step, |y| < 1/sqrt(5)
BASIN = 1 / np.sqrt(5)


def newton_path(objective, x0: Sequence[float], steps: int, lr: float = 1.0,
                mu: float = 0.0) -> np.ndarray:
    """``[x0, ..., x_steps]`` of Newton's generated step map (:mod:`optsym.newton`), float64.
    After a non-finite iterate the remaining rows are NaN."""
    from optsym.newton import step_map

    fn = step_map(objective).generated()
    out = np.full((steps + 1, objective.dim), np.nan)
    out[0] = [float(v) for v in x0]
    with np.errstate(all="ignore"):
        for k in range(steps):
            out[k + 1] = np.asarray(fn(*out[k], lr, mu), dtype=np.float64)
            if not np.all(np.isfinite(out[k + 1])):
                break
    return out


def derived_y(y0: float, steps: int, lr: float = 1.0, mu: float = 0.0) -> np.ndarray:
    r""":math:`y_{k+1} = y_k - \eta (y_k^3 - y_k)/(3y_k^2 - 1 + \mu)
    = ((3 - \eta) y_k^3 + (\mu - 1 + \eta) y_k)/(3y_k^2 - 1 + \mu)`, the hand-derived
    recursion above (:math:`2y_k^3/(3y_k^2 - 1)` at :math:`\eta = 1, \mu = 0`), in the
    simplified form (no cancellation: it keeps the tiny iterates the step map rounds to 0)."""
    ys = [float(y0)]
    with np.errstate(all="ignore"):
        for _ in range(steps):
            y = ys[-1]
            ys.append(((3 - lr) * y**3 + (mu - 1 + lr) * y) / (3 * y**2 - 1 + mu))
    return np.array(ys)


def check_newton_saddle(newton_end: float, newton_grad: float, newton_curvature: float,
                        gd_escape: int | None, derived_gap: float, outside_end: float) -> bool:
    """From inside the basin Newton ends within 1e-12 of the saddle with gradient < 1e-12, the
    end point's Hessian has a negative eigenvalue (a saddle, not a minimum), the Newton path
    agrees with the derived recursion to 1e-12, GD from the same start leaves (|y| >= 0.5),
    and from outside the basin Newton ends at a minimum (|y| within 1e-12 of 1)."""
    return bool(newton_end < 1e-12 and newton_grad < 1e-12 and newton_curvature < 0
                and derived_gap < 1e-12 and gd_escape is not None
                and abs(outside_end - 1) < 1e-12)


def newton_saddle(y0: float = 0.3, outside: float = 0.5, steps: int = 10,
                  gd_steps: int = 200, gd_lr: float = 0.1, x0: float = 1.0,
                  lr: float = 1.0, mu: float = 0.0) -> Claim:
    """Newton and GD from ``(x0, y0)`` on :data:`SADDLE`, and Newton from ``(x0, outside)``
    (``mu`` and ``lr`` may be changed by a test)."""
    from optsym.dynamics.stepper import objective_stream, run_stream, values
    from optsym.newton import damped_hessian
    from optsym.objective import parse_objective

    obj = parse_objective(SADDLE)
    path = newton_path(obj, (x0, y0), steps, lr, mu)
    end = path[-1]
    grad = float(values(obj, path[-1:])[1][0]) if np.all(np.isfinite(end)) else float("nan")
    # the Hessian's y-y entry at the end (the damping is not the objective's curvature)
    at = dict(zip(obj.variables, (float(v) for v in end)))
    curvature = float(damped_hessian(obj, 0)[1, 1].subs(at)) if np.all(np.isfinite(end)) \
        else float("nan")
    gap = float(np.nanmax(np.abs(path[:, 1] - derived_y(y0, steps, lr, mu))))
    gd = run_stream("sgd", {"lr": gd_lr}, (x0, y0), gd_steps, objective_stream(obj))
    gd_escape = escape_step(gd)
    far = newton_path(obj, (x0, outside), steps, lr, mu)
    measured = {"newton_y": path[:6, 1].tolist(), "newton_distance_to_saddle":
                float(np.linalg.norm(end)) if np.all(np.isfinite(end)) else float("nan"),
                "newton_grad_norm": grad, "newton_end_curvature_yy": curvature,
                "derived_gap": gap, "basin": float(BASIN), "gd_escape_step": gd_escape,
                "gd_end": gd[-1].tolist(), "outside_y0": outside,
                "outside_end": far[-1].tolist()}
    holds = check_newton_saddle(measured["newton_distance_to_saddle"], grad, curvature,
                                gd_escape, gap, abs(float(far[-1][1])))
    return Claim(
        "newton-saddle",
        f"Newton's method (lr {lr:g}, damping {mu:g}) from y0 = {y0:g} converges to the saddle "
        f"(distance {measured['newton_distance_to_saddle']:.2g} after {steps} steps, "
        f"y_k+1 = 2 y_k^3/(3 y_k^2 - 1)); GD (lr {gd_lr:g}) from the same start leaves it at "
        f"step {gd_escape}; from y0 = {outside:g}, outside the basin |y| < 1/sqrt(5), Newton "
        "lands on a minimum",
        f"f = {SADDLE}, from ({x0:g}, y0); Newton: optsym's generated step map (optsym verify "
        "newton); GD: SGD's generated code; leaving: |y| >= 0.5",
        measured, holds,
        data={"newton": path, "gd": gd, "far": far, "y0": y0, "outside": outside,
              "derived": derived_y(y0, steps, lr, mu)},
        notes=["Newton solves grad f = 0: it finds critical points, not minima; the step follows the "
         "curvature's sign, so along y (curvature -1 at the saddle) it goes uphill",
         "with damping mu, y_k+1 ~ mu/(mu - 1) y_k near the saddle: it repels from mu >= 1/2 "
         "on (lr 1)"])


__all__ = ["newton_saddle", "newton_path", "derived_y", "check_newton_saddle", "BASIN"]
