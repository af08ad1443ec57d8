r"""A rule's generated step code, driven step by step by any gradient stream.

.. math::

    \begin{align*}
    g_t &= \nabla f(x_{t-1}) + \sigma\, \xi_t, \qquad \xi_t \sim \mathcal{N}(0, I)
        \quad (\text{or } g_t = G(t, x_{t-1}) \text{ for a given stream } G), \\
    x_t &= \mathrm{step}_{\eta_t}(x_{t-1}, g_t)
        \quad (\text{optsym's generated code, torch-parity target, float64})
    \end{align*}

This is :func:`optsym.trajectory.run_generated`'s loop with two additions: the learning rate
:math:`\eta_t` may change every step (it is a keyword argument of the generated ``step``) and the
gradient may be any function of the step and the iterate.  The update itself is never written
here: it is the module :func:`optsym.codegen.module.generate` prints for the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from optsym.spec import SpecError

#: ``grad(t, x) -> gradient``: t counts from 1, x is the float64 iterate before step t
GradStream = Callable[[int, np.ndarray], np.ndarray]


def _prepared(rule_name: str, cfg: Mapping[str, Any]):
    """``(namespace, config, init keywords, step keywords)`` of the rule's generated module."""
    from optsym import rules
    from optsym.examples.aliases import apply_alias, resolve
    from optsym.trajectory import _keyword_only, _module, rule_config

    alias, name = resolve(rule_name)
    rule = rules.get(name)
    config = rule_config(rule, apply_alias(alias, cfg))
    namespace = _module(rule, config, "torch-parity")
    states = rule.states(config)
    init_kw = {h.name: config[h.name] for h in rule.hypers if h.symbol is not None
               and any(h.symbol in s.init.free_symbols for s in states)}
    step_kw = {k: config[k] for k in _keyword_only(namespace["step"])}
    return namespace, config, init_kw, step_kw


def run_stream(rule_name: str, cfg: Mapping[str, Any], x0: Sequence, steps: int,
               grad: GradStream, lrs: Sequence[float] | None = None) -> np.ndarray:
    r"""The iterates ``[x0, ..., x_steps]`` (shape ``(steps + 1, n)``) of the rule's generated
    code fed by ``grad``; ``lrs[t - 1]`` is :math:`\eta_t` (default: the configuration's lr).
    After a non-finite iterate the remaining rows are NaN (a divergence is a result, not an
    error)."""
    import torch

    if steps < 0:
        raise SpecError(f"steps must be >= 0, got {steps}")
    if lrs is not None and len(lrs) < steps:
        raise SpecError(f"{len(lrs)} learning rates for {steps} steps")
    namespace, config, init_kw, step_kw = _prepared(rule_name, cfg)
    x = np.array([float(v) for v in x0], dtype=np.float64)
    params = [torch.tensor(x, dtype=torch.float64)]
    state = namespace["init_state"](params, **init_kw)
    out = np.full((steps + 1, len(x)), np.nan)
    out[0] = x
    kw = dict(step_kw)
    for t in range(1, steps + 1):
        if lrs is not None and "lr" in kw:
            kw["lr"] = float(lrs[t - 1])
        g = np.asarray(grad(t, out[t - 1]), dtype=np.float64)
        with np.errstate(all="ignore"):
            namespace["step"](params, [torch.tensor(g, dtype=torch.float64)], state, **kw)
        out[t] = params[0].detach().numpy()
        if not np.all(np.isfinite(out[t])):
            break
    return out


def objective_stream(objective, sigma: float = 0.0, seed: int = 0) -> GradStream:
    r""":math:`\nabla f(x) + \sigma \xi_t` by torch's autograd of the objective, with
    :math:`\xi_t` drawn from NumPy's generator seeded with ``seed``."""
    import torch

    if sigma < 0 or not np.isfinite(sigma):
        raise SpecError(f"the noise sigma must be a finite number >= 0, got {sigma}")
    f = objective.torch()
    rng = np.random.default_rng(seed)

    def grad(t: int, x: np.ndarray) -> np.ndarray:
        leaf = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(f(leaf), leaf)
        g = g.numpy()
        return g + sigma * rng.standard_normal(g.shape) if sigma > 0 else g

    return grad


def values(objective, path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`f(x_t)` and :math:`\|\nabla f(x_t)\|` at every row of ``path`` (NaN where the
    row is not finite), by torch in float64: all rows at once, each variable a column of
    ``path`` (the rows are independent, so the gradient of the sum is each row's gradient)."""
    import torch

    f = objective.torch()
    loss = np.full(len(path), np.nan)
    gnorm = np.full(len(path), np.nan)
    ok = np.all(np.isfinite(path), axis=1)
    if not ok.any():
        return loss, gnorm
    leaf = torch.tensor(path[ok].T.copy(), dtype=torch.float64, requires_grad=True)
    value = f(leaf)
    if not isinstance(value, torch.Tensor) or not value.requires_grad:
        loss[ok] = np.broadcast_to(np.asarray(value.detach() if isinstance(value, torch.Tensor)
                                              else value, dtype=float), (int(ok.sum()),))
        gnorm[ok] = 0.0
        return loss, gnorm
    value = value.expand(int(ok.sum())) if value.dim() == 0 else value
    (g,) = torch.autograd.grad(value.sum(), leaf)
    with np.errstate(all="ignore"):
        loss[ok] = value.detach().numpy()
        gnorm[ok] = torch.linalg.vector_norm(g, dim=0).numpy()
    return loss, gnorm


__all__ = ["run_stream", "objective_stream", "values", "GradStream"]
