r"""Gradient descent over an objective (full batch): the gradient is the exact :math:`\nabla f`.

.. math::

    \begin{align*}
    g_k &= \nabla f(\theta_k) \\
    \theta_{k+1} &= \theta_k - \eta\,(g_k + \lambda \theta_k)
    \end{align*}

The update is SGD's textbook update from its spec (:mod:`optsym.rules.sgd`, stateless: no
momentum), composed with the gradient of the objective (:meth:`Objective.gradient`, exact, by
``sympy.diff``): one symbolic map per parameter (:func:`step_map`).  Worked examples iterate it
exactly (:func:`exact_iterates`: rationals stay rationals for a polynomial objective, though
their digits grow with every step); the generated code is the map printed as NumPy source.

Reference (:func:`torch_loop`): torch's own training loop, ``torch.optim.SGD`` with the loss
evaluated by :meth:`Objective.torch` and differentiated by autograd.  Checked one step at a time
within the first-order rounding bound (:mod:`optsym.objective_rules`).
"""

from __future__ import annotations

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
    base_symbols,
    base_update,
    check_step_map,
    point_param,
    reference_run,
    sgd_param,
)
from optsym.params import Param
from optsym.spec import SpecError

OPTIONS = (Param("objective", "rosenbrock", "the objective (a built-in name or a formula)",
                 "text"),
          point_param("-1.5,2", "the starting point"),
          sgd_param("lr", 1e-3, "learning rate"),
          sgd_param("weight_decay", 0.0, "L2 penalty coefficient (SGD's weight_decay)"))


def sgd_config(lr: float, weight_decay: float = 0.0) -> dict[str, Any]:
    """The stateless SGD configuration a rule over an objective steps with."""
    from optsym import rules

    return rules.get("sgd").config({"lr": lr, "weight_decay": weight_decay})


def _check_names(objective: Objective, taken: Sequence[sp.Symbol]) -> None:
    clash = {v.name for v in objective.variables} & {s.name for s in taken}
    if clash:
        raise SpecError(f"the objective's variable {sorted(clash)[0]!r} is also a "
                        "hyperparameter's name; rename the variable")


def step_map(objective: Objective, cfg: dict[str, Any]) -> StepMap:
    r"""GD's step as a map: :math:`\theta_j \mapsto` SGD's update with :math:`g_j =
    \partial f / \partial \theta_j`."""
    hypers = tuple(base_symbols("sgd", cfg))
    _check_names(objective, hypers)
    exprs = tuple(base_update("sgd", cfg, v, d)
                  for v, d in zip(objective.variables, objective.gradient()))
    used = set().union(*(e.free_symbols for e in exprs))
    return StepMap(objective.variables, (), tuple(h for h in hypers if h in used), exprs)


def exact_iterates(objective: Objective, x0: Sequence, lr: Any, steps: int,
                   weight_decay: Any = 0) -> list[tuple[sp.Expr, ...]]:
    """``[x0, x1, ..., x_steps]`` of GD, exactly (``lr`` as an exact decimal: 0.001 is
    1/1000; rationals in, rationals out for a polynomial objective)."""
    from optsym import rules

    sgd = rules.get("sgd")
    step = step_map(objective, sgd_config(float(lr), float(weight_decay)))
    values = {sgd.hyper("lr").symbol: lr, sgd.hyper("weight_decay").symbol: weight_decay}
    return step.iterate_exact(x0, values, steps)


def torch_loop(objective: Objective, x0: Sequence, cfg: dict[str, Any], steps: int,
               dtype: str) -> np.ndarray:
    """torch's training loop: ``SGD([x])``, ``f(x).backward()``, ``step()``; (steps + 1, n)."""
    import warnings

    import torch

    x = torch.tensor([float(v) for v in x0], dtype=getattr(torch, dtype), requires_grad=True)
    opt = torch.optim.SGD([x], lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    f = objective.torch()
    out = [x.detach().clone()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            opt.zero_grad()
            f(x).backward()
            opt.step()
            out.append(x.detach().clone())
    return torch.stack(out).numpy()


def _verify(steps: int, seed: int, dtypes: Sequence[str], cfg: dict[str, Any]
            ) -> ObjectiveReport:
    objective = parse_objective(str(cfg["objective"]))
    x0 = parse_point(str(cfg["x0"]), objective.dim)
    sgd = sgd_config(cfg["lr"], cfg["weight_decay"])
    step = step_map(objective, sgd)
    values = base_symbols("sgd", sgd)
    report = ObjectiveReport(
        "gd", "torch.optim.SGD with autograd of the objective (torch's training loop)",
        CRITERION, {"objective": f"{objective.name}: {objective.expr}",
                    "x0": ", ".join(str(v) for v in x0), "lr": sgd["lr"],
                    "weight_decay": sgd["weight_decay"], "steps": steps})
    for dtype in dtypes:
        ref = reference_run(partial(torch_loop, objective, x0, sgd, steps), steps, dtype)
        report.results.append(check_step_map(step, ref, np.zeros((steps, 0)),
                                             [values[h] for h in step.hypers], dtype))
    return report


GD = ObjectiveRule(
    name="gd",
    title="Gradient descent (full batch) over an objective",
    reference="torch.optim.SGD + autograd",
    doc=__doc__,
    params=OPTIONS,
    verify=_verify,
)
