r"""GD near a saddle point: it lingers, gradient noise makes it leave, and from the saddle's
stable manifold it never leaves.

On :math:`f(x, y) = x^2/2 + y^4/4 - y^2/2` (a saddle at the origin, minima at
:math:`(0, \pm 1)`), GD with step :math:`\eta` moves :math:`y` by

.. math::

    y_{t+1} = y_t - \eta (y_t^3 - y_t) = (1 + \eta (1 - y_t^2))\, y_t \approx (1 + \eta)\, y_t,

so from :math:`y_0` it needs about

.. math::

    T \approx \frac{\ln(\tfrac12 / y_0)}{\ln(1 + \eta)}

steps to reach :math:`|y| = 1/2` (the linearization at the saddle; the cubic term adds a few
steps at the end).  From :math:`y_0 = 10^{-8}` at :math:`\eta = 0.1` that is 186 steps.
Gradient noise of size :math:`\sigma` moves :math:`y` by about :math:`\eta\sigma` at once, so
the escape takes about :math:`\ln(\tfrac12/(\eta\sigma))/\ln(1+\eta)` instead (65 steps at
:math:`\sigma = 0.01`).  From :math:`y_0 = 0` exactly, GD converges to the saddle.
"""

from __future__ import annotations

import math
import numpy as np

from optsym.dynamics.claim import Claim

SADDLE = "x^2/2 + y^4/4 - y^2/2"


def escape_step(path: np.ndarray, level: float = 0.5) -> int | None:
    """The first step at which ``|y|`` reaches ``level``, or None."""
    hit = np.nonzero(np.abs(path[:, 1]) >= level)[0]
    return int(hit[0]) if hit.size else None


def linearized_escape(y0: float, lr: float, level: float = 0.5) -> float:
    r""":math:`\ln(\text{level}/y_0)/\ln(1 + \eta)` (infinite from :math:`y_0 = 0`)."""
    return math.log(level / y0) / math.log1p(lr) if y0 > 0 else math.inf


def check_saddle(gd_steps: int | None, derived: float, noisy_median: float | None,
                 manifold_end: float, manifold_steps: int | None) -> bool:
    """GD leaves within 5 steps of the derived time, the noisy runs leave in under half of it,
    and from the stable manifold GD ends within 1e-6 of the saddle without leaving."""
    return bool(gd_steps is not None and abs(gd_steps - derived) <= 5
                and noisy_median is not None and noisy_median < 0.5 * gd_steps
                and manifold_steps is None and manifold_end < 1e-6)


def saddle_escape(lr: float = 0.1, y0: float = 1e-8, sigma: float = 0.01, runs: int = 20,
                  steps: int = 400, seed: int = 0, x0: float = 1.0,
                  rule: str = "gd") -> Claim:
    """GD near the saddle of :data:`SADDLE`, without and with noise, and on its stable manifold
    (``rule`` may be swapped by a test)."""
    from optsym.dynamics.stepper import objective_stream, run_stream
    from optsym.objective import parse_objective

    obj = parse_objective(SADDLE)
    cfg = {"lr": lr}
    gd_path = run_stream(rule, cfg, [x0, y0], steps, objective_stream(obj))
    gd = escape_step(gd_path)
    noisy_paths = [run_stream(rule, cfg, [x0, y0], steps, objective_stream(obj, sigma, seed + r))
                   for r in range(runs)]
    noisy = [escape_step(p) for p in noisy_paths]
    left = [s for s in noisy if s is not None]
    median = float(np.median(left)) if len(left) == runs else None
    manifold = run_stream(rule, cfg, [x0, 0.0], steps, objective_stream(obj))
    manifold_end = float(np.linalg.norm(manifold[-1]))
    derived = linearized_escape(y0, lr)
    noisy_derived = linearized_escape(lr * sigma, lr)
    measured = {"gd_escape_step": gd, "derived_escape_step": derived,
                "noisy_escape_median": median, "noisy_escape_range": [min(left, default=None),
                                                                      max(left, default=None)],
                "noisy_derived": noisy_derived, "runs_escaped": len(left),
                "manifold_distance_to_saddle": manifold_end,
                "manifold_escape_step": escape_step(manifold)}
    return Claim("saddle-escape",
                 f"GD from y0 = {y0:g} lingers at the saddle for {gd} steps (derived "
                 f"ln(0.5/y0)/ln(1+lr) = {derived:.0f}); gradient noise sigma {sigma:g} makes it "
                 f"leave in {median if median is None else f'{median:.0f}'} (median of {runs}); "
                 "from y0 = 0 it converges to the saddle",
                 f"f = {SADDLE}, from ({x0:g}, y0), lr {lr:g}, up to {steps} steps; leaving: "
                 "|y| >= 0.5",
                 measured, check_saddle(gd, derived, median, manifold_end,
                                        measured["manifold_escape_step"]),
                 [f"with noise the escape starts from |y| ~ lr*sigma: about "
                  f"ln(0.5/(lr*sigma))/ln(1+lr) = {noisy_derived:.0f} steps"],
                 data={"gd": gd_path, "noisy": np.stack(noisy_paths), "manifold": manifold,
                       "measured": measured, "lr": lr, "y0": y0, "sigma": sigma,
                       "level": 0.5})


__all__ = ["SADDLE", "check_saddle", "escape_step", "linearized_escape", "saddle_escape"]
