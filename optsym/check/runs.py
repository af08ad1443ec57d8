r"""The runs ``optsym check`` gives the target: configurations, dtypes, gradients, learning rates.

A run is one configuration of the spec in one dtype: the initial parameters and the gradient of
every step (the seeded stream of :mod:`optsym.verify.stream`: magnitudes from 1e-8 to 1e3, sign
changes, exact zeros), and the learning rate of every step.  The learning rate *changes*
between steps, as under a scheduler, since conventions that agree at a constant lr part there
(lr folded into the velocity, decay tied to the schedule):

.. math::

    \eta_k = \eta \,\Bigl(1 - \tfrac{1}{2}\,\tfrac{k - 1}{N}\Bigr), \qquad k = 1, \dots, N

so step 1 runs at the configured :math:`\eta` and step :math:`N` at about :math:`\eta/2`.
A target that exposes no learning rate to change runs at the constant :math:`\eta_1 = \eta`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

DTYPES = ("float32", "float64")
DEFAULT_STEPS = 100


def lr_stream(lr: float, steps: int) -> list[float]:
    r""":math:`\eta_1, \dots, \eta_N` above, as Python floats."""
    return [float(lr) * (1.0 - 0.5 * (k - 1) / steps) for k in range(1, steps + 1)]


def configurations(rule: Any, options: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The one configuration given, or the rule's sweep (validated the way torch validates)."""
    configs = [dict(options)] if options else [dict(c) for c in rule.sweep]
    for c in configs:
        rule.config(c)
    return configs


def rule_runs(rule: Any, configs: Sequence[Mapping[str, Any]], steps: int = DEFAULT_STEPS,
              seed: int = 0, dtypes: Sequence[str] = DTYPES) -> list[dict[str, Any]]:
    """One run per (configuration, dtype); arrays already in the run's dtype."""
    from optsym.verify.stream import make_problem

    problem = make_problem(steps, seed)
    runs = []
    for overrides in configs:
        cfg = rule.config(overrides)
        lrs = lr_stream(cfg["lr"], steps) if "lr" in cfg else [0.0] * steps
        for dtype in dtypes:
            runs.append({"config": dict(overrides), "dtype": dtype, "lrs": lrs,
                         "params": [np.asarray(p, dtype=dtype) for p in problem.params],
                         "grads": [[np.asarray(x, dtype=dtype) for x in g]
                                   for g in problem.grads]})
    return runs


def schedule_runs(schedule: Any, configs: Sequence[Mapping[str, Any]], steps: int | None
                  ) -> list[dict[str, Any]]:
    """One run per configuration: the number of learning rates and the optimizer's base lr."""
    from optsym.verify.schedule import default_steps

    out = []
    for overrides in configs:
        cfg = schedule.config(overrides)
        n = steps or default_steps(schedule, cfg)
        base = next((float(cfg[p]) for p in ("eta_max", "eta", "lr", "base_lr") if p in cfg), 0.1)
        out.append({"config": dict(overrides), "steps": n, "base_lr": base})
    return out


def request(spec: Any, domain: str, target: str, runs: list[dict[str, Any]],
            explicit_map: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What the sandboxed child needs (plain data: it is pickled)."""
    params = spec.hypers if domain == "rule" else spec.params
    names = [p.name for p in params]
    kinds = {p.name: p.kind for p in params}
    defaults = spec.defaults() if domain == "rule" else spec.config({})
    states = [s.name for s in spec.states(spec.config({}))] if domain == "rule" else []
    if domain == "rule":  # every state any configuration has (amsgrad's max_exp_avg_sq)
        for c in spec.sweep:
            states += [s.name for s in spec.states(spec.config(c)) if s.name not in states]
    return {"target": target, "domain": domain, "name": spec.name, "spec_names": names,
            "kinds": kinds, "defaults": dict(defaults), "spec_states": states,
            "required": ("lr",) if domain == "rule" else (), "runs": runs,
            "explicit_map": dict(explicit_map or {})}
