r"""Run a convention on a small problem: exactly (SymPy numbers) and in float64 (generated code).

Problems are one-dimensional and rational, so the exact run is exact:

.. math::

    \begin{align*}
    \text{quadratic:}\quad & f(\theta) = \tfrac{h}{2} (\theta - c)^2, \qquad
        \nabla f(\theta) = h (\theta - c) \\
    \text{stream:}\quad & g_k \text{ a fixed sequence of rationals, whatever } \theta
    \end{align*}

The exact run composes the convention's assignments (:func:`optsym.proof.compose`) and
substitutes exact numbers step by step: rationals stay rationals, square roots stay exact
algebraic numbers.  When a value grows past :data:`EXACT_OPS` operations (a long sum of
square roots), the run goes on with :data:`DIGITS`-digit numbers and records the step from which
it did.  The float64 run executes the NumPy module generated from the same assignments
(:func:`optsym.codegen.module.generate`), so the two share only the equations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from optsym.conventions.spec import Convention, base_lr
from optsym.proof import compose
from optsym.spec import Config, Rule, g, t, theta

#: values with more operations than this continue in DIGITS-digit arithmetic
EXACT_OPS = 400
#: values nested deeper than this continue in DIGITS-digit arithmetic too: SymPy's evalf of an
#: irrational value (roots of a schedule's lr: cosine, inverse-sqrt) slows down about twofold
#: per two levels (adamw with a cosine schedule, 20 steps: 2 minutes; inverse-sqrt, 40: > 3)
EXACT_DEPTH = 16
DIGITS = 60

x = sp.Symbol("x", real=True)


@dataclass(frozen=True)
class Problem:
    """A one-dimensional problem with rational data."""

    kind: str
    theta0: sp.Rational
    #: quadratic: (h, c); stream: the gradients, repeated cyclically
    data: tuple[sp.Rational, ...]

    def gradient(self, point: sp.Expr, k: int) -> sp.Expr:
        """The gradient at ``point`` on step ``k`` (1-based)."""
        if self.kind == "quadratic":
            h, c = self.data
            return h * (point - c)
        return self.data[(k - 1) % len(self.data)]

    def scaled(self, factor: sp.Rational) -> Problem:
        """The same problem with every gradient ``factor`` times as large (``--grad-scale``)."""
        if factor == 1:
            return self
        data = ((self.data[0] * factor, self.data[1]) if self.kind == "quadratic"
                else tuple(v * factor for v in self.data))
        return Problem(self.kind, self.theta0, data)

    def describe(self) -> str:
        if self.kind == "quadratic":
            h, c = self.data
            f = sp.sstr(sp.Rational(h, 2) * (sp.Symbol("theta") - c) ** 2)
            return f"quadratic f(theta) = {f}, theta_0 = {self.theta0}"
        return (f"gradient stream {', '.join(str(v) for v in self.data)} (repeated), "
                f"theta_0 = {self.theta0}")

    def as_dict(self) -> dict:
        return {"kind": self.kind, "theta_0": str(self.theta0),
                "data": [str(v) for v in self.data], "text": self.describe()}


QUADRATIC = Problem("quadratic", sp.Integer(1), (sp.Integer(1), sp.Integer(0)))
STREAM = Problem("stream", sp.Integer(1),
                 tuple(sp.Rational(v) for v in ("1/2", "-1/4", "1", "3/4", "-1/2", "1/4")))
PROBLEMS = {"quadratic": QUADRATIC, "stream": STREAM}


@dataclass(frozen=True)
class Trajectory:
    """theta and the state after each step (index 0: step 1)."""

    params: tuple[sp.Expr, ...]
    states: tuple[dict[sp.Symbol, sp.Expr], ...]
    #: the first step computed in DIGITS-digit numbers (None: exact throughout)
    inexact_from: int | None


def _hyper_env(hypers: Mapping[sp.Symbol, sp.Expr], mapped: Mapping[sp.Symbol, sp.Expr],
               rate: sp.Expr, lr: sp.Symbol) -> dict[sp.Symbol, sp.Expr]:
    """Hyperparameter values for one step: the map ``mapped`` applied to ``hypers`` + lr."""
    base = {**hypers, lr: rate}
    out = dict(base)
    for sym, expr in mapped.items():
        out[sym] = expr.xreplace(base)
    return out


def _depth(e: sp.Basic) -> int:
    return 1 + max(map(_depth, e.args)) if e.args else 0


def _too_big(value: sp.Expr) -> bool:
    """Whether ``value`` is too large to carry on exactly (:data:`EXACT_OPS`,
    :data:`EXACT_DEPTH`); a rational number never is."""
    return (not value.is_Rational
            and (sp.count_ops(value) > EXACT_OPS or _depth(value) > EXACT_DEPTH))


def run_exact(rule: Rule, conv: Convention, cfg: Config, hypers: Mapping[sp.Symbol, sp.Expr],
              lrs: Sequence[sp.Expr], problem: Problem,
              mapped: Mapping[sp.Symbol, sp.Expr] | None = None) -> Trajectory:
    """The convention on ``problem`` in exact arithmetic, ``lrs[k-1]`` the lr of step k."""
    lr = rule.hyper("lr").symbol
    step = compose(conv.equations(cfg))
    state = {s.symbol: s.init.xreplace(dict(hypers)) for s in conv.states(cfg)}
    param: sp.Expr = problem.theta0
    params, states, inexact = [], [], None
    for k, rate in enumerate(lrs, 1):
        env = _hyper_env(hypers, mapped or {}, rate, lr)
        env.update({base_lr: hypers.get(base_lr, lrs[0]), t: sp.Integer(k)})
        point = conv.gradient_point.xreplace({**env, **state, theta: param})
        env.update(state)
        env.update({theta: param, g: problem.gradient(point, k)})
        new = {s: step.get(s, s).xreplace(env) for s in [theta, *state]}
        if inexact is not None or any(_too_big(v) for v in new.values()):
            inexact = inexact or k
            new = {s: sp.Float(sp.N(v, DIGITS), DIGITS) for s, v in new.items()}
        param = new.pop(theta)
        state = new
        params.append(param)
        states.append(dict(state))
    return Trajectory(tuple(params), tuple(states), inexact)


def run_float(rule: Rule, conv: Convention, cfg: Config, hypers: Mapping[sp.Symbol, sp.Expr],
              lrs: Sequence[sp.Expr], problem: Problem,
              mapped: Mapping[sp.Symbol, sp.Expr] | None = None) -> list[tuple[float, dict]]:
    """The same run in float64 through the generated NumPy module of the convention."""
    from optsym.codegen.module import generate, load

    as_rule = conv.as_rule(rule)
    full = {**cfg, **({"base_lr": float(lrs[0])} if conv.extra_hypers else {})}
    module = load(generate(as_rule, full, "numpy"), f"optsym_convention_{as_rule.name}")
    lr = rule.hyper("lr").symbol
    names = {h.symbol: h.name for h in as_rule.hypers if h.symbol is not None}
    states = conv.states(cfg)
    point_fn = sp.lambdify([theta, *[s.symbol for s in states], *names], conv.gradient_point,
                           modules="numpy")
    grad_fn = (sp.lambdify([x, t], problem.gradient(x, 1), modules="numpy")
               if problem.kind == "quadratic" else None)
    params = [np.array([float(problem.theta0)], dtype=np.float64)]
    init_kw = {h.name: float(hypers[h.symbol]) for h in as_rule.hypers
               if h.symbol is not None and any(h.symbol in s.init.free_symbols for s in states)}
    state = module["init_state"](params, **init_kw)
    out = []
    for k, rate in enumerate(lrs, 1):
        env = _hyper_env(hypers, mapped or {}, rate, lr)
        env.setdefault(base_lr, hypers.get(base_lr, lrs[0]))
        values = {sym: float(env[sym]) for sym in names if sym in env}
        if grad_fn is not None:
            where = point_fn(params[0], *[state[s.name][0] for s in states],
                             *[values.get(sym, 0.0) for sym in names])
            grad = np.asarray(grad_fn(where, k), dtype=np.float64)
        else:
            grad = np.array([float(problem.gradient(sp.S.Zero, k))], dtype=np.float64)
        kwargs = {names[sym]: v for sym, v in values.items()}
        with np.errstate(all="ignore"):  # an overflow shows in the comparison, not as a warning
            module["step"](params, [grad], state, **_accepted(module["step"], kwargs))
        out.append((float(params[0][0]), {s.symbol: float(state[s.name][0][0])
                                          if np.ndim(state[s.name][0]) else
                                          float(state[s.name][0]) for s in states}))
    return out


def _accepted(fn, kwargs: dict) -> dict:
    import inspect

    allowed = set(inspect.signature(fn).parameters)
    return {k: v for k, v in kwargs.items() if k in allowed}
