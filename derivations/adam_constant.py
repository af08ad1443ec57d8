r"""Adam under a constant gradient: the bias correction makes every step -eta g/(|g| + eps).

Problem.  Feed Adam the same gradient :math:`g \ne 0` at every step.  What are its moments, how
far does it move per step, and what would the first step be without the bias correction?

Results.

.. math::

    \begin{align*}
    m_t &= g (1 - \beta_1^t), \qquad v_t = g^2 (1 - \beta_2^t), \qquad
        \hat m_t = g, \qquad \hat v_t = g^2 \\
    \theta_t - \theta_{t-1} &= -\eta \frac{g}{|g| + \epsilon} \approx -\eta\, \mathrm{sign}(g)
        \quad \text{(every step, the first included)} \\
    \text{without bias correction:}\quad \theta_1 - \theta_0
        &= -\eta \frac{(1 - \beta_1) g}{\sqrt{1 - \beta_2}\, |g| + \epsilon}
        \approx -\frac{1 - \beta_1}{\sqrt{1 - \beta_2}}\, \eta\, \mathrm{sign}(g)
    \end{align*}

With :math:`\beta_1 = 0.9, \beta_2 = 0.999` the uncorrected first step is
:math:`0.1/\sqrt{0.001} \approx 3.16` times *larger* than :math:`\eta`: the second moment is
underestimated more than the first.  The step size is :math:`\eta` whatever the scale of
:math:`g`: Adam's steps are scale-invariant.

Reference: Kingma & Ba, *Adam: a method for stochastic optimization*, ICLR 2015, sections 2.1
(the effective step is bounded by about :math:`\eta`) and 3 (the bias correction).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import sympy as sp

from optsym.derivation import Check, Derivation, Param, Sheet
from optsym.derivations._lazy import lazy_sqrt
from optsym.rules.adam import RULE as ADAM
from optsym.rules.adam import beta1, beta2, eps, lr, m, m_hat, v, v_hat
from optsym.spec import g as grad_symbol
from optsym.spec import t, theta

g = sp.Symbol("g", real=True, nonzero=True)
y = sp.Function("y")

PARAMS = (
    # Adam's own hyperparameters (names, defaults, domains and torch.optim.Adam's messages);
    # the lr is narrowed to > 0, because the derivation divides by it
    replace(ADAM.hyper("lr"), valid=lambda x: x > 0, domain="lr > 0",
            error="{name} must be > 0 (the derivation divides by it), got {value}"),
    *(ADAM.hyper(name) for name in ("beta1", "beta2", "eps")),
    Param("g", 0.5, "the constant gradient (nonzero)", symbol=g, valid=lambda x: x != 0,
          error="{name} must be nonzero (a zero gradient does not move Adam), got {value}"),
    Param("t", 10, "step at which the moments are shown", "int", t,
          valid=lambda x: 1 <= x <= 10000,
          error="{name} must be an integer in [1, 10000], got {value}"),
)


def _adam_step() -> dict:
    """Adam's textbook update (optsym.rules.adam), composed into closed expressions."""
    from optsym import rules
    from optsym.proof import compose

    rule = rules.get("adam")
    return compose(rule.textbook(rule.config({})))


def _tidy(expr: sp.Expr) -> sp.Expr:
    """Expand and refactor every sum, then simplify: SymPy's simplify alone leaves
    beta1 (beta1^(t-1) - 1) + beta1 - 1 unreduced (it does not combine beta1 * beta1^(t-1))."""
    return sp.simplify(expr.replace(lambda z: z.is_Add, lambda z: sp.factor(sp.expand(z))))


def build() -> Sheet:
    d = Sheet()
    env = {k: val.subs(grad_symbol, g) for k, val in _adam_step().items()}
    d.step("Adam's update (optsym.rules.adam, textbook form composed): the displacement, from "
           "the state m = exp_avg, v = exp_avg_sq of the previous step:",
           sp.Eq(sp.Symbol("Delta_t"), env[theta] - theta),
           "optsym.proof.compose(rules.get('adam').textbook(cfg)): the update is not retyped")
    moments = {}
    for sym, name, decay, power in ((m, "m", beta1, 1), (v, "v", beta2, 2)):
        solved = sp.rsolve(y(t) - env[sym].subs(sym, y(t - 1)), y(t), {y(0): 0})
        solved = sp.factor(solved)
        moments[sym] = solved
        d.step(f"Under the constant gradient g, from {name}_0 = 0 ({name} = {sym}):",
               sp.Eq(sp.Function(name)(t), solved), "sympy.rsolve of the moment's update")
        assert sp.simplify(solved - g**power * (1 - decay**t)) == 0
    d.result("m_t", "first moment m_t = g (1 - beta1^t)", moments[m])
    d.result("v_t", "second moment v_t = g^2 (1 - beta2^t)", moments[v])
    previous = {m: moments[m].subs(t, t - 1), v: moments[v].subs(t, t - 1)}
    mh = _tidy(env[m_hat].subs(previous))
    vh = _tidy(env[v_hat].subs(previous))
    d.step("so the bias-corrected moments are constant:",
           sp.Eq(sp.Tuple(m_hat, v_hat), sp.Tuple(mh, vh)),
           "m_t/(1 - beta1^t) and v_t/(1 - beta2^t) from the update with m_{t-1}, v_{t-1} above; "
           "SymPy needs each sum expanded before simplify")
    d.result("m_hat", "bias-corrected first moment", mh)
    d.result("v_hat", "bias-corrected second moment", vh)
    step = _tidy(env[theta].subs(previous) - theta)
    d.step("and every step, the first included, is", sp.Eq(sp.Symbol("Delta_t"), step),
           "sqrt(g^2) = |g| for real g")
    d.result("step", "displacement per step -eta g/(|g| + eps) (every t)", step)
    sign_step = sp.limit(step, eps, 0)
    assert sp.simplify(sign_step + lr * sp.sign(g)) == 0
    sign_step = -lr * sp.sign(g)
    d.step("As eps -> 0 the step is a sign step of length eta, whatever the scale of g:",
           sp.Eq(sp.Limit(sp.Symbol("Delta_t"), eps, 0), sign_step),
           "sympy.limit gives -eta g/|g|, which simplify shows equals -eta sign(g)")
    d.result("sign_step", "the step as eps -> 0: -eta sign(g)", sign_step)
    raw = (env[theta] - theta).subs({beta1**t: 0, beta2**t: 0})
    uncorrected_t = _tidy(raw.subs(previous))
    assert sp.simplify(uncorrected_t + lr * moments[m] / (sp.sqrt(moments[v]) + eps)) == 0
    d.step("Without the bias correction (the factors 1 - beta^t in the update set to 1) the step "
           "u_t = -eta m_t/(sqrt(v_t) + eps) would be", sp.Eq(sp.Symbol("u_t"), uncorrected_t),
           "the update with beta1^t, beta2^t set to 0 in the corrections only, then the moments "
           "above")
    d.result("uncorrected_step_t", "uncorrected displacement at step t",
             lazy_sqrt(uncorrected_t))
    first = sp.simplify(uncorrected_t.subs(t, 1))
    d.result("uncorrected_first_step", "uncorrected first displacement", first)
    ratio = sp.simplify(sp.limit(first / step.subs(t, 1), eps, 0))
    d.step("Its ratio to the corrected first step as eps -> 0 exceeds 1 exactly when "
           "1 - beta2 < (1 - beta1)^2, as for the usual betas (0.1/sqrt(0.001) = 3.16): the "
           "uncorrected first step is LARGER",
           sp.Eq(sp.Symbol("r"), ratio), "sympy.limit; v is underestimated more than m")
    d.result("uncorrected_ratio", "uncorrected / corrected first step (eps -> 0)", ratio)
    return d


def _generated(target: str, cfg):
    from optsym import rules
    from optsym.codegen.module import generate, load

    rule = rules.get("adam")
    rcfg = rule.config({"lr": cfg["lr"], "beta1": cfg["beta1"], "beta2": cfg["beta2"],
                        "eps": cfg["eps"]})
    return load(generate(rule, rcfg, target), f"adam_constant_{target}")


CHECK_STEPS = (1, 2, 10, 100)


def cross_checks(cfg) -> list[Check]:
    """Run optsym's generated Adam (numpy, torch-parity) and torch.optim.Adam in float64."""
    import torch

    res = DERIVATION.instantiate(cfg)
    gg, tt = cfg["g"], cfg["t"]
    steps = max(CHECK_STEPS[-1], tt)
    out = []
    expected = res["step"]
    for target, zeros, full, value in (
            ("numpy", lambda: np.zeros(1), lambda: np.full(1, gg), lambda p: float(p[0])),
            ("torch-parity", lambda: torch.zeros(1, dtype=torch.float64),
             lambda: torch.full((1,), gg, dtype=torch.float64), lambda p: float(p[0]))):
        ns = _generated(target, cfg)
        params = [zeros()]
        state = ns["init_state"](params)
        prev, moved, moments = 0.0, {}, {}
        for s in range(1, steps + 1):
            ns["step"](params, [full()], state)
            now = value(params[0])
            moved[s], prev = now - prev, now
            moments[s] = (value(state["exp_avg"][0]), value(state["exp_avg_sq"][0]))
        worst = max(abs(moved[s] - expected) / abs(expected) for s in CHECK_STEPS)
        out.append(Check(f"generated Adam ({target}, float64) under a constant gradient: "
                         "displacement at t = 1, 2, 10, 100 equals -eta g/(|g| + eps)",
                         bool(worst <= 1e-12), [moved[s] for s in CHECK_STEPS], expected,
                         f"largest relative difference {worst:.2e} (tolerance 1e-12)"))
        mt, vt = moments[tt]
        out.append(Check(f"generated Adam ({target}): state at step t equals m_t, v_t",
                         bool(np.isclose(mt, res["m_t"], rtol=1e-12, atol=0)
                              and np.isclose(vt, res["v_t"], rtol=1e-12, atol=0)),
                         [mt, vt], [res["m_t"], res["v_t"]]))
        if target == "numpy":
            # without the bias correction: -eta m/(sqrt(v) + eps) from the generated state
            m1, v1 = moments[1]
            raw1 = -cfg["lr"] * m1 / (np.sqrt(v1) + cfg["eps"])
            rawt = -cfg["lr"] * mt / (np.sqrt(vt) + cfg["eps"])
            out.append(Check("uncorrected step -eta m/(sqrt(v) + eps) from the generated code's "
                             "state at steps 1 and t",
                             bool(np.isclose(raw1, res["uncorrected_first_step"], rtol=1e-12)
                                  and np.isclose(rawt, res["uncorrected_step_t"], rtol=1e-12)),
                             [raw1, rawt], [res["uncorrected_first_step"],
                                            res["uncorrected_step_t"]]))
            ratio = float(m1 / np.sqrt(v1) / np.sign(gg))
            out.append(Check("m_1/sqrt(v_1) from the generated state, per unit sign(g), equals "
                             "the uncorrected/corrected ratio",
                             bool(np.isclose(ratio, res["uncorrected_ratio"], rtol=1e-12)),
                             ratio, res["uncorrected_ratio"],
                             f"{'larger' if ratio > 1 else 'smaller'} than the corrected step"))
    # torch.optim.Adam itself
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"])
    p.grad = torch.full((1,), gg, dtype=torch.float64)
    opt.step()
    first = float(p.detach()[0])
    out.append(Check("torch.optim.Adam (float64): the first step equals -eta g/(|g| + eps)",
                     bool(np.isclose(first, expected, rtol=1e-12, atol=0)), first, expected))
    limit = res["sign_step"]
    out.append(Check("the step is within eta * eps/|g| of -eta sign(g)",
                     bool(abs(first - limit) <= cfg["lr"] * cfg["eps"] / abs(gg) * (1 + 1e-9)
                          + 1e-15 * cfg["lr"]), first, limit))
    return out


DERIVATION = Derivation(
    name="adam-constant-gradient", title="Adam under a constant gradient: bias correction",
    doc=__doc__, params=PARAMS, build=build, cross_checks=cross_checks,
    assumptions=("the gradient is the same nonzero g at every step",
                 "m and v start at 0; no weight decay, no amsgrad", "0 <= beta1, beta2 < 1"))
