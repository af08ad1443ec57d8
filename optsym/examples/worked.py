r"""A worked example of any rule: its textbook equations run in exact arithmetic, step by step.

For a rule's textbook form (``rule.textbook(cfg)``: assignments run in order) and an objective
:math:`f`, each step :math:`t = 1, \dots, T` computes, coordinate by coordinate,

.. math::

    \begin{align*}
    g_t &= \nabla f(\theta_{t-1}) \quad (\text{or the constant } g) \\
    s_t &= \text{each state update of the rule, with the numbers substituted} \\
    \theta_t &= \text{the rule's parameter update}, \qquad f(\theta_t)
    \end{align*}

with SymPy's exact rationals (surds where the rule takes square roots).  Nothing in the rule is
copied: the equations are the spec's own (``Assign(target, expr)``), executed by substitution.
The answer is then checked against something independent of the textbook form: optsym's
generated code for the rule (``torch-parity``: torch's operation order, a form proved equal to
the textbook one), run in float64 on the same numbers by :func:`optsym.trajectory.run_generated`;
and the objective's decrease is reported, honestly when it does not decrease
(:mod:`optsym.examples.checks`).  What is recorded is in :mod:`optsym.examples.record`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

from optsym.examples.aliases import apply_alias, resolve
from optsym.examples.checks import check_decrease, check_example
from optsym.examples.exact import decimal, exact, finite_real, is_exact, tame
from optsym.examples.record import Check, StepRecord, Update, WorkedExample
from optsym.examples.shown import substituted
from optsym.objective import Objective, ObjectiveError
from optsym.ops import to_math
from optsym.reductions import Norm
from optsym.spec import Assign, Rule, SpecError, TensorSymbol, g, is_tensor_expr, t, theta

MAX_STEPS = 50
#: an iterate beyond this in absolute value stops the example (it diverges)
DIVERGED = sp.Integer(10) ** 6


# ---- building ----------------------------------------------------------------------------------
def exact_hypers(rule: Rule, given: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(config of floats and flags, exact value of every numeric hyperparameter)``.

    Given values keep their exact form (text ``"0.1"`` is 1/10); defaults are read through
    their shortest decimal (0.999 is 999/1000)."""
    values: dict[str, Any] = {}
    for key, value in given.items():
        hyper = rule.hyper(key)
        values[key] = bool(value) if hyper.is_flag else exact(value)
    plain = {k: (v if isinstance(v, bool) else float(v)) for k, v in values.items()}
    for k, v in plain.items():
        if not isinstance(v, bool) and not np.isfinite(v):
            raise SpecError(f"--{k.replace('_', '-')} is out of the float64 range")
    cfg = rule.config(plain)
    out = {}
    for h in rule.hypers:
        if h.symbol is None or cfg[h.name] is None:  # None: the rule's own fallback (eps1)
            continue
        out[h.name] = values[h.name] if h.name in values else exact(float(cfg[h.name]))
    return cfg, out


def per_tensor(n: int) -> dict[sp.Symbol, sp.Expr]:
    """The per-tensor numbers a rule may read (shape, machine epsilon) for one float64 vector
    of length ``n``, exactly (the machine epsilon is the double 2^-52)."""
    from optsym import spec

    values = getattr(spec, "per_tensor_values", None)
    if values is None:
        return {}
    out = {}
    for name, value in values((n,), float(np.finfo(np.float64).eps)).items():
        symbol = getattr(spec, name, None)
        if isinstance(symbol, sp.Symbol):
            out[symbol] = sp.Integer(value) if isinstance(value, int) else sp.Rational(value)
    return out


def worked_example(rule_name: str, objective: Objective | str | None, x0: Sequence | None,
                   hypers: Mapping[str, Any], steps: int,
                   grad: Sequence | None = None, convention: str | None = None, *,
                   grads: Sequence[Sequence] | None = None) -> WorkedExample:
    """Run ``rule_name`` (a rule or ``gd``/``momentum``/``nesterov``) for ``steps`` steps in
    exact arithmetic from ``x0`` on ``objective``, with the constant gradient ``grad``, or with
    ``grads[k - 1]`` at step k (a sequence: a rare feature, gradients that stop);
    ``convention``: in that convention of the table (``sutskever``), see
    :mod:`optsym.examples.convention`.  ``objective`` may be a formula or a built-in's name
    (``"x^2 + 10*y^2"``, ``"rosenbrock"``), read by the safe objective parser."""
    if isinstance(objective, str):
        from optsym.objective import parse_objective

        objective = parse_objective(objective)
    if not 1 <= steps <= MAX_STEPS:
        raise SpecError(f"steps must be between 1 and {MAX_STEPS}, got {steps}")
    if sum(v is not None for v in (objective, grad, grads)) != 1:
        raise SpecError("give an objective, a constant gradient or a gradient sequence (one)")
    if grads is not None and len(grads) < steps:
        raise SpecError(f"the gradient sequence has {len(grads)} gradient"
                        f"{'s' if len(grads) != 1 else ''}; {steps} steps need {steps}")
    alias, name = resolve(rule_name)
    from optsym import rules

    rule = rules.get(name)
    given = apply_alias(alias, hypers)
    conv = family = None
    if convention is not None and convention.strip().lower() != "torch":
        from optsym.examples.convention import convention_rule

        rule, conv, family, given = convention_rule(rule_name, rule, convention, given)
        if any(h.name == "base_lr" for h in rule.hypers) and "base_lr" not in given \
                and "lr" in given:
            given["base_lr"] = given["lr"]  # a constant lr is its own peak
    cfg, hyper_values = exact_hypers(rule, given)
    rule.check_horizon(cfg, steps)
    constant = None if grad is None else tuple(exact(v) for v in grad)
    seq = None if grads is None else tuple(tuple(exact(v) for v in gk) for gk in grads[:steps])
    first = next((len(gk) for gk in seq if len(gk) > 1), 1) if seq is not None else None
    n = objective.dim if objective is not None else (len(x0) if x0 is not None
                                                     else len(constant or ()) or first)
    start = tuple(exact(v) for v in x0) if x0 is not None else (sp.Integer(0),) * n
    if len(start) != n:
        raise ObjectiveError(f"x0 has {len(start)} coordinate{'s' if len(start) != 1 else ''}; "
                             f"the {'objective' if objective else 'gradient'} has {n}")
    if constant is not None and len(constant) == 1 and n > 1:
        constant = constant * n
    if constant is not None and len(constant) != n:
        raise ObjectiveError(f"the gradient has {len(constant)} coordinates; x0 has {n}")
    if seq is not None:
        seq = tuple(gk * n if len(gk) == 1 else gk for gk in seq)
        bad = next((k for k, gk in enumerate(seq, 1) if len(gk) != n), None)
        if bad is not None:
            raise ObjectiveError(f"gradient {bad} of the sequence has {len(seq[bad - 1])} "
                                 f"coordinates; " + (f"x0 has {n}" if x0 is not None else
                                                     f"the first with more than one has {n}"))
    symbols = {h.symbol: hyper_values[h.name] for h in rule.hypers if h.name in hyper_values}
    symbols.update(per_tensor(n))
    equations = tuple(Assign(a.target, to_math(a.expr), a.note) for a in rule.textbook(cfg))
    run = _Run(rule, cfg, symbols, equations, objective,
               seq if seq is not None else None if constant is None else (constant,) * steps,
               start,
               theta if conv is None else conv.gradient_point)
    run.go(steps)
    example = WorkedExample(
        method=rule_name.strip().lower(), rule=rule, alias=alias if conv is None else None,
        config=cfg,
        hypers=hyper_values, objective=objective, constant_grad=constant, grad_seq=seq,
        x0=start,
        equations=equations, records=run.records, iterates=run.iterates, values=run.values,
        generated=[], checks=[], notes=run.notes, exact_steps=run.exact_steps,
        diverged_at=run.diverged_at, x0_default=x0 is None, state_history=run.state_history,
        gradient_point=None if conv is None or conv.gradient_point == theta
        else conv.gradient_point)
    if conv is None:
        check_example(example)
    else:
        _check_convention(example, conv, family, rule_name, objective, x0, hypers, grad,
                          seq)
    return example


def _check_convention(example, conv, family, rule_name, objective, x0, hypers, grad,
                      grads=None) -> None:
    """A convention's example: its generated code, and torch's form beside it."""
    from optsym.examples.convention import check_generated, torch_relation

    ok, detail = check_generated(example, conv, conv.gradient_point)
    example.checks.append(Check(f"generated NumPy code of the {conv.name} convention (float64, "
                                "gradient at the same point) reproduces the exact iterates",
                                ok, detail=detail))
    torch_example = worked_example(rule_name, objective, x0, hypers, example.steps, grad,
                                   grads=grads)
    equal, text = torch_relation(example, torch_example, family, conv)
    example.checks.append(Check("torch's form on the same problem", True, detail=text,
                                kind="observation"))
    if example.values:
        check_decrease(example)


class _Run:
    """The state of an exact run: per-coordinate environments and scalar state."""

    def __init__(self, rule, cfg, symbols, equations, objective, given, start,
                 gradient_point: sp.Expr = theta) -> None:
        self.rule, self.cfg, self.symbols = rule, cfg, symbols
        #: where the gradient is taken (a convention's look-ahead point theta + mu v)
        self.gradient_point = gradient_point
        self.hyper_by_name = {h.name: symbols[h.symbol] for h in rule.hypers
                              if h.symbol is not None and h.symbol in symbols}
        #: hyperparameters that are 0 (dampening, weight decay) are left out of the formulas
        #: shown with numbers, which would otherwise read ``g*(1 - 0)``
        self.zero_hypers = {h.symbol: sp.Integer(0) for h in rule.hypers
                            if h.symbol is not None and symbols.get(h.symbol) == 0}
        #: the gradient of each step where it is given (a constant one: the same each step)
        self.equations, self.objective, self.given = equations, objective, given
        self.states = rule.states(cfg)
        self._numeric = None
        n = len(start)
        self.coords: list[dict[sp.Symbol, sp.Expr]] = [{theta: start[i]} for i in range(n)]
        self.shared: dict[sp.Symbol, sp.Expr] = {}
        for s in self.states:
            init = tame(sp.sympify(s.init).xreplace(symbols))
            if isinstance(s.symbol, TensorSymbol):
                for env in self.coords:
                    env[s.symbol] = init
            else:
                self.shared[s.symbol] = init
        #: each state's values (by torch name) after 0, 1, 2, ... steps
        self.state_history = [self._states_now()]
        self.iterates = [tuple(start)]
        self.values = [] if objective is None else [self._value(start)]
        self.records: list[StepRecord] = []
        self.notes: list[str] = []
        self.exact_steps = 0
        self.diverged_at: int | None = None
        #: an iterate beyond this (10^6, or 1000 times a larger start) stops the run
        self.diverged_limit = max(DIVERGED, 1000 * max(abs(sp.N(v, 20)) for v in start))

    def _states_now(self) -> dict[str, Any]:
        return {s.name: (tuple(env[s.symbol] for env in self.coords)
                         if isinstance(s.symbol, TensorSymbol) else self.shared[s.symbol])
                for s in self.states}

    def _float_guard(self, point) -> None:
        """Refuse a point where f or its gradient overflows float64, before any exact work:
        SymPy would evaluate ``exp(exp(exp(exp(exp(3)))))`` without end."""
        if self._numeric is None:
            self._numeric = self.objective.numpy()
        f, df = self._numeric
        x = np.array([float(v) for v in point], dtype=np.float64)
        try:
            with np.errstate(all="ignore"):
                finite = bool(np.isfinite(f(x)) and np.all(np.isfinite(df(x))))
        except (OverflowError, ValueError, ZeroDivisionError, TypeError):
            finite = False
        if not finite:
            raise ObjectiveError(f"f or its gradient is not a finite real number in float64 at "
                                 f"{_point_text(point)}")

    def _value(self, point, diverged: bool = False) -> sp.Expr | None:
        """f at ``point``, exactly; None at a diverged iterate where f overflows float64 (the
        run stops there; refusing it would call the user's valid input an error)."""
        if diverged:
            try:
                return self._value(point)
            except ObjectiveError:
                return None
        self._float_guard(point)
        value = tame(self.objective.value(point))
        if not finite_real(value):
            raise ObjectiveError(f"f is not a finite real number at {_point_text(point)}")
        return value

    def _gradient(self, point, k: int) -> tuple[sp.Expr, ...]:
        if self.given is not None:
            return self.given[k - 1]
        self._float_guard(point)
        grad = tuple(tame(d) for d in self.objective.grad_at(point))
        if not all(finite_real(d) for d in grad):
            raise ObjectiveError(f"the gradient of f is not finite and real at "
                                 f"{_point_text(point)}")
        return grad

    def go(self, steps: int) -> None:
        for k in range(1, steps + 1):
            before = self.iterates[-1]
            point = before if self.gradient_point == theta else tuple(
                tame(self.gradient_point.xreplace({**self.symbols, **self.shared, **env}))
                for env in self.coords)
            grad = self._gradient(point, k)
            scalars = {**self.symbols, **self.shared, t: sp.Integer(k)}
            for env, gi in zip(self.coords, grad):
                env[g] = gi
            updates = [self._assign(eq, scalars, k) for eq in self.equations]
            for s in self.states:
                if not isinstance(s.symbol, TensorSymbol):
                    self.shared[s.symbol] = scalars[s.symbol]
            after = tuple(env[theta] for env in self.coords)
            diverged = any(abs(sp.N(v, 20)) > self.diverged_limit for v in after)
            value = None if self.objective is None else self._value(after, diverged)
            if self.given is not None and len(set(self.given)) == 1:
                _remark_constant(updates, grad, before, after, self.hyper_by_name)
            self.records.append(StepRecord(k, before, grad, updates, after, value,
                                           None if point is before else point))
            self.state_history.append(self._states_now())
            self.iterates.append(after)
            if value is not None:
                self.values.append(value)
            if all(is_exact(v) for v in after) and (value is None or is_exact(value)):
                if self.exact_steps == k - 1:
                    self.exact_steps = k
            if diverged:
                self.diverged_at = k
                limit = ("10^6" if self.diverged_limit == DIVERGED
                         else f"1000 times the start ({decimal(self.diverged_limit, 3)})")
                self.notes.append(f"stopped after step {k}: an iterate exceeds {limit} in "
                                  "absolute value (the method diverges at this learning rate)"
                                  + ("" if value is not None or self.objective is None else
                                     "; f there overflows float64 and is not computed"))
                break

    def _assign(self, eq: Assign, scalars: dict, k: int) -> Update:
        coord_envs = [{**scalars, **env} for env in self.coords]
        # the branches the scalars decide (t = 1, the tensor's dimension) are taken first, so
        # the formula shown is the one that applies; whole-tensor norms are then numbers
        formula = _resolve_piecewise(eq.expr, scalars)
        expr = _reduce_norms(formula, coord_envs)
        scalar = not is_tensor_expr(expr) and not isinstance(eq.target, TensorSymbol)
        envs = [scalars] if scalar else coord_envs
        inputs, shown, results = [], [], []
        for i, env in enumerate(envs):
            local = _resolve_piecewise(expr, env)
            used = {s: env[s] for s in sorted(local.free_symbols, key=str) if s in env}
            missing = local.free_symbols - set(env)
            if missing:
                raise SpecError(f"the worked example cannot evaluate {self.rule.name}'s "
                                f"equation for {eq.target}: no value for "
                                f"{', '.join(sorted(map(str, missing)))}")
            shown.append(substituted(local.xreplace(self.zero_hypers), used))
            value = tame(local.xreplace(used))
            if value.free_symbols or not finite_real(value):
                raise SpecError(f"step {k}: {eq.target} of {self.rule.name} is not a finite "
                                f"real number ({sp.sstr(value)[:60]})")
            inputs.append(used)
            results.append(value)
            if scalar:
                scalars[eq.target] = value
            else:
                self.coords[i][eq.target] = value
        return Update(eq.target, formula, eq.note, scalar, inputs, shown, results)


def _resolve_piecewise(expr: sp.Expr, env: Mapping) -> sp.Expr:
    """Each ``Piecewise`` replaced by the branch its conditions pick under ``env``; one whose
    conditions ``env`` cannot decide (they read a value it does not have) is left as it is."""
    for pw in sorted(expr.atoms(sp.Piecewise), key=lambda p: -sp.count_ops(p)):
        for branch, cond in pw.args:
            truth = sp.sympify(cond).xreplace(dict(env))
            if truth == sp.true:
                expr = expr.xreplace({pw: branch})
                break
            if truth != sp.false:
                break  # undecided here: keep the whole Piecewise
    return expr


def _reduce_norms(expr: sp.Expr, envs: list[dict]) -> sp.Expr:
    """Each whole-tensor :class:`~optsym.reductions.Norm` replaced by its exact value (the vector's
    Euclidean norm over the coordinates)."""
    norms = sorted(expr.atoms(Norm), key=lambda nrm: sp.count_ops(nrm))
    for nrm in norms:
        parts = [tame(nrm.args[0].xreplace(env)) for env in envs]
        expr = expr.xreplace({nrm: tame(sp.sqrt(sum(p**2 for p in parts)))})
    return expr


def _remark_constant(updates: list[Update], grad: tuple, before: tuple, after: tuple,
                     hyper: Mapping[str, sp.Expr]) -> None:
    """Under a constant gradient, say where a quantity equals g, g^2 or |g| exactly, and where
    the parameter's change is a known closed form (-lr g, -lr g/(|g| + eps), -lr sign(g))."""
    for u in updates:
        if u.scalar or u.target in (theta, g):
            continue
        for i, value in enumerate(u.results):
            gi = grad[i]
            for label, form in (("g", gi), ("g^2", gi**2), ("|g|", abs(gi))):
                if gi != 0 and value == form:
                    u.remarks.append(f"= {label} exactly" + (f" (coordinate {i + 1})"
                                                             if len(u.results) > 1 else ""))
                    break
    last = [u for u in updates if u.target == theta]
    lr, eps = hyper.get("lr"), hyper.get("eps")
    if not last or lr is None:
        return
    for i, (gi, a, b) in enumerate(zip(grad, before, after)):
        forms = [("-lr*g", -lr * gi), ("-lr*sign(g)", -lr * sp.sign(gi))]
        if eps is not None:
            forms.append(("-lr*g/(|g| + eps)", -lr * gi / (abs(gi) + eps)))
        change = b - a
        for label, form in forms:
            if gi == 0 or not is_exact(change) or abs(sp.N(change - form, 40)) > 1e-35:
                continue
            if change == form or sp.simplify(change - form) == 0:
                last[-1].remarks.append(f"change {label} exactly" + (
                    f" (coordinate {i + 1})" if len(grad) > 1 else ""))
                break


def _point_text(point) -> str:
    return "(" + ", ".join(sp.sstr(p) for p in point) + ")"


__all__ = ["worked_example", "WorkedExample", "StepRecord", "Update", "Check", "MAX_STEPS"]
