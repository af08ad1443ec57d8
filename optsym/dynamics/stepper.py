r"""A rule's generated step code, driven step by step by any gradient stream.

.. math::

    \begin{align*}
    g_t &= \nabla f(x_{t-1}) + \sigma\, \xi_t, \qquad \xi_t \sim \mathcal{N}(0, I)
        \quad (\text{or } g_t = G(t, x_{t-1}) \text{ for a given stream } G), \\
    x_t &= \mathrm{step}_{\eta_t}(x_{t-1}, g_t)
        \quad (\text{optsym's generated code, torch-parity target, float64})
    \end{align*}

This is :func:`optsym.trajectory.run_generated`'s loop with three additions: the learning rate
:math:`\eta_t` may change every step (it is a keyword argument of the generated ``step``), the
gradient may be any function of the step and the iterate, and a convention of the table runs
in its own variables (``nesterov@sutskever``: the gradient at its look-ahead point).  The update itself is never written
here: it is the module :func:`optsym.codegen.module.generate` prints for the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from optsym.spec import SpecError

#: ``grad(t, x) -> gradient``: t counts from 1, x is the float64 iterate before step t
GradStream = Callable[[int, np.ndarray], np.ndarray]


#: ``METHOD@CONVENTION`` names a convention of the table (``nesterov@sutskever``)
CONVENTION_MARK = "@"


def _spec(rule_name: str, cfg: Mapping[str, Any]):
    """``(rule spec, its options, the convention or None)``: a rule or an alias, or
    ``METHOD@CONVENTION``, whose spec's textbook form is that convention's equations
    (:meth:`optsym.conventions.spec.Convention.as_rule`)."""
    from optsym import rules
    from optsym.examples.aliases import apply_alias, resolve

    method, mark, convention = rule_name.partition(CONVENTION_MARK)
    alias, name = resolve(method)
    rule, options = rules.get(name), apply_alias(alias, cfg)
    if not mark:
        return rule, options, None
    from optsym.examples.convention import convention_rule

    rule, conv, _, options = convention_rule(method, rule, convention, options)
    if any(h.name == "base_lr" for h in rule.hypers) and "lr" in options:
        options.setdefault("base_lr", options["lr"])  # a constant lr is its own peak
    return rule, options, conv


def config_for(rule_name: str, cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The validated configuration of a rule, an alias or ``METHOD@CONVENTION``."""
    from optsym.trajectory import rule_config

    rule, options, _ = _spec(rule_name, cfg)
    return rule_config(rule, options)


def _prepared(rule_name: str, cfg: Mapping[str, Any]):
    """``(namespace, config, init keywords, step keywords, gradient point, spec)`` of the rule's
    generated module; the gradient point (None: the iterate itself) maps the iterate, the
    state and the step keywords to where a convention takes its gradient (Sutskever's
    look-ahead theta + mu v)."""
    import sympy as sp

    from optsym.spec import theta
    from optsym.trajectory import _keyword_only, _module, rule_config

    rule, options, conv = _spec(rule_name, cfg)
    config = rule_config(rule, options)
    namespace = _module(rule, config, "torch-parity")
    states = rule.states(config)
    init_kw = {h.name: config[h.name] for h in rule.hypers if h.symbol is not None
               and any(h.symbol in s.init.free_symbols for s in states)}
    step_kw = {k: config[k] for k in _keyword_only(namespace["step"])}
    point = None
    if conv is not None and conv.gradient_point != theta:
        hypers = [h for h in rule.hypers if h.symbol is not None]
        fn = sp.lambdify([theta, *[s.symbol for s in states], *[h.symbol for h in hypers]],
                         conv.gradient_point, modules="numpy")

        def point_of(x, state, kw):
            return fn(x, *[state[s.name][0].detach().numpy() for s in states],
                      *[kw.get(h.name, config[h.name]) for h in hypers])
        point = point_of
    return namespace, config, init_kw, step_kw, point, rule


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
    namespace, config, init_kw, step_kw, point, rule = _prepared(rule_name, cfg)
    rule.check_horizon(config, steps)  # ASGD's negative lambd: a usage error past its domain
    x = np.array([float(v) for v in x0], dtype=np.float64)
    params = [torch.tensor(x, dtype=torch.float64)]
    state = namespace["init_state"](params, **init_kw)
    out = np.full((steps + 1, len(x)), np.nan)
    out[0] = x
    kw = dict(step_kw)
    for t in range(1, steps + 1):
        if lrs is not None and "lr" in kw:
            kw["lr"] = float(lrs[t - 1])
        at = out[t - 1] if point is None else np.asarray(point(out[t - 1], state, kw),
                                                          dtype=np.float64)
        g = np.asarray(grad(t, at), dtype=np.float64)
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
