r"""Compare two conventions of a family: equal (with the proof and the change of variables) or
not equal (with a counterexample in exact arithmetic).

1. **Proof** (:mod:`optsym.conventions.proof`): the candidate change of variables from the
   family (composed through ``torch`` when neither convention is torch) is proved by induction
   with a general learning rate :math:`\eta_t`; where the inductive step fails, the conditions
   that repair it are solved for (:math:`\eta_{t-1} = \eta_t`: a constant lr).  A candidate
   that maps hyperparameters (:math:`\lambda^{\mathrm{paper}} = \alpha\lambda`) is proved too,
   and then the literal same values are proved separately.
2. **Verdict** for the run asked for (a constant lr, or a schedule's closed-form values): equal
   when the proof holds with the same hyperparameter values, or when each step of the run
   meets one of its conditions.
3. **Exact run** of both on a rational problem (:mod:`optsym.conventions.run`): when equal, the
   invariant holds at every step; when not, the first step where the parameters part, their
   values there, and the gap after N steps.
4. **Float64 run** of the generated code of both: a rounding-level difference when equal; the
   same parting step and values (to 1e-12 relative) as the exact run when not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sympy as sp

from optsym.conventions.proof import Condition, prove
from optsym.conventions.comparison import (Comparison, FloatCheck, Parting, _float,
                                          _show, condition_text, exact_number)
from optsym.conventions.run import PROBLEMS, Problem, Trajectory, run_exact, run_float
from optsym.conventions.spec import ChangeOfVariables, Family, base_lr, eta_prev
from optsym.spec import SpecError, theta

#: relative difference between float64 values counted as rounding, not a parting
FLOAT_ROUNDING = 1e-12
#: relative agreement required between the exact run and the float64 run
FLOAT_MATCH = 1e-9
DEFAULT_STEPS = 20


def through_torch(family: Family, a: str, b: str) -> ChangeOfVariables:
    """The change of variables from ``a`` to ``b``: the family's, or composed via torch."""
    identity = ChangeOfVariables()
    if a == "torch":
        return family.mappings.get(b, identity)
    to_a = family.mappings.get(a, identity)
    to_b = family.mappings.get(b, identity)
    rule = family.base_rule()
    cfg = family.cfg()
    torch_states = [s.symbol for s in family.get("torch").states(cfg)]
    a_states = [s.symbol for s in family.get(a).states(cfg)]
    # torch's variables in terms of a's: solve a = M_a(torch)
    unknowns = [theta, *torch_states]
    a_vals = [sp.Dummy(str(s)) for s in [theta, *a_states]]
    eqs = [sp.Eq(a_vals[0], to_a.param)]
    eqs += [sp.Eq(v, to_a.state.get(s, s)) for v, s in zip(a_vals[1:], a_states)]
    sols = sp.solve(eqs, unknowns, dict=True)
    if not sols:
        raise SpecError(f"cannot invert the change of variables from torch to {a}")
    back = {u: sols[0].get(u, u).xreplace(dict(zip(a_vals, [theta, *a_states])))
            for u in unknowns}
    # hyperparameters: torch's in terms of a's
    hyper_back = {}
    for sym, expr in to_a.hypers.items():
        y = sp.Dummy("y")
        sol = sp.solve(sp.Eq(y, expr), sym)
        if len(sol) != 1:
            raise SpecError(f"cannot invert the hyperparameter map from torch to {a}")
        hyper_back[sym] = sol[0].xreplace({y: sym})
    param = to_b.param.xreplace(back)
    b_states = [s.symbol for s in family.get(b).states(cfg)]
    state = {s: to_b.state.get(s, s).xreplace(back) for s in b_states}
    state = {s: e for s, e in state.items() if e != s}
    hypers = {s: e.xreplace(hyper_back) for s, e in to_b.hypers.items()}
    for sym, expr in hyper_back.items():
        hypers.setdefault(sym, expr)
    hypers = {s: sp.simplify(e) for s, e in hypers.items() if sp.simplify(e - s) != 0}
    lr = rule.hyper("lr").symbol
    # the maps read the lr of the step; a's lr is torch's lr through the hyper map
    fix_lr = {lr: hyper_back.get(lr, lr)}
    return ChangeOfVariables(sp.simplify(param.xreplace(fix_lr)),
                             {s: sp.simplify(e.xreplace(fix_lr)) for s, e in state.items()},
                             hypers, f"composed through torch: {to_a.words or 'identity'}; "
                                     f"{to_b.words or 'identity'}")


def _condition_holds(c: Condition, lrs: Sequence[sp.Expr], base: sp.Expr, lr: sp.Symbol,
                     hypers: Mapping[sp.Symbol, sp.Expr]) -> bool:
    """Whether ``c`` holds at every step of this run."""
    for k in range(len(lrs)):
        env = {**hypers, lr: lrs[k], base_lr: base, eta_prev: lrs[k - 1] if k else lrs[k]}
        if sp.simplify(c.symbol.xreplace(env) - c.value.xreplace(env)) != 0:
            return False
    return True


def _mapped_param(mapping: ChangeOfVariables, traj: Trajectory, lrs, lr, k: int,
                  hypers: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
    env = {**hypers, theta: traj.params[k], **traj.states[k], lr: lrs[k]}
    return mapping.param.xreplace(env)


def _differ(x: sp.Expr, y: sp.Expr) -> bool:
    d = x - y
    if d == 0:
        return False
    scale = max(abs(_float(x)), abs(_float(y)), 1.0)
    size = abs(sp.N(d, 60))
    if size > 1e-40 * scale:
        return True
    return sp.simplify(d) != 0 if size != 0 else False


def _parting(mapping, ta: Trajectory, tb: Trajectory, lrs, lr, hypers) -> Parting:
    first = state_first = None
    for k in range(len(lrs)):
        pa = _mapped_param(mapping, ta, lrs, lr, k, hypers)
        if first is None and _differ(pa, tb.params[k]):
            first = k
        env = {**hypers, theta: ta.params[k], **ta.states[k], lr: lrs[k]}
        if state_first is None and any(
                _differ(mapping.state.get(s, s).xreplace(env), value)
                for s, value in tb.states[k].items()):
            state_first = k + 1
        if first is not None and state_first is not None:
            break
    last = len(lrs) - 1
    inexact = [i for i in (ta.inexact_from, tb.inexact_from) if i is not None]
    return Parting(None if first is None else first + 1,
                   None if first is None else _mapped_param(mapping, ta, lrs, lr, first, hypers),
                   None if first is None else tb.params[first],
                   _mapped_param(mapping, ta, lrs, lr, last, hypers), tb.params[last],
                   min(inexact) if inexact else None, state_first)


def _float_check(rule, cfg, family, a, b, mapping, values, lrs, problem, lr,
                 parting: Parting, equal: bool, values_b=None) -> FloatCheck:
    fa = run_float(rule, a, cfg, values, lrs, problem)
    fb = run_float(rule, b, cfg, values if values_b is None else values_b, lrs, problem)
    worst, first, vs_exact = 0.0, None, 0.0
    fixed = {s: float(v) for s, v in values.items()}
    previous = 0.0
    for k, ((pa, sa), (pb, _)) in enumerate(zip(fa, fb), 1):
        env = {**fixed, theta: pa, **sa, lr: float(lrs[k - 1])}
        mapped = float(mapping.param.xreplace(env))
        # relative to the previous step's size too: where theta crosses 0 (momentum on the
        # quadratic, step 196) the rounding of the steps before is not small relative to theta
        rel = abs(mapped - pb) / max(abs(mapped), abs(pb), previous, 1e-300)
        previous = max(abs(mapped), abs(pb))
        worst = max(worst, rel)
        if first is None and rel > FLOAT_ROUNDING:
            first = k
    last_a = float(mapping.param.xreplace({**fixed, theta: fa[-1][0], **fa[-1][1],
                                           lr: float(lrs[-1])}))
    for ours, exact in ((last_a, parting.last_a), (fb[-1][0], parting.last_b)):
        e = _float(exact)
        vs_exact = max(vs_exact, abs(ours - e) / max(abs(e), 1e-300))
    agrees = vs_exact <= FLOAT_MATCH
    what = "the generated NumPy code of both conventions, float64"
    if equal:
        agrees &= first is None
    elif parting.step is not None and first != parting.step:
        # a gap below float64's resolution (eps = 1e-14 inside or outside a root) cannot show
        # in the float run: it may part later or never, as long as the exact gap is that small
        unseen = 100 * FLOAT_ROUNDING
        at_parting = _relative(parting.a_value, parting.b_value)
        at_end = _relative(parting.last_a, parting.last_b)
        agrees &= (at_parting <= unseen and (first is None or first > parting.step)
                   and (first is not None or at_end <= unseen))
        if agrees:
            what += (f"; the exact runs part by {at_parting:.1g} relative at step "
                     f"{parting.step}, below float64's resolution")
    return FloatCheck(first, worst, vs_exact, agrees, what)


def _relative(x: sp.Expr, y: sp.Expr) -> float:
    return abs(_float(x - y)) / max(abs(_float(x)), abs(_float(y)), 1e-300)


def lr_values(schedule, steps: int, lr: sp.Rational) -> tuple[list[sp.Expr], str]:
    """The lr of steps 1..N: constant, or the schedule's closed form (its peak is ``lr``)."""
    if schedule is None:
        return [lr] * steps, f"constant lr {lr}"
    from optsym.schedules.spec import k as k_sym

    spec, scfg = schedule
    subs = {}
    for p in spec.params:
        if p.symbol is None:
            continue
        value = scfg[p.name]
        subs[p.symbol] = (sp.Integer(value) if p.kind == "int" else
                          lr if p.name == "eta_max" else exact_number(repr(float(value))))
    closed = spec.closed_form(scfg).xreplace(subs)
    lrs = [closed.subs(k_sym, j) for j in range(steps)]
    shown = ", ".join(f"{p.name}={scfg[p.name]}" for p in spec.params
                      if p.name not in ("eta_max", "horizon"))
    return lrs, f"{spec.name} schedule from lr {lr} ({shown}): closed form {sp.sstr(closed)}"


def compare(family: Family, a_name: str, b_name: str,
            overrides: Mapping[str, Any] | None = None, schedule=None,
            steps: int = DEFAULT_STEPS, problem: Problem | None = None, *,
            defaults: bool = False, grad_scale: sp.Rational | None = None) -> Comparison:
    """Compare conventions ``a_name`` and ``b_name`` of ``family`` (see the module doc).

    ``defaults``: each side takes its library's default hyperparameters where the user gives
    none (:mod:`optsym.conventions.defaults`), and the verdict is what the exact runs do;
    ``grad_scale`` multiplies every gradient of the problem.
    """
    a, b = family.get(a_name), family.get(b_name)
    if a.name == b.name:
        raise SpecError(f"compare needs two different conventions, got {a.name} twice")
    rule = family.base_rule()
    given = dict(overrides or {})
    family.check_options(given)
    flags = {k: v for k, v in given.items() if isinstance(v, bool)}
    numbers = {k: v for k, v in given.items() if k not in flags}
    texts = {**family.example_values, **numbers}
    texts_b = texts
    if defaults:
        from optsym.conventions.defaults import side_values

        texts_b = {**texts, **side_values(family, b.name, numbers)}
        texts = {**texts, **side_values(family, a.name, numbers)}
    cfg, values_by_name, hypers = _values(family, rule, texts, flags)
    _, values_b, hypers_b = _values(family, rule, texts_b, flags) if defaults else (
        cfg, values_by_name, hypers)
    lr = rule.hyper("lr").symbol
    lrs, lr_text = lr_values(schedule, steps, values_by_name["lr"])
    base = values_by_name["lr"]
    problem = (problem or PROBLEMS[family.problem]).scaled(grad_scale or sp.S.One)

    mapping = through_torch(family, a.name, b.name)
    proof = prove(rule, cfg, a, b, mapping)
    same_map = ChangeOfVariables(mapping.param, mapping.state, {}, mapping.words)
    proof_same = prove(rule, cfg, a, b, same_map) if mapping.hypers else None
    literal = proof_same or proof
    held = [c for c in literal.conditions if _condition_holds(c, lrs, base, lr, hypers)]
    equal = literal.holds or bool(held)
    if literal.holds:
        reason = "proved equal for every step and every learning-rate sequence"
    elif held:
        reason = ("equal on this run because " + " and ".join(condition_text(c) for c in held)
                  + "; proved by induction under that condition")
    elif literal.conditions:
        need = " or ".join(condition_text(c) for c in literal.conditions)
        reason = f"the induction needs {need}, which this run does not meet"
    else:
        reason = "no hyperparameter condition makes the induction hold"
    ta = run_exact(rule, a, cfg, hypers, lrs, problem)
    tb = run_exact(rule, b, cfg, hypers_b, lrs, problem)
    parting = _parting(same_map, ta, tb, lrs, lr, hypers)
    mapped_parting = None
    notes = []
    if defaults:  # the proof is about equal values; the verdict is the runs'
        equal = parting.step is None
        reason = ("with each library's defaults the exact runs never part" if equal else
                  "each side takes its library's defaults")
        if not literal.holds:
            notes.append("with the same values: " + (
                "equal when " + " or ".join(condition_text(c) for c in literal.conditions)
                if literal.conditions else "not equal"))
    elif mapping.hypers:
        tm = run_exact(rule, b, cfg, hypers, lrs, problem, mapped=mapping.hypers)
        mapped_parting = _parting(same_map, ta, tm, lrs, lr, hypers) if proof.holds else None
        extra = (" (proved for every step and every learning-rate sequence)" if proof.holds
                 else " when " + " or ".join(condition_text(c) for c in proof.conditions))
        maps = ", ".join(f"{s}_{b.name} = {_show(e)}" for s, e in mapping.hypers.items())
        notes.append(f"equal after the reparameterization {maps}{extra}")
    if not equal and parting.step is not None:
        reason += f"; they part at step {parting.step}"
        k = parting.step
        if k > 1 and lrs[k - 1] != lrs[k - 2]:
            reason += f", where the lr goes from {lrs[k - 2]} to {lrs[k - 1]}"
    floats = _float_check(rule, cfg, family, a, b, same_map, hypers, lrs, problem, lr,
                          parting, equal, hypers_b)
    shown_values = {n: values_by_name[n] for n in texts}
    return Comparison(family.name, a, b, mapping, proof, proof_same, equal, reason, lr_text,
                      problem, shown_values, steps, parting, mapped_parting, floats,
                      tuple(notes), {n: values_b[n] for n in texts_b} if defaults else None)


def _values(family: Family, rule, texts: Mapping[str, Any], flags: Mapping[str, bool]):
    """The configuration, exact values by name and by symbol (with ``base_lr``) of one side."""
    values_by_name = {k: exact_number(v) for k, v in texts.items()}
    cfg = family.cfg({**{k: float(v) for k, v in values_by_name.items()}, **flags})
    for h in rule.hypers:
        if h.symbol is not None and h.name not in values_by_name:
            values_by_name[h.name] = exact_number(repr(float(cfg[h.name])))
    hypers = {rule.hyper(n).symbol: v for n, v in values_by_name.items()}
    hypers[base_lr] = values_by_name["lr"]
    return cfg, values_by_name, hypers


__all__ = ["compare", "Comparison", "through_torch", "lr_values"]
