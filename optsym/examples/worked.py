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
and the objective's decrease is reported, honestly when it does not decrease.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from optsym.examples.aliases import Alias, apply_alias, resolve
from optsym.examples.exact import decimal, exact, finite_real, is_exact, representable, tame
from optsym.examples.shown import substituted
from optsym.objective import Objective, ObjectiveError
from optsym.ops import Norm, to_math
from optsym.spec import Assign, Rule, SpecError, TensorSymbol, g, is_tensor_expr, t, theta

MAX_STEPS = 50
#: an iterate beyond this in absolute value stops the example (it diverges)
DIVERGED = sp.Integer(10) ** 6
#: the generated float64 run must agree with the exact iterates within this tolerance relative
#: to how far the iterate moved from its start (accumulated rounding is ~1e-15 relative; a wrong
#: formula moves the iterates by far more), plus the float64 rounding of the iterate itself.
#: Relative to the distance moved, not to max(1, |x|): with lr = 0.001 a step moves x by 1e-3,
#: and Adam with eps inside the square root differs from Adam by 2e-11 there, which a
#: tolerance relative to max(1, |x|) would let through.
RELATIVE_TOLERANCE = 1e-9
#: float64 rounding allowed per step, relative to the size of the iterate (half an ulp per
#: rounding, a few roundings per step, and the inputs' rounding to float64)
ROUNDING_PER_STEP = 8 * float(np.finfo(np.float64).eps)
#: ... or this one where torch keeps scalar state in float32 (ASGD's eta and mu, NAdam's
#: mu_product): one float32 rounding is 6e-8 relative, and it accumulates over the steps
FLOAT32_SCALAR_TOLERANCE = 32 * float(np.finfo(np.float32).eps)


@dataclass
class Update:
    """One assignment of the rule at one step: its formula, and per coordinate the inputs and
    the exact result."""

    target: sp.Symbol
    formula: sp.Expr
    note: str
    scalar: bool
    inputs: list[dict[sp.Symbol, sp.Expr]]
    #: per coordinate, the formula with the numbers in it: (text, LaTeX)
    shown: list[tuple[str, str]]
    results: list[sp.Expr]
    remarks: list[str] = field(default_factory=list)


@dataclass
class StepRecord:
    t: int
    before: tuple[sp.Expr, ...]
    grad: tuple[sp.Expr, ...]
    updates: list[Update]
    after: tuple[sp.Expr, ...]
    value: sp.Expr | None
    #: the point the gradient was taken at, where it is not ``before`` (a look-ahead)
    point: tuple[sp.Expr, ...] | None = None


@dataclass
class Check:
    """A check of the answer (``kind="check"``: a failure fails the example) or an observation
    about it (``kind="observation"``: the objective did not decrease, say)."""

    description: str
    passed: bool
    detail: str = ""
    kind: str = "check"

    def as_dict(self) -> dict[str, Any]:
        return {"description": self.description, "passed": bool(self.passed),
                "detail": self.detail, "kind": self.kind}


@dataclass
class WorkedExample:
    """A worked example: the problem, each step, the answer and its checks."""

    method: str
    rule: Rule
    alias: Alias | None
    config: dict[str, Any]
    hypers: dict[str, sp.Expr]
    objective: Objective | None
    constant_grad: tuple[sp.Expr, ...] | None
    x0: tuple[sp.Expr, ...]
    equations: tuple[Assign, ...]
    records: list[StepRecord]
    iterates: list[tuple[sp.Expr, ...]]
    values: list[sp.Expr]
    generated: list[np.ndarray]
    checks: list[Check]
    notes: list[str]
    exact_steps: int
    diverged_at: int | None = None
    #: True when no starting point was given (the origin was used)
    x0_default: bool = False
    #: each state's exact values (by torch name) after 0, 1, 2, ... steps
    state_history: list[dict[str, Any]] = field(default_factory=list)
    #: where a convention takes the gradient (``theta + momentum*velocity``), or None at x
    gradient_point: sp.Expr | None = None

    @property
    def checked(self) -> bool:
        """True when every check passed (the generated code agrees with the exact answer)."""
        return all(c.passed for c in self.checks if c.kind == "check")

    @property
    def steps(self) -> int:
        return len(self.records)

    @property
    def variables(self) -> tuple[sp.Symbol, ...]:
        if self.objective is not None:
            return self.objective.variables
        return tuple(sp.Symbol(f"x{i + 1}") for i in range(len(self.x0))) if len(self.x0) > 1 \
            else (sp.Symbol("x"),)

    def as_text(self) -> str:
        from optsym.examples.render import as_text

        return as_text(self)

    def as_latex(self) -> str:
        from optsym.examples.render import as_latex

        return as_latex(self)

    def as_dict(self) -> dict[str, Any]:
        from optsym.examples.render import as_dict

        return as_dict(self)

    def _repr_latex_(self) -> str:
        from optsym.examples.render import as_mathjax

        return as_mathjax(self)


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


def worked_example(rule_name: str, objective: Objective | None, x0: Sequence | None,
                   hypers: Mapping[str, Any], steps: int,
                   grad: Sequence | None = None, convention: str | None = None) -> WorkedExample:
    """Run ``rule_name`` (a rule or ``gd``/``momentum``/``nesterov``) for ``steps`` steps in
    exact arithmetic from ``x0`` on ``objective``, or with the constant gradient ``grad``;
    ``convention``: in that convention of the table (``sutskever``), see
    :mod:`optsym.examples.convention`."""
    if not 1 <= steps <= MAX_STEPS:
        raise SpecError(f"steps must be between 1 and {MAX_STEPS}, got {steps}")
    if (objective is None) == (grad is None):
        raise SpecError("give an objective or a constant gradient (one of the two)")
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
    constant = None if grad is None else tuple(exact(v) for v in grad)
    n = objective.dim if objective is not None else (len(x0) if x0 is not None
                                                     else len(constant))
    start = tuple(exact(v) for v in x0) if x0 is not None else (sp.Integer(0),) * n
    if len(start) != n:
        raise ObjectiveError(f"x0 has {len(start)} coordinate{'s' if len(start) != 1 else ''}; "
                             f"the {'objective' if objective else 'gradient'} has {n}")
    if constant is not None and len(constant) == 1 and n > 1:
        constant = constant * n
    if constant is not None and len(constant) != n:
        raise ObjectiveError(f"the gradient has {len(constant)} coordinates; x0 has {n}")
    symbols = {h.symbol: hyper_values[h.name] for h in rule.hypers if h.name in hyper_values}
    symbols.update(per_tensor(n))
    equations = tuple(Assign(a.target, to_math(a.expr), a.note) for a in rule.textbook(cfg))
    run = _Run(rule, cfg, symbols, equations, objective, constant, start,
               theta if conv is None else conv.gradient_point)
    run.go(steps)
    example = WorkedExample(
        method=rule_name.strip().lower(), rule=rule, alias=alias if conv is None else None,
        config=cfg,
        hypers=hyper_values, objective=objective, constant_grad=constant, x0=start,
        equations=equations, records=run.records, iterates=run.iterates, values=run.values,
        generated=[], checks=[], notes=run.notes, exact_steps=run.exact_steps,
        diverged_at=run.diverged_at, x0_default=x0 is None, state_history=run.state_history,
        gradient_point=None if conv is None or conv.gradient_point == theta
        else conv.gradient_point)
    if conv is None:
        _check(example)
    else:
        _check_convention(example, conv, family, rule_name, objective, x0, hypers, grad)
    return example


def _check_convention(example, conv, family, rule_name, objective, x0, hypers, grad) -> None:
    """A convention's example: its generated code, and torch's form beside it."""
    from optsym.examples.convention import check_generated, torch_relation

    ok, detail = check_generated(example, conv, conv.gradient_point)
    example.checks.append(Check(f"generated NumPy code of the {conv.name} convention (float64, "
                                "gradient at the same point) reproduces the exact iterates",
                                ok, detail))
    torch_example = worked_example(rule_name, objective, x0, hypers, example.steps, grad)
    equal, text = torch_relation(example, torch_example, family, conv)
    example.checks.append(Check("torch's form on the same problem", True, text, "observation"))
    if example.values:
        _decrease(example)


class _Run:
    """The state of an exact run: per-coordinate environments and scalar state."""

    def __init__(self, rule, cfg, symbols, equations, objective, constant, start,
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
        self.equations, self.objective, self.constant = equations, objective, constant
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

    def _gradient(self, point) -> tuple[sp.Expr, ...]:
        if self.constant is not None:
            return self.constant
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
            grad = self._gradient(point)
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
            if self.constant is not None:
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
    """Each whole-tensor :class:`~optsym.ops.Norm` replaced by its exact value (the vector's
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


# ---- checks ------------------------------------------------------------------------------------
def _check(example: WorkedExample) -> None:
    """The generated float64 code on the same numbers, the float64 rounding of the inputs, and
    the objective's decrease."""
    from optsym.trajectory import run_generated

    rule, steps = example.rule, example.steps
    cfg_floats = {k: v for k, v in example.config.items()}
    try:
        generated = run_generated(rule.name, cfg_floats, example.objective,
                                  [float(v) for v in example.x0], steps, "torch-parity",
                                  "float64",
                                  None if example.constant_grad is None
                                  else [float(v) for v in example.constant_grad])
    except (RuntimeError, ValueError, OverflowError) as exc:
        example.checks.append(Check("generated torch-parity code runs in float64", False,
                                    str(exc).splitlines()[0]))
        return
    example.generated = generated
    tolerance, why = _tolerance(rule, example.config)
    ours = np.array([[float(sp.N(v, 30)) for v in x] for x in example.iterates])
    free_ok, worst, first_bad, diff = _compare(ours, np.array(generated), tolerance,
                                               starts=np.broadcast_to(ours[:1], ours.shape),
                                               rounds=np.arange(1, len(ours) + 1))
    detail = (f"max |exact - float64| = {float(np.nanmax(diff)):.2g} over {steps} step"
              f"{'s' if steps != 1 else ''} (allowed: {tolerance:.2g} |x_t - x_0| plus float64 "
              f"rounding{why}; {worst:.2g} of that used)")
    if free_ok:
        example.checks.append(Check(
            "generated torch-parity code (float64) reproduces the exact iterates", True, detail))
    else:
        # one step at a time from each exact iterate and state: the step's own arithmetic,
        # without the amplification of a free run (or a rounding that crosses a kink)
        from optsym.trajectory import one_step_generated

        starts = [(example.iterates[k - 1], example.state_history[k - 1],
                   example.records[k - 1].grad) for k in range(1, steps + 1)]
        try:
            single = one_step_generated(rule.name, example.config, starts)
            step_ok, step_worst, step_bad, _ = _compare(ours[1:], np.array(single), tolerance,
                                                        first_step=1, starts=ours[:-1],
                                                        rounds=np.full(len(ours) - 1, 2))
        except (RuntimeError, ValueError, OverflowError, KeyError) as exc:
            step_ok, step_worst, step_bad = False, float("nan"), f"; {str(exc).splitlines()[0]}"
        if step_ok:
            example.checks.append(Check(
                "generated torch-parity code (float64) reproduces each exact step", True,
                f"one step at a time from each exact iterate, within {tolerance:.2g} "
                f"|x_t - x_(t-1)| plus float64 rounding{why} ({step_worst:.2g} of that used). "
                f"The free float64 run parts from the exact one ({worst:.2g} times its "
                f"allowance{first_bad}): "
                "rounding, amplified along the trajectory or crossing a kink of f or of the "
                "rule"))
        else:
            example.checks.append(Check(
                "generated torch-parity code (float64) reproduces the exact iterates", False,
                f"{detail}{first_bad}; one step at a time: {step_worst:.2g} times the "
                f"allowance{step_bad}"))
    inexact = [name for name, v in example.hypers.items() if not representable(v)]
    inexact += [f"x0[{i + 1}]" for i, v in enumerate(example.x0) if not representable(v)]
    if example.constant_grad is not None:
        inexact += [f"g[{i + 1}]" for i, v in enumerate(example.constant_grad)
                    if not representable(v)]
    if inexact:
        largest = float(np.nanmax(diff))
        effect = (f"the float64 run differs from the exact one by up to {largest:.2g}"
                  if largest else "the float64 run still lands on the doubles nearest the "
                  "exact iterates")
        example.notes.append("inputs taken as exact decimals; not exactly representable in "
                             f"float64: {', '.join(inexact)} ({effect})")
    if example.exact_steps < steps:
        example.notes.append(f"exact arithmetic through step {example.exact_steps}; later "
                             "values grew past 60 digits (or nested surds) and continue with "
                             "50-digit floats")
    if example.values:
        _decrease(example)


def _compare(ours: np.ndarray, theirs: np.ndarray, tolerance: float, first_step: int = 0,
             starts: np.ndarray | None = None, rounds: np.ndarray | None = None
             ) -> tuple[bool, float, str, np.ndarray]:
    """(every ``|ours - theirs|`` within its allowance, the largest fraction of an allowance
    used, where the first bad one is, the absolute differences); row k is step
    ``first_step + k``.  Row k's allowance is ``tolerance`` times how far the exact iterate
    moved from ``starts[k]`` (x_0 for a free run, x_{k-1} for one step), plus
    ``ROUNDING_PER_STEP * rounds[k]`` times the iterate's size (float64 cannot hold more)."""
    starts = ours if starts is None else starts
    rounds = np.ones(len(ours)) if rounds is None else np.asarray(rounds, dtype=np.float64)
    with np.errstate(all="ignore"):
        diff = np.abs(ours - theirs)
        size = np.maximum(np.abs(ours), np.abs(starts))
        allowed = (tolerance * np.abs(ours - starts)
                   + ROUNDING_PER_STEP * rounds[:, None] * np.maximum(size, np.finfo(float).tiny))
        ratio = diff / allowed
    worst = float(np.nanmax(ratio)) if ratio.size else 0.0
    bad = np.argwhere(~(ratio <= 1))
    if not bad.size:
        return True, worst, "", diff
    k, i = (int(v) for v in bad[0])
    return False, worst, (f"; first at step {first_step + k}, coordinate {i + 1}: exact "
                          f"{float(ours[k, i])!r} vs generated {float(theirs[k, i])!r}"), diff


def _tolerance(rule: Rule, cfg: Mapping[str, Any]) -> tuple[float, str]:
    """The relative tolerance of the comparison with the generated code, and why."""
    from optsym.codegen.module import generate

    if "float32" in generate(rule, cfg, "torch-parity"):
        return FLOAT32_SCALAR_TOLERANCE, ": torch keeps scalar state in float32"
    return RELATIVE_TOLERANCE, ""


def _decrease(example: WorkedExample) -> None:
    if len(example.values) <= example.steps:  # f overflowed at the diverged last iterate
        example.checks.append(Check(
            "the objective decreases", False,
            f"f overflows float64 at x_{example.steps} (the method diverges)", "observation"))
        return
    values = [sp.N(v, 30) for v in example.values]
    rises = [k for k in range(1, len(values)) if values[k] > values[k - 1]]
    overall = values[-1] < values[0]
    flat = [k for k in range(1, len(values)) if values[k] == values[k - 1]]
    if not rises and not flat:
        detail = "f decreased at every step"
    elif not rises:
        detail = (f"f never increased; it stayed the same at step{'s' if len(flat) > 1 else ''} "
                  f"{', '.join(map(str, flat[:8]))}")
    else:
        detail = (f"f increased at step{'s' if len(rises) > 1 else ''} "
                  f"{', '.join(map(str, rises[:8]))}"
                  + (" (is the learning rate too large?)" if not overall else ""))
    example.checks.append(Check("the objective decreases", overall and not rises, detail,
                                "observation"))


__all__ = ["worked_example", "WorkedExample", "StepRecord", "Update", "Check", "MAX_STEPS"]
