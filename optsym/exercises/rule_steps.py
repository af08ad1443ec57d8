"""What the rule topics share: exact steps of a rule (helper F's worked examples) and the
generated code's trajectory, compared coordinate by coordinate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sympy as sp

from optsym.derivation import Check
from optsym.exercises.topic import close
from optsym.objective import Objective


def one_dimensional(name: str, expr: sp.Expr, x: sp.Symbol) -> Objective:
    return Objective(name, (x,), expr)


def worked(rule: str, objective: Objective | None, x0: Sequence, hypers: Mapping[str, Any],
           steps: int, grad: Sequence | None = None):
    """The rule's exact worked example (its textbook equations in exact arithmetic)."""
    from optsym.examples import worked_example

    return worked_example(rule, objective, tuple(x0), dict(hypers), steps, grad=grad)


def trajectory_checks(rule: str, hypers: Mapping[str, Any], objective: Objective | None,
                      x0: Sequence, expected: Sequence[Sequence[sp.Expr]],
                      grad: Sequence | None = None, label: str = "x",
                      path: Sequence | None = None) -> list[Check]:
    """``expected[t]`` (the exact iterate t = 1, 2, ...) against optsym's generated code for
    ``rule`` (torch's operation order, float64); ``path``: its trajectory, if already run."""
    from optsym.trajectory import run_generated

    if path is None:
        path = run_generated(rule, hypers, objective, tuple(x0), len(expected),
                             constant_grad=grad)
    out = []
    for t, exact in enumerate(expected, 1):
        measured = [float(v) for v in path[t]]
        ok = len(measured) == len(exact) and all(close(m, e) for m, e in zip(measured, exact))
        out.append(Check(f"{label}_{t} equals optsym's generated {rule} code (torch order, "
                         "float64)", ok, measured, [sp.sstr(e) for e in exact],
                         f"{measured} vs {[sp.sstr(e) for e in exact]}"))
    return out


def state_at(example, step: int, target: str) -> tuple[sp.Expr, ...]:
    """The exact value of the rule's quantity ``target`` (a state such as ``exp_avg``, or an
    intermediate such as ``m_hat``) after ``step``, per coordinate."""
    for u in example.records[step - 1].updates:
        if str(u.target) == target:
            return tuple(u.results)
    raise LookupError(f"{example.rule.name} computes no {target} at step {step}")


def working(example, names: Mapping[str, str] | None = None) -> list[str]:
    """Each step of a worked example as LaTeX: the gradient, then every equation of the rule
    with the numbers put in (``names``: LaTeX for a target, e.g. ``{"exp_avg": "m"}``)."""
    from optsym.spec import latex

    names = dict(names or {})
    lines = []
    for rec in example.records:
        rows = [rf"g_{{{rec.t}}} &= {_vec(rec.grad)}"]
        for u in rec.updates:
            name = names.get(str(u.target), latex(u.target))
            label = rf"x_{{{rec.t}}}" if str(u.target) == "param" else rf"{name}_{{{rec.t}}}"
            if len(u.results) == 1:
                shown, result = u.shown[0][1], latex(u.results[0])
                rows.append(rf"{label} &= {shown} = {result}" if shown != result
                            else rf"{label} &= {result}")
            else:
                rows.append(rf"{label} &= {_vec(u.results)}")
        lines.append(rf"Step $t = {rec.t}$:" + "\n" + r"\begin{align*}" + " \\\\\n".join(rows)
                     + r"\end{align*}")
    return lines


def _vec(values: Sequence[sp.Expr]) -> str:
    from optsym.spec import latex

    if len(values) == 1:
        return latex(values[0])
    return r"\left(" + ", ".join(latex(v) for v in values) + r"\right)"


def generated_states(rule: str, hypers: Mapping[str, Any], objective: Objective | None,
                     x0: Sequence, steps: int, grad: Sequence | None = None,
                     ) -> list[dict[str, list[float]]]:
    """After each step 1..``steps`` of optsym's generated code for ``rule`` (torch's operation
    order, float64): ``{"param": [...], <state name>: [...]}``."""
    import inspect

    import torch

    from optsym import rules
    from optsym.codegen.module import generate, load
    from optsym.trajectory import rule_config

    spec = rules.get(rule)
    cfg = rule_config(spec, hypers)
    ns = load(generate(spec, cfg, "torch-parity"), f"optsym_exercise_{spec.name}")
    kw = {p.name: cfg[p.name] for p in inspect.signature(ns["step"]).parameters.values()
          if p.kind is inspect.Parameter.KEYWORD_ONLY}
    params = [torch.tensor([float(v) for v in x0], dtype=torch.float64)]
    state = ns["init_state"](params)
    df = objective.numpy()[1] if objective is not None else None
    out = []
    for _ in range(steps):
        g = ([float(v) for v in grad] if grad is not None
             else df(params[0].numpy()).tolist())
        ns["step"](params, [torch.tensor(g, dtype=torch.float64)], state, **kw)
        out.append({"param": params[0].tolist(),
                    **{s.name: state[s.name][0].tolist() for s in spec.states(cfg)}})
    return out


def state_checks(rule: str, hypers: Mapping[str, Any], objective: Objective | None,
                 x0: Sequence, expected: Mapping[tuple[int, str], Sequence[sp.Expr]],
                 grad: Sequence | None = None) -> list[Check]:
    """``expected[(t, state name)]`` against the generated code's state after step t."""
    steps = max(t for t, _ in expected)
    run = generated_states(rule, hypers, objective, x0, steps, grad)
    out = []
    for (t, name), exact in expected.items():
        measured = run[t - 1][name]
        ok = len(measured) == len(exact) and all(close(m, e) for m, e in zip(measured, exact))
        out.append(Check(f"{name} after step {t} equals the state of optsym's generated "
                         f"{rule} code", ok, measured, [sp.sstr(e) for e in exact],
                         f"{measured} vs {[sp.sstr(e) for e in exact]}"))
    return out
