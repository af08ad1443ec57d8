r"""Proof by induction that a change of variables carries one convention onto another.

With :math:`F_A, F_B` the one-step maps (each convention's assignments composed,
:func:`optsym.proof.compose`) and the candidate change of variables :math:`(\Theta, \Phi, \Psi)`
(:class:`~optsym.conventions.spec.ChangeOfVariables`), the invariant after step :math:`t` is

.. math::

    I_t:\quad \theta^B_t = \Theta(\theta^A_t, s^A_t)\big|_{\eta_t}, \qquad
    s^B_t = \Phi(\theta^A_t, s^A_t)\big|_{\eta_t}.

* **base case** :math:`t = 1`: both start from their initial state at the same
  :math:`\theta_0` (torch's buffer is created from the first gradient: the ``Piecewise`` on
  :math:`t` takes its :math:`t = 1` branch);
* **inductive step** :math:`t \ge 2`: assume :math:`I_{t-1}` with the learning rate
  :math:`\eta_{t-1}` of that step, apply both maps with a general :math:`\eta_t`, and show
  :math:`I_t`: each difference must ``simplify`` to 0.  Both conventions take their gradient at
  their own point (Sutskever's look-ahead): the points must coincide first.

Where a difference is not 0, the conditions that make it 0 are solved for (``solve`` for each
hyperparameter, for :math:`\eta_{t-1}` and for the base lr :math:`\alpha`; solutions that depend
on the state or the gradient are no conditions), e.g. :math:`\eta_{t-1} = \eta_t`.  Every
symbolic verdict is checked at random points in 50-digit arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from optsym.conventions.spec import ChangeOfVariables, Convention, base_lr, eta_prev
from optsym.proof import Obligation, compose, numeric_check, zero_method
from optsym.spec import Config, Rule, TensorSymbol, g, latex, t, theta

#: t >= 2 is written t = n + 1 with n >= 1 so that SymPy drops torch's t = 1 branch
_n = sp.Symbol("n", integer=True, positive=True)


@dataclass(frozen=True)
class Condition:
    """``symbol = value`` makes every failing difference 0 (checked numerically)."""

    symbol: sp.Symbol
    value: sp.Expr
    numeric_max_diff: float

    def text(self) -> str:
        return f"{sp.sstr(self.symbol)} = {sp.sstr(self.value)}"

    def as_dict(self) -> dict:
        return {"symbol": str(self.symbol), "value": str(self.value), "text": self.text(),
                "latex": f"{latex(self.symbol)} = {latex(self.value)}",
                "numeric_max_diff": self.numeric_max_diff}


@dataclass(frozen=True)
class Proof:
    """The induction for one pair of conventions under one change of variables."""

    a: str
    b: str
    mapping: ChangeOfVariables
    obligations: tuple[Obligation, ...]
    conditions: tuple[Condition, ...]

    @property
    def holds(self) -> bool:
        """Proved for every learning-rate sequence and every hyperparameter value."""
        return all(o.holds for o in self.obligations)

    @property
    def consistent(self) -> bool:
        return (all(o.consistent for o in self.obligations)
                and all(c.numeric_max_diff <= 1e-30 for c in self.conditions))

    @property
    def needs_constant_lr(self) -> bool:
        return any(c.symbol in (eta_prev, base_lr) for c in self.conditions)

    def as_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "holds": self.holds,
                "mapping": mapping_dict(self.mapping),
                "obligations": [o.as_dict() for o in self.obligations],
                "conditions": [c.as_dict() for c in self.conditions]}


def mapping_dict(m: ChangeOfVariables) -> dict:
    return {"param": str(m.param), "state": {str(k): str(v) for k, v in m.state.items()},
            "hypers": {str(k): str(v) for k, v in m.hypers.items()}, "words": m.words}


def _zero_method(expr: sp.Expr) -> str | None:
    """How ``expr`` is shown to be 0: by :func:`optsym.proof.zero_method`, or once each bias
    correction is named: with 0 <= beta < 1 and t >= 1, 1 - beta**t is a positive number c,
    and then sqrt(a/b) = sqrt(a)/sqrt(b) for a >= 0, b > 0 (the rules' stated proof
    assumptions).  None: not shown."""
    method = zero_method(expr)
    if method is not None:
        return method
    steps = {p: 1 - sp.Dummy("c", positive=True) for p in expr.atoms(sp.Pow)
             if p.exp.free_symbols & {t, _n}}
    method = zero_method(expr.xreplace(steps)) if steps else None
    return None if method is None else f"{method}, each 1 - beta**t named c > 0"


def _tensors(expr: sp.Expr) -> bool:
    return any(isinstance(s, TensorSymbol) for s in expr.free_symbols)


def one_step(conv: Convention, cfg: Config) -> dict[sp.Symbol, sp.Expr]:
    """The convention's one-step map: each assigned symbol as an expression of the inputs."""
    return compose(conv.equations(cfg))


def _apply(step: dict[sp.Symbol, sp.Expr], outputs: list[sp.Symbol],
           env: dict[sp.Symbol, sp.Expr]) -> dict[sp.Symbol, sp.Expr]:
    return {s: step.get(s, s).xreplace(env) for s in outputs}


def prove(rule: Rule, cfg: Config, a: Convention, b: Convention,
          mapping: ChangeOfVariables) -> Proof:
    """Prove (or refute, naming the conditions) that ``mapping`` carries ``a`` onto ``b``."""
    lr = rule.hyper("lr").symbol
    fa, fb = one_step(a, cfg), one_step(b, cfg)
    sa = [s.symbol for s in a.states(cfg)]
    sb = [s.symbol for s in b.states(cfg)]
    hyp = dict(mapping.hypers)
    #: switches that are off by default and in the configuration (torch's dampening) are 0 in
    #: the proof; every other hyperparameter stays a symbol (its value is the run's business)
    zeros = {h.symbol: sp.S.Zero for h in rule.hypers
             if h.symbol is not None and h.default == 0 and cfg.get(h.name) == 0}

    def b_step(env: dict[sp.Symbol, sp.Expr]) -> dict[sp.Symbol, sp.Expr]:
        return {s: fb.get(s, s).xreplace(hyp).xreplace(env) for s in [theta, *sb]}

    def mapped(theta_a: sp.Expr, state_a: dict, rate: sp.Expr) -> dict[sp.Symbol, sp.Expr]:
        env = {theta: theta_a, **state_a, lr: rate}
        out = {theta: mapping.param.xreplace(env)}
        out.update({s: mapping.state.get(s, s).xreplace(env) for s in sb})
        return out

    obligations: list[Obligation] = []

    def check(case: str, what: str, diff: sp.Expr, tval: sp.Expr) -> None:
        diff = diff.xreplace(zeros)
        numeric = numeric_check(rule, cfg, diff.xreplace({_n: t - 1}), sp.S.Zero)
        # a non-zero value at a point (50 digits) witnesses a non-zero difference
        method = _zero_method(diff) if numeric <= 1e-20 else None
        shown = sp.S.Zero if method is not None else _readable(diff)
        obligations.append(Obligation(what, shown.xreplace({_n: t - 1}), sp.S.Zero, method,
                                      numeric, 6, case))

    # base case: t = 1 from the initial states
    a0 = {s.symbol: s.init for s in a.states(cfg)}
    b0 = {s.symbol: s.init for s in b.states(cfg)}
    start = mapped(theta, a0, lr)
    for sym, init in b0.items():
        check("t = 0", f"initial {sym} = Phi(initial state)", start[sym] - init, sp.S.Zero)
    check("t = 0", "initial parameter = Theta(theta_0, initial state)", start[theta] - theta,
          sp.S.Zero)
    for case, tval, before_a, before_b, rate_before in (
            ("t = 1", sp.S.One, a0, {theta: theta, **b0}, lr),
            ("t >= 2", _n + 1, {s: s for s in sa}, None, eta_prev)):
        if before_b is None:
            before_b = mapped(theta, before_a, rate_before)
        point_a = a.gradient_point.xreplace({**before_a, theta: theta, lr: rate_before})
        point_b = b.gradient_point.xreplace(hyp).xreplace({**before_b})
        check(case, "the gradient is taken at the same point", point_b - point_a, tval)
        env_a = {**before_a, theta: theta, g: g, t: tval}
        after_a = _apply(fa, [theta, *sa], env_a)
        after_b = b_step({**before_b, g: g, t: tval})
        want = mapped(after_a[theta], {s: after_a[s] for s in sa}, lr)
        for sym in [theta, *sb]:
            check(case, f"{sym} after the step", after_b[sym] - want[sym], tval)
    failing = [o.difference for o in obligations if o.method is None]
    return Proof(a.name, b.name, mapping, tuple(obligations),
                 tuple(conditions(rule, cfg, failing, lr)))


def _readable(diff: sp.Expr) -> sp.Expr:
    """``simplify`` where it is cheap; long differences are shown as they are."""
    return sp.simplify(diff) if sp.count_ops(diff) <= 25 else diff


def conditions(rule: Rule, cfg: Config, diffs: list[sp.Expr], lr: sp.Symbol
               ) -> list[Condition]:
    """``symbol = value`` (free of state, gradient and t) that makes every difference 0.

    Candidates come from ``solve`` (on short differences) and the value 0; each one is kept
    only when every difference then reduces to 0 and is 0 at random points (SymPy's ``solve``
    is checked, not trusted).
    """
    if not diffs:
        return []
    candidates = [eta_prev, base_lr] + [h.symbol for h in rule.hypers
                                        if h.symbol is not None and h.symbol != lr]
    present = set().union(*(d.free_symbols for d in diffs))
    #: ``solve`` one short difference (a system makes SymPy build Groebner bases: slow)
    shortest = min(diffs, key=sp.count_ops)
    short = sp.count_ops(shortest) <= 20
    out = []
    for sym in candidates:
        if sym not in present:
            continue
        values: list[sp.Expr] = [sp.S.Zero]
        if short:
            try:
                values += [sol[sym] for sol in sp.solve(shortest, sym, dict=True) if sym in sol]
            except (NotImplementedError, ValueError):
                pass
        for value in dict.fromkeys(values):
            if _tensors(value) or t in value.free_symbols or sym == value:
                continue
            rest = [d.xreplace({sym: value}) for d in diffs]
            worst = max(numeric_check(rule, cfg, r.xreplace({_n: t - 1}), sp.S.Zero)
                        for r in rest)
            if worst <= 1e-30 and all(_zero_method(r) is not None for r in rest):
                out.append(Condition(sym, value, worst))
    return out
