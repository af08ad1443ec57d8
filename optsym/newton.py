r"""Newton's method over an objective: the step solves the (damped) Hessian system.

.. math::

    \begin{align*}
    g_k &= \nabla f(\theta_k), \qquad H_k = \nabla^2 f(\theta_k) \\
    d_k &= (H_k + \mu I)^{-1} g_k \\
    \theta_{k+1} &= \theta_k - \eta\, d_k
    \end{align*}

:math:`\eta = 1, \mu = 0` is the pure Newton step: on a quadratic it lands on the critical
point in one step, whatever its curvature.  It is drawn to *any* critical point, a saddle or a
maximum as much as a minimum (``optsym claims newton-saddle``): :math:`d_k` follows the
curvature's sign, so along a direction of negative curvature the step goes uphill.
:math:`\mu > 0` (Levenberg's damping) shortens the step and shifts the spectrum; it makes the
system solvable where :math:`H_k` is singular, unless an eigenvalue is exactly :math:`-\mu`.

The gradient and the Hessian are SymPy's exact derivatives of the objective
(:meth:`Objective.gradient`, ``sympy.hessian``), and the solve is written once, symbolically, by
Cramer's rule (:func:`direction`: :math:`d = \operatorname{adj}(A)\, g / \det A` with
:math:`A = H + \mu I`; the objective has a handful of variables).  The whole step is one map
per parameter (:class:`~optsym.objective_rules.StepMap`); the generated code is that map
printed as NumPy source.

Reference (:func:`torch_loop`), independent of the map: the gradient by
``torch.autograd.grad``, the Hessian by ``torch.autograd.functional.hessian`` (autograd twice
through the objective's torch form), the system solved by ``torch.linalg.solve`` (LU with
partial pivoting), in the tensor dtype.  Checked one step at a time within the first-order
rounding bound (:mod:`optsym.objective_rules`); the bound of the map covers the cancellation in
:math:`\det A`, which is where an ill-conditioned Hessian costs digits on both sides.

A singular :math:`A` along the path (exactly: torch's LU finds a zero pivot) stops the check
with one line naming the step and the point, not a traceback.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np
import sympy as sp

from optsym.objective import Objective, parse_objective, parse_point
from optsym.objective_rules import (
    CRITERION,
    ObjectiveReport,
    ObjectiveRule,
    StepMap,
    check_step_map,
    point_param,
    reference_run,
    sgd_param,
)
from optsym.params import Param
from optsym.spec import SpecError, scalar

damping = scalar("damping", r"\mu", nonnegative=True)

#: Cramer's rule grows as n!; the objectives here have a few variables
MAX_DIM = 4

OPTIONS = (Param("objective", "rosenbrock", "the objective (a built-in name or a formula)",
                 "text"),
           point_param("-1.5,2", "the starting point"),
           sgd_param("lr", 1.0, "step length eta (1: the pure Newton step)"),
           Param("damping", 0.0, "mu added to the Hessian's diagonal (Levenberg damping)",
                 valid=lambda v: math.isfinite(v) and v >= 0,
                 error="damping must be a finite number >= 0, got {value}",
                 domain="damping >= 0"))


def damped_hessian(objective: Objective, mu: sp.Expr = damping) -> sp.Matrix:
    r""":math:`A = \nabla^2 f + \mu I`, exact."""
    n = objective.dim
    return sp.hessian(objective.expr, objective.variables) + mu * sp.eye(n)


def direction(objective: Objective, mu: sp.Expr = damping) -> tuple[sp.Expr, ...]:
    r""":math:`d = A^{-1} \nabla f = \operatorname{adj}(A)\, \nabla f / \det A` (Cramer's
    rule), one expression per variable."""
    if objective.dim > MAX_DIM:
        raise SpecError(f"newton solves the Hessian system symbolically for at most {MAX_DIM} "
                        f"variables; the objective has {objective.dim}")
    A = damped_hessian(objective, mu)
    grad = sp.Matrix(objective.gradient())
    det = A.det(method="berkowitz")
    return tuple(e / det for e in A.adjugate(method="berkowitz") * grad)


def step_map(objective: Objective, mu_used: bool = True) -> StepMap:
    r"""Newton's step as a map: :math:`\theta_j \mapsto \theta_j - \eta\, d_j`
    (``mu_used=False``: no damping symbol, :math:`\mu = 0` exactly)."""
    from optsym import rules

    lr = rules.get("sgd").hyper("lr").symbol
    clash = {v.name for v in objective.variables} & {lr.name, damping.name}
    if clash:
        raise SpecError(f"the objective's variable {sorted(clash)[0]!r} is also a "
                        "hyperparameter's name; rename the variable")
    d = direction(objective, damping if mu_used else sp.S.Zero)
    exprs = tuple(v - lr * dj for v, dj in zip(objective.variables, d))
    hypers = (lr, damping) if mu_used else (lr,)
    return StepMap(objective.variables, (), hypers, exprs)


def exact_iterates(objective: Objective, x0: Sequence, lr: Any = 1, steps: int = 1,
                   mu: Any = 0) -> list[tuple[sp.Expr, ...]]:
    """``[x0, ..., x_steps]`` of Newton's method exactly (numbers as exact decimals)."""
    from optsym import rules

    step = step_map(objective)
    values = {rules.get("sgd").hyper("lr").symbol: lr, damping: mu}
    return step.iterate_exact(x0, values, steps)


class SingularHessian(SpecError):
    """The damped Hessian is singular at an iterate of the reference's path."""


def torch_loop(objective: Objective, x0: Sequence, lr: float, mu: float, steps: int,
               dtype: str) -> np.ndarray:
    """torch: ``hessian`` + ``linalg.solve`` at every step; (steps + 1, n)."""
    import torch

    tdtype = getattr(torch, dtype)
    f = objective.torch()
    x = torch.tensor([float(v) for v in x0], dtype=tdtype)
    eye = torch.eye(len(x), dtype=tdtype)
    out = [x.clone()]
    for k in range(steps):
        leaf = x.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(f(leaf), leaf)
        hess = torch.autograd.functional.hessian(f, x)
        try:
            d = torch.linalg.solve(hess + mu * eye, grad)
        except torch.linalg.LinAlgError:
            point = ", ".join(f"{v:.6g}" for v in x.tolist())
            raise SingularHessian(
                f"the Hessian{' + damping' if mu else ''} is singular at step {k + 1}, x = "
                f"({point}) in {dtype}: Newton's step is undefined there; give --damping > 0 "
                "or another x0") from None
        x = x - lr * d
        out.append(x.clone())
    return torch.stack(out).numpy()


def _verify(steps: int, seed: int, dtypes: Sequence[str], cfg: dict[str, Any]
            ) -> ObjectiveReport:
    objective = parse_objective(str(cfg["objective"]))
    x0 = parse_point(str(cfg["x0"]), objective.dim)
    lr, mu = float(cfg["lr"]), float(cfg["damping"])
    if mu == 0 and sp.expand(sp.hessian(objective.expr, objective.variables).det()) == 0:
        raise SpecError(f"the Hessian of {objective.expr} is singular everywhere: Newton's step "
                        "is undefined; give --damping > 0")
    step = step_map(objective)
    report = ObjectiveReport(
        "newton", "torch: torch.autograd.functional.hessian + torch.linalg.solve on the "
        "objective's torch form, x <- x - lr * solve(H + damping*I, grad)", CRITERION,
        {"objective": f"{objective.name}: {objective.expr}",
         "x0": ", ".join(str(v) for v in x0), "lr": lr, "damping": mu, "steps": steps,
         "solve": "ours: Cramer's rule on the exact Hessian (adj(A) g / det A); reference: LU "
                  "with partial pivoting, assumed to round no worse than the bound of ours"})
    for dtype in dtypes:
        ref = reference_run(partial(torch_loop, objective, x0, lr, mu, steps), steps, dtype)
        report.results.append(check_step_map(step, ref, np.zeros((steps, 0)), [lr, mu],
                                             dtype))
    return report


NEWTON = ObjectiveRule(
    name="newton",
    title="Newton's method (damped) over an objective",
    reference="torch.autograd.functional.hessian + torch.linalg.solve",
    doc=__doc__,
    params=OPTIONS,
    verify=_verify,
)
