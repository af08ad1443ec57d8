r"""Trajectories of optsym's generated step code on an objective.

The worked examples check their exact arithmetic against this, and the figures draw it:

.. math::

    \begin{align*}
    g_t &= \nabla f(x_{t-1}) \quad (\text{or a constant } g), \\
    x_t &= \mathrm{step}(x_{t-1}, g_t) \quad (\text{optsym's generated code for the rule})
    \end{align*}

The step is the module :func:`optsym.codegen.module.generate` writes for the rule (by default
the ``torch-parity`` target: torch's own operation order), loaded with
:func:`optsym.codegen.module.load` and run the way :mod:`optsym.verify.runner` runs it: one
parameter tensor of shape ``(n,)``, the configuration's values as keyword arguments.  The
gradient at each iterate comes from the objective: torch's autograd of
:meth:`~optsym.objective.Objective.torch` for the torch targets, the exact gradient evaluated
in NumPy (:meth:`~optsym.objective.Objective.numpy`) for the ``numpy`` target.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from optsym.codegen.module import generate, load
from optsym.objective import Objective
from optsym.spec import SpecError


def rule_config(rule, cfg: Mapping[str, Any]) -> dict[str, Any]:
    """``cfg`` (overrides or a full configuration; numbers may be SymPy rationals) validated
    into the rule's configuration of Python floats and booleans (a None value is left to the
    rule's default: Adafactor's ``eps1=None`` is its "use the machine epsilon")."""
    plain = {k: (bool(v) if rule.hyper(k).is_flag else float(v))
             for k, v in cfg.items() if v is not None}
    return rule.config(plain)


def _keyword_only(fn) -> list[str]:
    return [p.name for p in inspect.signature(fn).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY]


#: generated step modules by (rule identity, configuration, target): a race or a course runs
#: the same rule many times.  Keyed by the Rule object itself (held here), so a rule changed in
#: a test (``dataclasses.replace``) never gets another rule's code.
_MODULES: dict[tuple[int, tuple, str], tuple[Any, dict]] = {}


def _module(rule, config: Mapping, target: str) -> dict:
    key = (id(rule), tuple(sorted(config.items())), target)
    cached = _MODULES.get(key)
    if cached is None or cached[0] is not rule:
        cached = (rule, load(generate(rule, dict(config), target),
                             f"optsym_{rule.name}_{target.replace('-', '_')}"))
        _MODULES[key] = cached
    return cached[1]


def run_generated(rule_name: str, cfg: Mapping, objective: Objective | None, x0: Sequence,
                  steps: int, target: str = "torch-parity", dtype: str = "float64",
                  constant_grad: Sequence | None = None,
                  grad_seq: Sequence[Sequence] | None = None) -> list[np.ndarray]:
    """``[x0, x1, ..., x_steps]`` of the rule's generated code on ``objective``.

    ``rule_name`` is a rule or one of the worked examples' names for SGD settings (``gd``,
    ``momentum``, ``nesterov``).  ``constant_grad`` replaces the objective's gradient by a
    constant, ``grad_seq`` by ``grad_seq[k - 1]`` at step k (then ``objective`` may be None).
    The iterates are returned as float64 arrays of the values in ``dtype``.
    """
    from optsym import rules
    from optsym.examples.aliases import apply_alias, resolve

    if objective is None and constant_grad is None and grad_seq is None:
        raise SpecError("run_generated needs an objective or given gradients")
    if grad_seq is not None and len(grad_seq) < steps:
        raise SpecError(f"{steps} steps need {steps} gradients; grad_seq has {len(grad_seq)}")
    if steps < 0:
        raise SpecError(f"steps must be >= 0, got {steps}")
    alias, name = resolve(rule_name)
    rule = rules.get(name)
    config = rule_config(rule, apply_alias(alias, cfg))
    rule.check_horizon(config, steps)
    namespace = _module(rule, config, target)
    states = rule.states(config)
    init_kw = {h.name: config[h.name] for h in rule.hypers if h.symbol is not None
               and any(h.symbol in s.init.free_symbols for s in states)}
    step_kw = {k: config[k] for k in _keyword_only(namespace["step"])}
    x = np.array([float(v) for v in x0], dtype=np.float64)
    if objective is not None and len(x) != objective.dim:
        raise SpecError(f"x0 has {len(x)} coordinates; the objective has {objective.dim}")
    given = [constant_grad] * steps if constant_grad is not None else grad_seq
    fixed = None if given is None else [
        np.broadcast_to(np.array([float(v) for v in gk], dtype=np.float64), x.shape).copy()
        for gk in given[:steps]]
    if target == "numpy":
        return _run_numpy(namespace, objective, x, fixed, steps, dtype, init_kw, step_kw)
    return _run_torch(namespace, objective, x, fixed, steps, dtype, init_kw, step_kw)


def _run_torch(namespace, objective, x, fixed, steps, dtype, init_kw, step_kw):
    import torch

    tdtype = getattr(torch, dtype)
    param = torch.tensor(x, dtype=tdtype)
    params = [param]
    state = namespace["init_state"](params, **init_kw)
    f = None if objective is None else objective.torch()
    out = [param.detach().numpy().astype(np.float64).copy()]
    for k in range(steps):
        if fixed is not None:
            grad = torch.tensor(fixed[k], dtype=tdtype)
        else:
            leaf = params[0].detach().clone().requires_grad_(True)
            value = f(leaf)
            if isinstance(value, torch.Tensor) and value.requires_grad:
                (grad,) = torch.autograd.grad(value, leaf)
            else:  # a constant objective (``0*x``, ``x-x+1``): its gradient is zero
                grad = torch.zeros_like(leaf.detach())
        namespace["step"](params, [grad], state, **step_kw)
        out.append(params[0].detach().numpy().astype(np.float64).copy())
    return out


def _run_numpy(namespace, objective, x, fixed, steps, dtype, init_kw, step_kw):
    npdtype = np.dtype(dtype)
    params = [x.astype(npdtype)]
    state = namespace["init_state"](params, **init_kw)
    grad_fn = None if objective is None else objective.numpy()[1]
    out = [params[0].astype(np.float64).copy()]
    for k in range(steps):
        grad = fixed[k] if fixed is not None else grad_fn(params[0].astype(np.float64))
        with np.errstate(all="ignore"):
            namespace["step"](params, [np.asarray(grad).astype(npdtype)], state, **step_kw)
        out.append(params[0].astype(np.float64).copy())
    return out


def one_step_generated(rule_name: str, cfg: Mapping, starts: Sequence[tuple],
                       target: str = "torch-parity", dtype: str = "float64"
                       ) -> list[np.ndarray]:
    """One step of the rule's generated code from each given start, as :mod:`optsym.verify`'s
    one-step mode does: ``starts[k - 1] = (x, state, grad)`` is the point and the state after
    ``k - 1`` steps (``state``: each state's values by its torch name, a sequence per coordinate
    or one number for a scalar state) and the gradient of step ``k``.  Returns the points after
    each step (float64 arrays of the values in ``dtype``).

    A free trajectory amplifies rounding (and a rounding can cross a kink: ``sign(0)`` against
    ``sign(2.8e-17)``); one step at a time measures the step's own arithmetic."""
    from optsym import rules
    from optsym.examples.aliases import apply_alias, resolve

    alias, name = resolve(rule_name)
    rule = rules.get(name)
    config = rule_config(rule, apply_alias(alias, cfg))
    namespace = _module(rule, config, target)
    step_kw = {k: config[k] for k in _keyword_only(namespace["step"])}
    if target == "numpy":
        npdtype = np.dtype(dtype)

        def make(values):
            return np.asarray(values, dtype=np.float64).astype(npdtype)

        def back(x):
            return np.asarray(x).astype(np.float64).copy()
    else:
        import torch

        tdtype = getattr(torch, dtype)

        def make(values):
            return torch.tensor(np.asarray(values, dtype=np.float64), dtype=tdtype)

        def back(x):
            return x.detach().numpy().astype(np.float64).copy()
    out = []
    for k, (x, state_values, grad) in enumerate(starts, 1):
        params = [make([float(v) for v in x])]
        state = {"step": k - 1}
        for key, values in state_values.items():
            plain = (float(values) if not isinstance(values, (list, tuple))
                     else [float(v) for v in values])
            state[key] = [make(plain)]
        with np.errstate(all="ignore"):
            namespace["step"](params, [make([float(v) for v in grad])], state, **step_kw)
        out.append(back(params[0]))
    return out


__all__ = ["run_generated", "one_step_generated", "rule_config"]
