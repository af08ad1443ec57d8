r"""Adamax (Kingma & Ba, 2015, section 7.1): Adam with the infinity norm, as in torch.

.. optsym-equations: adamax (generated from the spec: python -m optsym.rules.docmath)

.. math::

    \begin{align*}
    g &\gets - g && \text{maximize: ascend} \\
    g &\gets \lambda \theta + g && \text{L2 penalty added to the gradient} \\
    m &\gets \beta_1 m + g \left(1 - \beta_1\right) && \text{first moment} \\
    u &\gets \max\left(\beta_2 u, \epsilon + \left|{g}\right|\right) && \text{infinity norm (eps inside the max)} \\
    \theta &\gets - \frac{\eta m}{u \left(1 - \beta_1^{t}\right)} + \theta && \text{update}
    \end{align*}

Symbols and torch arguments: :math:`\eta` = ``lr``, :math:`\beta_1, \beta_2` = ``betas``,
:math:`\epsilon` = ``eps``, :math:`\lambda` = ``weight_decay``; state :math:`m` = ``exp_avg``,
:math:`u` = ``exp_inf`` (the exponentially weighted infinity norm), both starting at 0.

torch's single-tensor path: ``exp_avg.lerp_(grad, 1 - beta1)``,
``torch.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps))``, ``clr = lr / (1 - beta1**step)``,
``param.addcdiv_(exp_avg, exp_inf, value=-clr)``.
"""

from __future__ import annotations

import sympy as sp

from optsym.ops import AddCDiv, Lerp, TAbs, TAdd, TMax, TMul
from optsym.rules._prologue import gradient_prologue
from optsym.rules.adam import beta1_h, beta2_h
from optsym.references import Reference
from optsym.spec import (
    Assign,
    Config,
    Rule,
    State,
    g,
    hyper_eps,
    hyper_lr,
    hyper_maximize,
    hyper_weight_decay,
    scalar,
    t,
    tensor,
    theta,
)

lr_h = hyper_lr(2e-3)
eps_h = hyper_eps(1e-8)
wd_h = hyper_weight_decay()

lr, beta1, beta2, eps, lam = lr_h.symbol, beta1_h.symbol, beta2_h.symbol, eps_h.symbol, wd_h.symbol

m = tensor("exp_avg", "m")
u = tensor("exp_inf", "u")
bias_correction = scalar("bias_correction", "c_1")
clr = scalar("clr", r"\alpha_t")


def states(cfg: Config) -> tuple[State, ...]:
    return (State("exp_avg", m, sp.S.Zero, "first-moment EMA"),
            State("exp_inf", u, sp.S.Zero, "exponentially weighted infinity norm",
                  nonnegative=True))


def textbook(cfg: Config) -> tuple[Assign, ...]:
    eqs = gradient_prologue(cfg, lam, parity=False)
    eqs += [Assign(m, beta1 * m + (1 - beta1) * g, "first moment"),
            Assign(u, sp.Max(beta2 * u, sp.Abs(g) + eps), "infinity norm (eps inside the max)"),
            Assign(theta, theta - lr / (1 - beta1**t) * m / u, "update")]
    return tuple(eqs)


def implementation(cfg: Config) -> tuple[Assign, ...]:
    """torch's CPU single-tensor order (``_single_tensor_adamax``)."""
    eqs = gradient_prologue(cfg, lam, parity=True)
    eqs += [Assign(m, Lerp(m, g, 1 - beta1), "exp_avg.lerp_(grad, 1 - beta1)"),
            Assign(u, TMax(TMul(u, beta2), TAdd(TAbs(g), eps)),
                   "torch.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps))"),
            Assign(bias_correction, 1 - beta1**t),
            Assign(clr, lr / bias_correction),
            Assign(theta, AddCDiv(theta, m, u, -clr), "param.addcdiv_(exp_avg, exp_inf, "
                                                      "value=-clr)")]
    return tuple(eqs)


RULE = Rule(
    name="adamax",
    title="Adamax",
    doc=__doc__,
    hypers=(lr_h, beta1_h, beta2_h, eps_h, wd_h, hyper_maximize()),
    states=states,
    textbook=textbook,
    implementation=implementation,
    reference=Reference.torch("Adamax", functional="optsym.verify.functional:adamax"),
    sweep=({}, {"lr": 0.01}, {"weight_decay": 0.1}, {"maximize": True},
           {"beta1": 0.5, "beta2": 0.9, "eps": 1e-3},
           {"lr": 0.01, "weight_decay": 0.05, "eps": 1e-6, "maximize": True}),
    torch_note="torch adds eps inside the max, u = max(beta2*u, |g| + eps); the paper has "
               "u = max(beta2*u, |g|) and no eps (a zero gradient at step 1 divides by 0).",
    proof_assumptions=("0 <= beta1 < 1 and t >= 1, so 1 - beta1**t > 0",),
    check_order=("lr", "eps", "beta1", "beta2", "weight_decay"),
    # foreach on CPU runs the same kernels in the same order (its step size
    # ``(lr / bc) * -1`` equals ``-(lr / bc)`` exactly); torch has no fused Adamax
    paths={"foreach": implementation},
)
