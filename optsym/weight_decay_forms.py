r"""The two forms of weight decay composed with a rule: the assignment lists that
:mod:`optsym.weight_decay` compares, and their trajectories in exact arithmetic.

.. math::

    \begin{align*}
    \text{coupled:}\quad & g_t \leftarrow g_t + \lambda\,\theta_{t-1},
        \text{ then the rule's step} \\
    \text{decoupled:}\quad & \theta_{t-1} \leftarrow (1 - \eta\lambda)\,\theta_{t-1},
        \text{ then the rule's step without decay}
    \end{align*}

Both pieces are written once, in :mod:`optsym.rules._prologue` (the transforms
``decay-coupled`` and ``decay-decoupled`` lift the same pieces to a list of tensors).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from optsym.proof import compose, outputs
from optsym.rules._prologue import decoupled_decay
from optsym.spec import Assign, Config, Rule, SpecError, State, g, t, theta

#: a weight decay that only switches the piece on: the formulas keep the symbol lambda
_ON = 0.1

theta0 = sp.Symbol("theta_0", real=True)
Number = int | float | str | sp.Rational


def exact_number(x: Number) -> sp.Rational:
    """``0.9`` -> 9/10 (the decimal the user typed, not the binary double), ``"1/2"`` -> 1/2."""
    if isinstance(x, float) and not math.isfinite(x):
        raise SpecError(f"expected a finite number, got {x}")
    return sp.Rational(str(x)) if isinstance(x, float) else sp.Rational(x)


def show(x: Any) -> str:
    """A number, or a tuple of them, as SymPy writes it (``9/10``)."""
    if isinstance(x, tuple):
        return ", ".join(show(v) for v in x)
    return sp.sstr(x)


@dataclass(frozen=True)
class Forms:
    """The coupled and decoupled updates of one rule, as textbook assignment lists."""

    rule: Rule
    cfg: Config
    coupled: tuple[Assign, ...]
    decoupled: tuple[Assign, ...]
    #: hyperparameters given a value (the others stay symbolic)
    fixed: Mapping[sp.Symbol, sp.Expr]

    @property
    def states(self) -> tuple[State, ...]:
        return self.rule.states(self.cfg)


def sgd_forms(momentum: Number = 0, dampening: Number = 0) -> Forms:
    """SGD with ``weight_decay=lambda`` vs the decoupled piece followed by SGD without decay.

    ``momentum`` decides only whether there is a buffer (mu stays a symbol); ``dampening`` is
    substituted.
    """
    from optsym.rules import sgd

    base = {"momentum": float(momentum), "dampening": float(dampening)}
    cfg = sgd.RULE.config({**base, "weight_decay": _ON})
    decoupled = (decoupled_decay(sgd.lr, sgd.lam, parity=False),
                 *sgd.textbook(sgd.RULE.config(base)))
    return Forms(sgd.RULE, cfg, sgd.textbook(cfg), decoupled, {sgd.tau: exact_number(dampening)})


def adam_forms() -> Forms:
    """Adam with L2 (``weight_decay=lambda``, ``decoupled_weight_decay=False``) vs AdamW."""
    from optsym.rules import adam

    cfg = adam.RULE.config({"weight_decay": _ON, "decoupled_weight_decay": False})
    return Forms(adam.RULE, cfg, adam.textbook(cfg),
                 adam.textbook(adam.ADAMW.config({"weight_decay": _ON})), {})


def trajectory(equations: tuple[Assign, ...], states: tuple[State, ...], start: sp.Expr,
               grads: Sequence[sp.Expr], values: Mapping[sp.Symbol, sp.Expr]
               ) -> Iterator[sp.Expr]:
    """theta_1, theta_2, ... from ``start`` over ``grads``, the state starting at its initial
    value and ``values`` substituted for the hyperparameters (lazily: stop when you like)."""
    step = compose(equations)
    state = {s.symbol: s.init for s in states}
    param = start
    for k, grad in enumerate(grads, 1):
        env = {**values, **state, theta: param, g: grad, t: sp.Integer(k)}
        state = {sym: step.get(sym, sym).xreplace(env) for sym in state}
        param = step.get(theta, theta).xreplace(env)
        yield param


def one_step_differences(forms: Forms) -> dict[str, sp.Expr]:
    """coupled - decoupled for each output of one step (parameter, each state), simplified."""
    c, d = compose(forms.coupled), compose(forms.decoupled)
    return {name: sp.simplify(sp.piecewise_fold((c.get(sym, sym) - d.get(sym, sym))
                                                .xreplace(forms.fixed)))
            for name, sym in outputs(forms.rule, forms.cfg)}
