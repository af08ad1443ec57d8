r"""SAM, sharpness-aware minimization (Foret et al., 2021), wrapping a base rule.

.. math::

    \begin{align*}
    g_k &= \nabla L(\theta_k) \\
    e_k &= \rho\, \frac{g_k}{\lVert g_k \rVert_2 + \epsilon}
        \quad \text{(one norm over all parameters jointly)} \\
    \tilde g_k &= \nabla L(\theta_k + e_k) \\
    \theta_{k+1} &= \text{base update of } \theta_k \text{ with the gradient } \tilde g_k
        \qquad \bigl(\text{SGD: } \theta_k - \eta (\tilde g_k + \lambda\theta_k)\bigr)
    \end{align*}

Two gradient evaluations per step: ascend to the (first-order) worst point within radius
:math:`\rho`, take the gradient there, and step the base rule *from the original point*.  The
norm is the joint Euclidean norm of all parameters' gradients, as in the paper and in the common
torch implementation (``davda54/sam``: ``torch.norm(torch.stack([p.grad.norm(2) ...]))``,
``scale = rho / (grad_norm + 1e-12)``).  The base is SGD's textbook update from its spec
(stateless configurations only); the loss is the full-batch mean of :data:`optsym.minibatch.LOSS`
(least squares on ``nn.Linear(1, 1)``) over seeded dyadic data.  :func:`step_map` composes all
of it into one symbolic map of :math:`(w, b)`.

Reference (:func:`torch_loop`): a direct two-pass torch loop on ``nn.Linear(1, 1)`` with
``nn.MSELoss()``: ``loss.backward()``; ``e_w = p.grad * scale`` added to each parameter;
``zero_grad``; ``loss.backward()`` at the perturbed point; the parameters restored from a copy;
``torch.optim.SGD.step()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np
import sympy as sp

from optsym.minibatch import LOSS, PARAMS, batch_symbols, regression_data, x, y
from optsym.objective_rules import (
    CRITERION,
    ObjectiveReport,
    ObjectiveRule,
    StepMap,
    base_symbols,
    base_update,
    check_step_map,
    count_param,
    point_param,
    positive_param,
    reference_run,
    sgd_param,
)
from optsym.spec import scalar

rho = scalar("rho", r"\rho", positive=True)
sam_eps = scalar("sam_eps", r"\epsilon", positive=True)

OPTIONS = (sgd_param("lr", 0.05, "learning rate of the base rule (SGD)"),
          positive_param("rho", 0.05, "radius of the ascent step"),
          positive_param("eps", 1e-12, "added to the gradient norm (davda54/sam: 1e-12)"),
          count_param("n", 8, "data points (full batch)", 64),
          sgd_param("weight_decay", 0.0, "L2 penalty coefficient (SGD's weight_decay)"),
          point_param("0,0", "starting (w, b)"))


def full_batch_loss(n: int) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    """The mean of :data:`LOSS` over n data points, and the data symbols x_1..x_n, y_1..y_n."""
    xs, ys = batch_symbols(n)
    loss = sp.Add(*[LOSS.xreplace({x: xi, y: yi}) for xi, yi in zip(xs, ys)]) / n
    return loss, (*xs, *ys)


def ascent(grads: Sequence[sp.Expr]) -> tuple[sp.Expr, ...]:
    r""":math:`e = \rho\, g / (\lVert g \rVert + \epsilon)`, the norm over all parameters."""
    norm = sp.sqrt(sp.Add(*[gj**2 for gj in grads]))
    return tuple(rho * gj / (norm + sam_eps) for gj in grads)


def step_map(loss: sp.Expr, params: Sequence[sp.Symbol], inputs: Sequence[sp.Symbol],
             cfg: dict[str, Any], ascend: bool = True) -> StepMap:
    """SAM's step as one map: the gradient at theta + e, then the base update from theta.

    ``ascend=False`` drops the ascent (plain gradient descent): the mutation the check must
    catch."""
    grads = [sp.diff(loss, p) for p in params]
    e = ascent(grads) if ascend else tuple(sp.S.Zero for _ in params)
    at_perturbed = dict(zip(params, [p + ej for p, ej in zip(params, e)]))
    sharp = [gj.xreplace(at_perturbed) for gj in grads]
    exprs = tuple(base_update("sgd", cfg, p, gj) for p, gj in zip(params, sharp))
    used = set().union(*(ex.free_symbols for ex in exprs))
    hypers = tuple(h for h in (*base_symbols("sgd", cfg), rho, sam_eps) if h in used)
    return StepMap(tuple(params), tuple(inputs), hypers, exprs)


def torch_loop(xs: np.ndarray, ys: np.ndarray, x0: Sequence[float], cfg: dict[str, Any],
               rho_value: float, eps: float, steps: int, dtype: str) -> np.ndarray:
    """The two-pass SAM loop in plain torch; (steps + 1, 2) of (w, b)."""
    import warnings

    import torch

    tdtype = getattr(torch, dtype)
    model = torch.nn.Linear(1, 1, dtype=tdtype)
    with torch.no_grad():
        model.weight.fill_(float(x0[0]))
        model.bias.fill_(float(x0[1]))
    params = list(model.parameters())
    loss_fn = torch.nn.MSELoss()
    base = torch.optim.SGD(params, lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    data_x = torch.tensor(xs, dtype=tdtype).reshape(-1, 1)
    data_y = torch.tensor(ys, dtype=tdtype).reshape(-1, 1)

    def now():
        return torch.cat([model.weight.detach().reshape(1), model.bias.detach().reshape(1)])

    out = [now()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            base.zero_grad()
            loss_fn(model(data_x), data_y).backward()          # first pass: g at theta
            with torch.no_grad():
                grad_norm = torch.norm(torch.stack([p.grad.norm(p=2) for p in params]), p=2)
                scale = rho_value / (grad_norm + eps)
                old = [p.detach().clone() for p in params]
                for p in params:
                    p.add_(p.grad * scale)                      # ascend to theta + e
            base.zero_grad()
            loss_fn(model(data_x), data_y).backward()          # second pass: g at theta + e
            with torch.no_grad():
                for p, o in zip(params, old):
                    p.copy_(o)                                  # back to theta
            base.step()                                         # base step with g at theta + e
            out.append(now())
    return torch.stack(out).numpy()


def _verify(steps: int, seed: int, dtypes: Sequence[str], cfg: dict[str, Any],
            ascend: bool = True) -> ObjectiveReport:
    from optsym.full_batch import sgd_config
    from optsym.objective import parse_point

    n = cfg["n"]
    x0 = parse_point(str(cfg["x0"]), 2)
    rho_value, eps = cfg["rho"], cfg["eps"]
    sgd = sgd_config(cfg["lr"], cfg["weight_decay"])
    xs, ys = regression_data(n, seed)
    loss, inputs = full_batch_loss(n)
    step = step_map(loss, PARAMS, inputs, sgd, ascend)
    values = {**base_symbols("sgd", sgd), rho: rho_value, sam_eps: eps}
    data = np.tile(np.concatenate([xs, ys]), (steps, 1))
    report = ObjectiveReport(
        "sam", "a direct two-pass torch loop on nn.Linear(1, 1) with nn.MSELoss() "
        "(loss.backward() twice per step, base torch.optim.SGD)", CRITERION,
        {"loss": f"mean over {n} points of {LOSS} (seed {seed}, multiples of 1/8)",
         "base": "sgd", "x0 (w, b)": ", ".join(map(str, x0)), "lr": sgd["lr"],
         "rho": rho_value, "eps": eps, "weight_decay": sgd["weight_decay"], "steps": steps})
    for dtype in dtypes:
        loop = partial(torch_loop, xs, ys, x0, sgd, rho_value, eps, steps)
        ref = reference_run(loop, steps, dtype)
        report.results.append(check_step_map(step, ref, data,
                                             [values[h] for h in step.hypers], dtype))
    return report


SAM = ObjectiveRule(
    name="sam",
    title="SAM (sharpness-aware minimization) with an SGD base, on least-squares regression",
    reference="two-pass torch loop (nn.Linear, MSELoss, torch.optim.SGD)",
    doc=__doc__,
    params=OPTIONS,
    verify=_verify,
)
