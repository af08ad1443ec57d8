r"""Worked examples in any convention of the table (``optsym example nesterov --convention
sutskever``).

A convention (:mod:`optsym.conventions`) is a family's update as one source writes it, with its
own state and the point where it takes the gradient: Sutskever's Nesterov takes it at the
look-ahead point :math:`\theta + \mu v`,

.. math::

    v_t = \mu v_{t-1} - \eta\, \nabla f(\theta_{t-1} + \mu v_{t-1}), \qquad
    \theta_t = \theta_{t-1} + v_t .

The example runs those equations exactly, as :func:`~optsym.examples.worked.worked_example` runs
a rule's; the check is the convention's own generated NumPy code in float64 (the gradient taken
at the same point), and torch's form is run exactly on the same problem beside it, with the
family's change of variables applied to it (:math:`\theta^{\mathrm{s}} = \theta + \eta\mu b`,
:math:`v = -\eta b` for Nesterov) where the proof says the two are equal: on
:math:`f = x^2` from 1 with :math:`\eta = 1/10`, :math:`\mu = 9/10`, torch's
:math:`\theta_2 = 139/625` and Sutskever's :math:`\theta_2 = 62/125`, and
:math:`62/125 + \mu v_2 = 139/625`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp

from optsym.spec import Rule, SpecError, TensorSymbol, theta


def family_for(method: str, rule_name: str, given: Mapping[str, Any]):
    """The convention family of ``method`` (``nesterov``, ``momentum``, ``adam``, ...)."""
    from optsym import conventions

    key = method.strip().lower()
    if key in conventions.names():
        return conventions.get(key)
    families = conventions.for_rule(rule_name)
    if not families:
        raise SpecError(f"{method} has no conventions in the table (families: "
                        f"{', '.join(conventions.names())})")
    if len(families) > 1:  # sgd: nesterov or momentum, by its flag
        families = ["nesterov" if given.get("nesterov") else "momentum"]
    return conventions.get(families[0])


def convention_rule(method: str, rule: Rule, convention: str, given: Mapping[str, Any]):
    """``(rule whose textbook form is the convention, the convention, its family, the
    options with the family's fixed ones)``."""
    family = family_for(method, rule.name, given)
    conv = family.get(convention)
    family.check_options({k: v for k, v in given.items() if k in family.fixed})
    options = {**{k: v for k, v in family.config.items() if k not in given}, **given,
               **family.fixed}
    return conv.as_rule(rule), conv, family, options


def check_generated(example, conv, gradient_point: sp.Expr) -> tuple[bool, str]:
    """The convention's generated NumPy code in float64 on the same numbers, the gradient at
    ``gradient_point``: (agrees within the worked example's allowance, detail)."""
    from optsym.codegen.module import generate, load
    from optsym.examples.checks import RELATIVE_TOLERANCE, compare_iterates

    rule, cfg = example.rule, dict(example.config)
    module = load(generate(rule, cfg, "numpy"), f"optsym_example_{rule.name}")
    states = rule.states(cfg)
    names = {h.symbol: h.name for h in rule.hypers if h.symbol is not None}
    values = {h.name: float(example.hypers[h.name]) for h in rule.hypers
              if h.name in example.hypers}
    point_fn = sp.lambdify([theta, *[s.symbol for s in states], *names], gradient_point,
                           modules="numpy")
    if example.objective is not None:
        _, grad_fn = example.objective.numpy()
    x = [np.array([float(v) for v in example.x0], dtype=np.float64)]
    init_kw = {k: v for k, v in values.items()
               if any(str(k) == h.name and h.symbol in s.init.free_symbols
                      for h in rule.hypers for s in states)}
    state = module["init_state"](x, **init_kw)
    import inspect

    accepted = set(inspect.signature(module["step"]).parameters)
    out = []
    for k in range(1, example.steps + 1):
        if example.objective is None:
            grad = np.array([float(v) for v in example.given_gradient(k)], dtype=np.float64)
        else:
            state_now = [np.asarray(state[s.name][0], dtype=np.float64)
                         if isinstance(s.symbol, TensorSymbol) else float(state[s.name][0])
                         for s in states]
            where = point_fn(x[0], *state_now, *[values.get(n, 0.0) for n in names.values()])
            grad = np.asarray(grad_fn(np.broadcast_to(where, x[0].shape)), dtype=np.float64)
        module["step"](x, [grad], state, **{k: v for k, v in values.items() if k in accepted})
        out.append(x[0].copy())
    ours = np.array([[float(sp.N(v, 30)) for v in it] for it in example.iterates])
    theirs = np.vstack([ours[:1], np.array(out)])
    ok, worst, first_bad, diff = compare_iterates(ours, theirs, RELATIVE_TOLERANCE,
                                          starts=np.broadcast_to(ours[:1], ours.shape),
                                          rounds=np.arange(1, len(ours) + 1))
    steps = f"{example.steps} step{'s' if example.steps != 1 else ''}"
    return ok, (f"max |exact - float64| = {float(np.nanmax(diff)):.2g} over {steps} "
                f"({worst:.2g} of the allowance used){first_bad}")


def torch_relation(example, torch_example, family, conv) -> tuple[bool | None, str]:
    """torch's form on the same problem, and the family's change of variables from it: (the
    mapped torch iterates equal this run's at every step, or None where the conventions are
    not equal, and the text)."""
    from optsym.conventions.compare import through_torch

    mapping = through_torch(family, "torch", conv.name)
    last = torch_example.iterates[-1]
    text = f"theta_{example.steps} = {', '.join(sp.sstr(v) for v in last)}"
    if mapping.hypers:
        return None, text + " (the conventions take different hyperparameters)"
    hyper_env = {h.symbol: example.hypers[h.name] for h in torch_example.rule.hypers
                 if h.symbol is not None and h.name in example.hypers}
    torch_states = {s.name: s.symbol for s in torch_example.rule.states(torch_example.config)}
    own_states = {s.symbol: s.name for s in example.rule.states(example.config)}
    equal = True
    for k in range(1, example.steps + 1):
        for i in range(len(example.x0)):
            env = {**hyper_env, theta: torch_example.iterates[k][i]}
            for name, symbol in torch_states.items():
                value = torch_example.state_history[k][name]
                env[symbol] = value[i] if isinstance(value, tuple) else value
            mapped = {theta: mapping.param.xreplace(env)}
            mapped.update({s: e.xreplace(env) for s, e in mapping.state.items()})
            ours = {theta: example.iterates[k][i]}
            for s in mapping.state:
                value = example.state_history[k][own_states[s]]
                ours[s] = value[i] if isinstance(value, tuple) else value
            equal &= all(sp.simplify(mapped[s] - ours[s]) == 0 for s in mapped)
    words = mapping.words or "the change of variables"
    return equal, (text + f"; {words}: it maps torch's exact iterates onto these at every "
                   f"step: {'yes' if equal else 'no (the conventions differ here)'}")


__all__ = ["check_generated", "convention_rule", "family_for", "torch_relation"]
