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

from dataclasses import dataclass

import sympy as sp

from optsym.derivation import Step
from optsym.proof import compose, numeric_check
from optsym.spec import Config, Rule, SpecError, latex, theta
from optsym.weight_decay_examples import Example, adam_example, sgd_example
from optsym.weight_decay_forms import (
    Forms,
    Number,
    exact_number,
    show,
    adam_forms,
    one_step_differences,
    sgd_forms,
    theta0,
    trajectory,
)

#: the rules :func:`compare` knows
SUPPORTED = ("sgd", "adam")
#: the most steps :func:`compare` unrolls with free symbols
MAX_STEPS = 4


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
    mu = exact_number(momentum)
    if mu < 0:
        raise SpecError(f"Invalid momentum value: {show(mu)}")
    forms = sgd_forms(float(mu))
    first, c, d, diff, check, steps = _derive(forms)
    title = "SGD without momentum" if mu == 0 else f"SGD with momentum {show(mu)}"
    examples: tuple[Example, ...] = (sgd_example(mu),)
    if first is None:
        statement = (f"{title}: L2 decay on the gradient and the decoupled decay "
                     f"theta <- (1 - lr*lambda)*theta give the same step, {show(c)} == "
                     f"{show(d)}, for every t (under a schedule too, when the decay uses the "
                     f"same lr).")
    else:
        examples += (sgd_example(mu, theta_0=0),)
        buf = one_step_differences(forms).get("momentum_buffer")
        statement = (f"{title}: the coupled decay enters the momentum buffer (buffer "
                     f"difference {show(buf)}), the decoupled decay does not; the parameters "
                     f"agree up to step {first - 1} and differ at step {first} by {show(diff)}"
                     + _from_zero(steps, diff, examples[1]))
    return Comparison("sgd", title, statement, first is None, first, c, d, diff, check,
                      tuple(steps), examples)


def compare_adam() -> Comparison:
    """Adam + L2 vs AdamW: they differ at step 1 in general."""
    first, c, d, diff, check, steps = _derive(adam_forms())
    examples = (adam_example(theta_0=1), adam_example(theta_0=0))
    statement = (f"Adam: L2 on the gradient (Adam, weight_decay=lambda) and decoupled decay "
                 f"(AdamW) differ at step {first} in general, by {show(diff)}"
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
    if exact_number(momentum) != 0:
        raise SpecError(f"momentum applies to sgd only, not {name}")
    return compare_adam()
