r"""Minibatch SGD over a per-example loss: the gradient is the mean over the batch.

.. math::

    \begin{align*}
    f(\theta; x, y) &= (w x + b - y)^2, \qquad \theta = (w, b) \\
    \mathcal B_k &\subset \{1, \dots, N\},\ |\mathcal B_k| = B
        \quad \text{(without replacement, a fresh permutation every epoch)} \\
    g_k &= \frac{1}{B} \sum_{i \in \mathcal B_k} \nabla_\theta f(\theta_k; x_i, y_i) \\
    \theta_{k+1} &= \theta_k - \eta\,(g_k + \lambda \theta_k)
    \end{align*}

The loss is least-squares regression of :math:`y` on :math:`x`, written once in SymPy
(:data:`LOSS`); its mean over a batch is torch's ``MSELoss()`` on ``nn.Linear(1, 1)``.  The data
(:func:`regression_data`, seeded) are dyadic rationals (multiples of 1/8), exact in float32 and
float64, so both sides see the same numbers.  The sampler (:func:`batches`): each epoch a seeded
``numpy`` permutation of the N indices, cut into consecutive batches of B; an incomplete last
batch is dropped (``drop_last=True``).  The update is SGD's textbook update from its spec
(stateless), composed with the batch-mean gradient: one symbolic map of
:math:`(w, b, x_{1..B}, y_{1..B})` (:func:`step_map`); the batch's data are its per-step inputs.

Reference (:func:`torch_loop`): torch's training loop on the same batches: ``nn.Linear(1, 1)``,
``nn.MSELoss()`` (mean over the batch), ``loss.backward()``, ``torch.optim.SGD.step()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np
import sympy as sp

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
    reference_run,
    sgd_param,
)
from optsym.spec import SpecError

w, b, x, y = sp.symbols("w b x y", real=True)
#: the per-example loss, written once
LOSS = (w * x + b - y) ** 2
PARAMS = (w, b)

OPTIONS = (sgd_param("lr", 0.05, "learning rate"),
          count_param("batch_size", 4, "examples per batch (B)", 64),
          count_param("n", 16, "data points (N)", 10_000),
          sgd_param("weight_decay", 0.0, "L2 penalty coefficient (SGD's weight_decay)"),
          point_param("0,0", "starting (w, b)"))


def regression_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """N points near the line y = 3x - 1, multiples of 1/8 (exact in float32)."""
    rng = np.random.default_rng(seed)
    xs = rng.integers(-16, 17, size=n) / 8.0
    ys = 3.0 * xs - 1.0 + rng.integers(-4, 5, size=n) / 8.0
    return xs, ys


def batches(n: int, batch_size: int, steps: int, seed: int) -> np.ndarray:
    """Index batches, shape (steps, B): per epoch a seeded permutation cut into batches of B
    (sampling without replacement within an epoch; an incomplete last batch is dropped)."""
    if not 1 <= batch_size <= n:
        raise SpecError(f"batch_size must be between 1 and n = {n}, got {batch_size}")
    rng = np.random.default_rng([seed, 1])
    per_epoch = n // batch_size
    out = []
    while len(out) < steps:
        perm = rng.permutation(n)
        out += [perm[i * batch_size:(i + 1) * batch_size] for i in range(per_epoch)]
    return np.array(out[:steps])


def batch_symbols(batch_size: int) -> tuple[tuple[sp.Symbol, ...], tuple[sp.Symbol, ...]]:
    """The data symbols of one batch: x_1..x_B, y_1..y_B."""
    xs = sp.symbols(f"x_1:{batch_size + 1}", real=True)
    ys = sp.symbols(f"y_1:{batch_size + 1}", real=True)
    return xs, ys


def step_map(batch_size: int, cfg: dict[str, Any]) -> StepMap:
    """Minibatch SGD's step: SGD's update with the batch-mean gradient of :data:`LOSS`."""
    xs, ys = batch_symbols(batch_size)
    grads = []
    for p in PARAMS:
        d = sp.diff(LOSS, p)
        grads.append(sp.Add(*[d.xreplace({x: xi, y: yi}) for xi, yi in zip(xs, ys)])
                     / batch_size)
    exprs = tuple(base_update("sgd", cfg, p, gp) for p, gp in zip(PARAMS, grads))
    used = set().union(*(e.free_symbols for e in exprs))
    hypers = tuple(h for h in base_symbols("sgd", cfg) if h in used)
    return StepMap(PARAMS, (*xs, *ys), hypers, exprs)


def torch_loop(xs: np.ndarray, ys: np.ndarray, index: np.ndarray, x0: Sequence[float],
               cfg: dict[str, Any], dtype: str) -> np.ndarray:
    """torch's training loop over the given batches; (steps + 1, 2) of (w, b)."""
    import warnings

    import torch

    tdtype = getattr(torch, dtype)
    model = torch.nn.Linear(1, 1, dtype=tdtype)
    with torch.no_grad():
        model.weight.fill_(float(x0[0]))
        model.bias.fill_(float(x0[1]))
    loss_fn = torch.nn.MSELoss()
    opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    data_x = torch.tensor(xs, dtype=tdtype).reshape(-1, 1)
    data_y = torch.tensor(ys, dtype=tdtype).reshape(-1, 1)

    def now():
        return torch.cat([model.weight.detach().reshape(1), model.bias.detach().reshape(1)])

    out = [now()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for idx in index:
            opt.zero_grad()
            batch = torch.as_tensor(idx)
            loss_fn(model(data_x[batch]), data_y[batch]).backward()
            opt.step()
            out.append(now())
    return torch.stack(out).numpy()


def _verify(steps: int, seed: int, dtypes: Sequence[str], cfg: dict[str, Any]
            ) -> ObjectiveReport:
    from optsym.full_batch import sgd_config
    from optsym.objective import parse_point

    n, size = cfg["n"], cfg["batch_size"]
    x0 = parse_point(str(cfg["x0"]), 2)
    sgd = sgd_config(cfg["lr"], cfg["weight_decay"])
    xs, ys = regression_data(n, seed)
    index = batches(n, size, steps, seed)
    step = step_map(size, sgd)
    values = base_symbols("sgd", sgd)
    inputs = np.concatenate([xs[index], ys[index]], axis=1)
    report = ObjectiveReport(
        "minibatch-sgd", "torch.optim.SGD on nn.Linear(1, 1) with nn.MSELoss() over each batch "
        "(torch's training loop, autograd)", CRITERION,
        {"loss": f"mean over the batch of {LOSS}", "data": f"{n} points near y = 3x - 1 "
         f"(seed {seed}, multiples of 1/8)", "batches": f"{size} per step, a fresh permutation "
         "per epoch, last incomplete batch dropped", "x0 (w, b)": ", ".join(map(str, x0)),
         "lr": sgd["lr"], "weight_decay": sgd["weight_decay"], "steps": steps})
    for dtype in dtypes:
        ref = reference_run(partial(torch_loop, xs, ys, index, x0, sgd), steps, dtype)
        report.results.append(check_step_map(step, ref, inputs,
                                             [values[h] for h in step.hypers], dtype))
    return report


MINIBATCH_SGD = ObjectiveRule(
    name="minibatch-sgd",
    title="Minibatch SGD (mean gradient over a batch) on least-squares regression",
    reference="torch.optim.SGD + nn.MSELoss + autograd",
    doc=__doc__,
    params=OPTIONS,
    verify=_verify,
)
