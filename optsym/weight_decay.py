r"""Weight decay, coupled and decoupled: where the two coincide and where they do not.

The two pieces live in :mod:`optsym.rules._prologue` and are written once:

.. math::

    \begin{align*}
    \text{coupled (L2 on the gradient):}\quad
        & g_t \leftarrow g_t + \lambda\,\theta_{t-1}, \text{ then the rule's step} \\
    \text{decoupled (AdamW):}\quad
        & \theta_{t-1} \leftarrow (1 - \eta\lambda)\,\theta_{t-1},
          \text{ then the rule's step without decay}
    \end{align*}

Composed with the rules' own textbook forms (:func:`optsym.proof.compose`), they give:

.. math::

    \begin{align*}
    \text{SGD, } \mu = 0:\quad
        & \theta_{t-1} - \eta\,(g_t + \lambda\theta_{t-1})
          = (1 - \eta\lambda)\,\theta_{t-1} - \eta\, g_t
          \quad \text{(the same map, every } t\text{)} \\
    \text{SGD, } \mu > 0,\ \tau = 0:\quad
        & b^{\mathrm{c}}_t - b^{\mathrm{d}}_t = \lambda\,\theta_{t-1}
          \text{ (one step, same } b_{t-1}),
          \qquad \theta^{\mathrm{c}}_2 - \theta^{\mathrm{d}}_2 = -\eta\mu\lambda\,\theta_0 \\
    \text{Adam, } t = 1:\quad
        & \theta^{\mathrm{c}}_1 = \theta_0 - \eta\,
          \frac{g_1 + \lambda\theta_0}{|g_1 + \lambda\theta_0| + \epsilon},
        \qquad
        \theta^{\mathrm{d}}_1 = (1 - \eta\lambda)\,\theta_0 - \eta\, \frac{g_1}{|g_1| + \epsilon}
    \end{align*}

With momentum the decay enters the buffer only in the coupled form, so the parameters agree at
step 1 and part at step 2; Adam's normalisation divides the decay term by
:math:`|g + \lambda\theta|`, so the two part at step 1 already (they agree there only on special
points such as :math:`\theta_0 = 0`).  None of this is assumed: :func:`compare` unrolls both
forms step by step with free symbols until the parameters differ (a difference is zero when
``simplify`` says so, and non-zero when it is non-zero at a random point in 50-digit arithmetic),
then replays exact examples (rationals, exact square roots) and the same numbers through
torch.optim in float64.

>>> compare("sgd").verdict
'coupled == decoupled for SGD without momentum'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from optsym.proof import compose, numeric_check, outputs
from optsym.rules._prologue import decoupled_decay
from optsym.spec import Assign, Config, Rule, SpecError, State, g, latex, t, theta

#: the rules :func:`compare` knows
SUPPORTED = ("sgd", "adam")

#: a weight decay that only switches the piece on: the formulas keep the symbol lambda
_ON = 0.1
#: relative difference between torch's two trajectories above which they "differ" (rounding in
#: float64 is ~1e-16; the differences derived here are of order eta*lambda)
TORCH_DIFFER = 1e-9
#: the most steps :func:`compare` unrolls with free symbols
MAX_STEPS = 4

theta0 = sp.Symbol("theta_0", real=True)
Number = int | float | str | sp.Rational


def _exact(x: Number) -> sp.Rational:
    """``0.9`` -> 9/10 (the decimal the user typed, not the binary double), ``"1/2"`` -> 1/2."""
    if isinstance(x, float) and not math.isfinite(x):
        raise SpecError(f"expected a finite number, got {x}")
    return sp.Rational(str(x)) if isinstance(x, float) else sp.Rational(x)


def _show(x: Any) -> str:
    if isinstance(x, tuple):
        return ", ".join(_show(v) for v in x)
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
    return Forms(sgd.RULE, cfg, sgd.textbook(cfg), decoupled, {sgd.tau: _exact(dampening)})


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


def _tidy(expr: sp.Expr) -> sp.Expr:
    """``expr`` as few fractions as it has denominators, common factors pulled out (reads better
    than ``simplify``'s single fraction for Adam's difference)."""
    groups: dict[sp.Expr, list[sp.Expr]] = {}
    for term in sp.Add.make_args(sp.expand(expr)):
        numerator, denominator = sp.fraction(term)
        groups.setdefault(denominator, []).append(numerator)
    return sp.factor_terms(sp.Add(*[sp.factor(sp.Add(*ns)) / d for d, ns in groups.items()]))


def _is_nonzero(rule: Rule, cfg: Config, raw: sp.Expr, simplified: sp.Expr) -> tuple[bool, float]:
    """(non-zero, max |raw| at random points): zero when ``simplify`` says so, non-zero when a
    random point witnesses it in 50-digit arithmetic."""
    size = numeric_check(rule, cfg, raw, sp.S.Zero)
    if simplified == 0:
        return False, size
    if size > 1e-20:
        return True, size
    raise ArithmeticError(f"cannot decide whether {simplified} is zero")


def _first_text(step: int | None) -> str:
    return "no difference" if step is None else f"first differ at step {step}"


@dataclass(frozen=True)
class Step:
    """One step of a derivation: what is claimed, the expression, and why it holds."""

    statement: str
    expr: sp.Expr | None = None
    justification: str = ""

    def as_dict(self) -> dict:
        return {"statement": self.statement, "justification": self.justification,
                "expr": None if self.expr is None else str(self.expr),
                "latex": None if self.expr is None else latex(self.expr)}


@dataclass(frozen=True)
class Example:
    """Both forms on exact numbers, and the same numbers through torch.optim in float64."""

    inputs: Mapping[str, Any]
    coupled: tuple[sp.Expr, ...]
    decoupled: tuple[sp.Expr, ...]
    first_differing_step: int | None
    torch: str
    torch_coupled: tuple[float, ...]
    torch_decoupled: tuple[float, ...]
    torch_first_differing_step: int | None
    #: max relative error of torch's parameters against the exact values (both forms)
    max_rel_error: float

    @property
    def resolvable_first_step(self) -> int | None:
        """The first step whose exact difference float64 can show (relative > TORCH_DIFFER):
        the step torch must first differ at (a tiny momentum's difference is not resolvable)."""
        return _torch_first_difference([float(x) for x in self.coupled],
                                       [float(x) for x in self.decoupled])

    @property
    def agrees_with_torch(self) -> bool:
        return (self.torch_first_differing_step == self.resolvable_first_step
                and self.max_rel_error <= 1e-12)

    def lines(self) -> list[str]:
        head = "example: " + ", ".join(f"{k} = {_show(v)}" for k, v in self.inputs.items())
        out = [head, "  step  coupled (exact ~ torch)  |  decoupled (exact ~ torch)"]
        for k, (c, d, tc, td) in enumerate(zip(self.coupled, self.decoupled, self.torch_coupled,
                                               self.torch_decoupled), 1):
            mark = "  <- first difference" if k == self.first_differing_step else ""
            out.append(f"  {k}  {_show(c)} ~ {tc:.15g}  |  {_show(d)} ~ {td:.15g}{mark}")
        if self.resolvable_first_step != self.first_differing_step:
            out.append(f"  (relative differences below {TORCH_DIFFER:g} are rounding to torch: "
                       f"the exact values expect {_first_text(self.resolvable_first_step)})")
        out.append(f"  exact: {_first_text(self.first_differing_step)}; {self.torch}: "
                   f"{_first_text(self.torch_first_differing_step)}; max rel error exact vs "
                   f"torch {self.max_rel_error:.1e}: "
                   f"{'agree' if self.agrees_with_torch else 'DISAGREE'}")
        return out

    def as_dict(self) -> dict:
        return {"inputs": {k: _show(v) for k, v in self.inputs.items()},
                "coupled": [str(x) for x in self.coupled],
                "decoupled": [str(x) for x in self.decoupled],
                "coupled_latex": [latex(x) for x in self.coupled],
                "decoupled_latex": [latex(x) for x in self.decoupled],
                "first_differing_step": self.first_differing_step,
                "resolvable_first_step": self.resolvable_first_step,
                "torch": self.torch,
                "torch_coupled": list(self.torch_coupled),
                "torch_decoupled": list(self.torch_decoupled),
                "torch_first_differing_step": self.torch_first_differing_step,
                "max_rel_error": self.max_rel_error,
                "agrees_with_torch": self.agrees_with_torch}


@dataclass(frozen=True)
class Comparison:
    """Coupled vs decoupled weight decay for one rule: the derivation and its verdict."""

    rule: str
    title: str
    statement: str
    #: the parameter trajectories coincide for every input (proved for all steps)
    equal: bool
    #: first step at which the parameters differ as functions of free symbols (None: never)
    first_differing_step: int | None
    #: the parameter at that step (when equal: the one-step maps), each form
    coupled: sp.Expr
    decoupled: sp.Expr
    difference: sp.Expr
    #: max |difference - (coupled - decoupled)| at random points, 50 digits
    numeric_max_diff: float
    steps: tuple[Step, ...]
    examples: tuple[Example, ...]

    @property
    def verdict(self) -> str:
        if self.equal:
            return f"coupled == decoupled for {self.title}"
        return f"differ at step {self.first_differing_step} for {self.title}"

    @property
    def consistent(self) -> bool:
        """Numeric checks back the symbolic results and every example agrees with torch."""
        return (self.numeric_max_diff <= 1e-30
                and all(e.agrees_with_torch for e in self.examples))

    def as_text(self) -> str:
        out = [(f"weight decay, {self.title}: coupled (g <- g + lambda*theta) vs decoupled "
                f"(theta <- (1 - lr*lambda)*theta first)"), ""]
        for i, s in enumerate(self.steps, 1):
            out.append(f"{i}. {s.statement}")
            if s.expr is not None:
                out.append(f"     {sp.sstr(s.expr)}")
            if s.justification:
                out.append(f"     [{s.justification}]")
        for e in self.examples:
            out += [""] + e.lines()
        out += ["", self.statement, f"verdict: {self.verdict}"]
        return "\n".join(out)

    def as_dict(self) -> dict:
        return {"rule": self.rule, "title": self.title, "statement": self.statement,
                "verdict": self.verdict, "equal": self.equal,
                "first_differing_step": self.first_differing_step,
                "coupled": str(self.coupled), "decoupled": str(self.decoupled),
                "difference": str(self.difference), "coupled_latex": latex(self.coupled),
                "decoupled_latex": latex(self.decoupled),
                "difference_latex": latex(self.difference),
                "numeric_max_diff": self.numeric_max_diff, "consistent": self.consistent,
                "steps": [s.as_dict() for s in self.steps],
                "examples": [e.as_dict() for e in self.examples]}


def _derive(forms: Forms, max_steps: int = MAX_STEPS
            ) -> tuple[int | None, sp.Expr, sp.Expr, sp.Expr, float, list[Step]]:
    """Unroll both forms with free symbols until the parameters differ, or prove they never do
    (every output of the one-step maps identical: by induction, so is every step)."""
    grads = [sp.Symbol(f"g_{k}", real=True) for k in range(1, max_steps + 1)]
    coupled = trajectory(forms.coupled, forms.states, theta0, grads, forms.fixed)
    decoupled = trajectory(forms.decoupled, forms.states, theta0, grads, forms.fixed)
    steps: list[Step] = []
    for k, (c, d) in enumerate(zip(coupled, decoupled), 1):
        raw = c - d
        diff = sp.simplify(raw)
        nonzero, size = _is_nonzero(forms.rule, forms.cfg, raw, diff)
        if nonzero:
            diff = min((diff, _tidy(raw)), key=sp.count_ops)
            check = numeric_check(forms.rule, forms.cfg, diff, raw)
            steps += [Step(f"step {k}, coupled: theta_{k} =", c, "compose the rule's textbook "
                           "form with g <- g + lambda*theta; unroll from theta_0, state 0"),
                      Step(f"step {k}, decoupled: theta_{k} =", d, "compose "
                           "theta <- (1 - lr*lambda)*theta with the rule's form without decay"),
                      Step(f"step {k}: coupled - decoupled =", diff,
                           f"simplify; not identically 0: max |difference| = {size:.3g} at "
                           f"random points (50 digits)")]
            return k, c, d, diff, check, steps
        steps.append(Step(f"step {k}: theta_{k} is the same in both forms", c,
                          f"simplify(coupled - decoupled) = 0; numeric max |diff| = {size:.1e}"))
        if k == 1:
            one = one_step_differences(forms)
            for name, delta in one.items():
                steps.append(Step(f"one step, any t and state: {name} coupled - decoupled =",
                                  delta, "compose both assignment lists; simplify"))
            if all(delta == 0 for delta in one.values()):
                steps.append(Step("the one-step maps are identical for every t, so by induction "
                                  "every step coincides", None,
                                  "same map, same initial state"))
                c1, d1 = compose(forms.coupled)[theta], compose(forms.decoupled)[theta]
                c1, d1 = c1.xreplace(forms.fixed), d1.xreplace(forms.fixed)
                return (None, c1, d1, sp.S.Zero,
                        numeric_check(forms.rule, forms.cfg, c1, d1), steps)
    raise ArithmeticError(f"no difference within {max_steps} steps and the one-step maps "
                          "differ: unroll further")


def _first_difference(a: Sequence[sp.Expr], b: Sequence[sp.Expr]) -> int | None:
    """First step (1-based) at which two exact sequences differ."""
    for k, (x, y) in enumerate(zip(a, b), 1):
        d = x - y
        if d == 0:
            continue
        if abs(sp.N(d, 60)) > 1e-40 or sp.simplify(d) != 0:
            return k
    return None


def _torch_first_difference(a: Sequence[float], b: Sequence[float]) -> int | None:
    for k, (x, y) in enumerate(zip(a, b), 1):
        if abs(x - y) > TORCH_DIFFER * max(abs(x), abs(y)):
            return k
    return None


TorchRun = Callable[[Mapping[str, float], float, Sequence[float]],
                    tuple[list[float], list[float], str]]


def _example(forms: Forms, values: Mapping[str, Number], start: Number,
             grads: Sequence[Number], run_torch: TorchRun) -> Example:
    symbols = {h.name: h.symbol for h in forms.rule.hypers if h.symbol is not None}
    exact = {name: _exact(v) for name, v in values.items()}
    subs = {**forms.fixed, **{symbols[name]: v for name, v in exact.items()}}
    th0, gs = _exact(start), tuple(_exact(x) for x in grads)
    coupled = tuple(trajectory(forms.coupled, forms.states, th0, gs, subs))
    decoupled = tuple(trajectory(forms.decoupled, forms.states, th0, gs, subs))
    tc, td, what = run_torch({k: float(v) for k, v in exact.items()}, float(th0),
                             [float(x) for x in gs])
    rel = max(abs(float(e) - x) / max(abs(float(e)), 1e-300)
              for es, xs in ((coupled, tc), (decoupled, td)) for e, x in zip(es, xs))
    return Example({"theta_0": th0, "g": gs, **exact}, coupled, decoupled,
                   _first_difference(coupled, decoupled), what, tuple(tc), tuple(td),
                   _torch_first_difference(tc, td), rel)


def _torch_params(snaps) -> list[float]:
    return [s["param"][0].item() for s in snaps[1:]]


def _run_torch_sgd(hp: Mapping[str, float], start: float, grads: Sequence[float]
                   ) -> tuple[list[float], list[float], str]:
    """torch's SGD with ``weight_decay``, and ``param.mul_(1 - lr*wd)`` + torch's SGD without."""
    import torch
    from torch.optim.sgd import sgd as sgd_step

    from optsym.rules import sgd
    from optsym.verify.reference import run_reference

    def tensor(x: float) -> torch.Tensor:
        return torch.tensor([x], dtype=torch.float64)

    coupled = _torch_params(run_reference("sgd", sgd.RULE.config(hp), [tensor(start)],
                                          [[tensor(x)] for x in grads]))
    rest = {k: v for k, v in sgd.RULE.config(hp).items() if k != "weight_decay"}
    param, buffers, decoupled = tensor(start), [None], []
    with torch.no_grad():
        for x in grads:
            param.mul_(1 - hp["lr"] * hp["weight_decay"])
            sgd_step([param], [tensor(x)], buffers, foreach=False, fused=False,
                     weight_decay=0.0, **rest)
            decoupled.append(param.item())
    return coupled, decoupled, ("torch SGD(weight_decay) vs param.mul_(1 - lr*wd) + "
                                "SGD(weight_decay=0), float64")


def _run_torch_adam(hp: Mapping[str, float], start: float, grads: Sequence[float]
                    ) -> tuple[list[float], list[float], str]:
    """torch's Adam (L2, ``decoupled_weight_decay=False``) vs torch's AdamW."""
    import torch

    from optsym.rules import adam
    from optsym.verify.reference import run_reference

    params = [torch.tensor([start], dtype=torch.float64)]
    stream = [[torch.tensor([x], dtype=torch.float64)] for x in grads]
    coupled = run_reference("adam", adam.RULE.config({**hp, "decoupled_weight_decay": False}),
                            params, stream)
    decoupled = run_reference("adamw", adam.ADAMW.config(hp), params, stream)
    return (_torch_params(coupled), _torch_params(decoupled),
            "torch Adam(weight_decay) vs AdamW(weight_decay), float64")


def sgd_example(momentum: Number = 0, theta_0: Number = 1, grads: Sequence[Number] = ("1/2",) * 3,
                lr: Number = "1/10", weight_decay: Number = "1/10") -> Example:
    """SGD (dampening 0) on exact numbers: coupled vs decoupled, and torch on the same numbers."""
    values = {"lr": lr, "weight_decay": weight_decay, "momentum": momentum}
    return _example(sgd_forms(float(_exact(momentum))), values, theta_0, grads, _run_torch_sgd)


def adam_example(theta_0: Number = 1, grads: Sequence[Number] = ("1/2",) * 2,
                 lr: Number = "1/10", weight_decay: Number = "1/10", beta1: Number = "9/10",
                 beta2: Number = "999/1000", eps: Number = 0) -> Example:
    """Adam + L2 vs AdamW on exact numbers (``eps = 0``: step 1 moves by exactly lr), and torch's
    Adam vs AdamW on the same numbers."""
    values = {"lr": lr, "weight_decay": weight_decay, "beta1": beta1, "beta2": beta2, "eps": eps}
    return _example(adam_forms(), values, theta_0, grads, _run_torch_adam)


def _from_zero(steps: list[Step], diff: sp.Expr, example: Example) -> str:
    """Record the difference at theta_0 = 0; when it vanishes, say where ``example`` (started at
    theta_0 = 0) parts."""
    at_zero = sp.simplify(diff.subs(theta0, 0))
    steps.append(Step("at theta_0 = 0 the difference is", at_zero,
                      "substitute; the example from theta_0 = 0 shows when they then part"))
    later = example.first_differing_step
    if at_zero != 0 or later is None:
        return "."
    return f"; from theta_0 = 0 they agree up to step {later - 1} and part at step {later}."


def compare_sgd(momentum: Number = 0) -> Comparison:
    """SGD (dampening 0): coupled == decoupled without momentum; with momentum they part."""
    mu = _exact(momentum)
    if mu < 0:
        raise SpecError(f"Invalid momentum value: {_show(mu)}")
    forms = sgd_forms(float(mu))
    first, c, d, diff, check, steps = _derive(forms)
    title = "SGD without momentum" if mu == 0 else f"SGD with momentum {_show(mu)}"
    examples: tuple[Example, ...] = (sgd_example(mu),)
    if first is None:
        statement = (f"{title}: L2 decay on the gradient and the decoupled decay "
                     f"theta <- (1 - lr*lambda)*theta give the same step, {_show(c)} == "
                     f"{_show(d)}, for every t (under a schedule too, when the decay uses the "
                     f"same lr).")
    else:
        examples += (sgd_example(mu, theta_0=0),)
        buf = one_step_differences(forms).get("momentum_buffer")
        statement = (f"{title}: the coupled decay enters the momentum buffer (buffer "
                     f"difference {_show(buf)}), the decoupled decay does not; the parameters "
                     f"agree up to step {first - 1} and differ at step {first} by {_show(diff)}"
                     + _from_zero(steps, diff, examples[1]))
    return Comparison("sgd", title, statement, first is None, first, c, d, diff, check,
                      tuple(steps), examples)


def compare_adam() -> Comparison:
    """Adam + L2 vs AdamW: they differ at step 1 in general."""
    first, c, d, diff, check, steps = _derive(adam_forms())
    examples = (adam_example(theta_0=1), adam_example(theta_0=0))
    statement = (f"Adam: L2 on the gradient (Adam, weight_decay=lambda) and decoupled decay "
                 f"(AdamW) differ at step {first} in general, by {_show(diff)}"
                 + _from_zero(steps, diff, examples[1]))
    return Comparison("adam", "Adam (Adam + L2 vs AdamW)", statement, first is None, first, c, d,
                      diff, check, tuple(steps), examples)


def compare(rule: str, momentum: Number = 0) -> Comparison:
    """Coupled vs decoupled weight decay for ``rule`` (one of :data:`SUPPORTED`)."""
    name = rule.lower()
    if name not in SUPPORTED:
        raise SpecError(f"weight decay comparison supports {', '.join(SUPPORTED)}; "
                        f"got {rule!r}")
    if name == "sgd":
        return compare_sgd(momentum)
    if _exact(momentum) != 0:
        raise SpecError("momentum applies to sgd only")
    return compare_adam()
