r"""AdaBelief (Zhuang et al., 2020), a rule written outside optsym and loaded with ``--spec``.

.. math::

    \begin{align*}
    \theta_{t-1} &\leftarrow (1 - \eta\lambda)\, \theta_{t-1} \quad \text{(decoupled decay)} \\
    m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g_t \\
    s_t &= \beta_2 s_{t-1} + (1 - \beta_2) (g_t - m_t)^2 + \epsilon \\
    \theta_t &= \theta_{t-1} - \eta\, \frac{m_t / (1 - \beta_1^t)}
                                           {\sqrt{s_t / (1 - \beta_2^t)} + \epsilon}
    \end{align*}

Adam with the "belief" :math:`(g_t - m_t)^2` in place of :math:`g_t^2`.  The reference is
``pytorch_optimizer.AdaBelief`` (torch has none); its per-parameter path computes
``exp_avg.lerp_(grad, 1 - beta1)``, ``exp_avg_var.mul_(beta2).addcmul_(r, r, value=1 - beta2)
.add_(eps)`` with ``r = grad - exp_avg``, ``denom = exp_avg_var.sqrt() / math.sqrt(bc2) + eps``
and ``p.addcdiv_(exp_avg, denom, value=-lr / bc1)``: :func:`implementation` writes that order.

    optsym list --spec examples/adabelief.py
    optsym verify --spec examples/adabelief.py adabelief
    optsym codegen --spec examples/adabelief.py adabelief --target numpy
"""

from __future__ import annotations

import sympy as sp

from optsym.ops import AddCDiv, AddCMul, Lerp, LibmSqrt, TAdd, TDiv, TMul, TSqrt, TSub
from optsym.references import Reference
from optsym.spec import (
    Assign,
    Hyper,
    Rule,
    State,
    g,
    hyper_maximize,
    maximized,
    nonneg,
    scalar,
    t,
    tensor,
    theta,
    unit_interval,
)

# the hyperparameters, with pytorch_optimizer's names, defaults and messages
lr_h = Hyper("lr", scalar("lr", r"\eta", nonnegative=True), 1e-3, "learning rate", "lr >= 0",
             nonneg, "learning rate must be non-negative. ({value} >= 0)", (1e-4, 0.1))
beta1_h = Hyper("beta1", scalar("beta1", r"\beta_1", nonnegative=True), 0.9,
                "decay of the first moment (betas[0])", "0 <= beta1 < 1", unit_interval,
                "beta1 must be in the range [0.0, 1.0)", (0.0, 0.99), argument="betas",
                position=0)
beta2_h = Hyper("beta2", scalar("beta2", r"\beta_2", nonnegative=True), 0.999,
                "decay of the belief (betas[1])", "0 <= beta2 < 1", unit_interval,
                "beta2 must be in the range [0.0, 1.0)", (0.0, 0.999), argument="betas",
                position=1)
eps_h = Hyper("eps", scalar("eps", r"\epsilon", nonnegative=True), 1e-16,
              "added to the belief and to the denominator", "eps >= 0", nonneg,
              "epsilon must be non-negative. ({value} >= 0)", (1e-16, 1e-3))
wd_h = Hyper("weight_decay", scalar("weight_decay", r"\lambda", nonnegative=True), 0.0,
             "decoupled weight decay", "weight_decay >= 0", nonneg,
             "weight_decay must be non-negative", (0.0, 0.5))

lr, beta1, beta2, eps, lam = (h.symbol for h in (lr_h, beta1_h, beta2_h, eps_h, wd_h))
m = tensor("exp_avg", "m")
s = tensor("exp_avg_var", "s")
residual = tensor("residual", "r")
denom = tensor("denom", "d")
bc1, bc2_sqrt = scalar("bias_correction1", "c_1"), scalar("bias_correction2_sqrt", r"\sqrt{c_2}")


def states(cfg):
    return (State("exp_avg", m, sp.S.Zero, "first moment"),
            State("exp_avg_var", s, sp.S.Zero, "belief: EMA of (g - m)^2", nonnegative=True))


def textbook(cfg):
    eqs = [Assign(g, maximized(cfg), "maximize: ascend")] if cfg["maximize"] else []
    if cfg["weight_decay"] != 0:
        eqs.append(Assign(theta, (1 - lr * lam) * theta, "decoupled weight decay"))
    return (*eqs,
            Assign(m, beta1 * m + (1 - beta1) * g, "first moment"),
            Assign(s, beta2 * s + (1 - beta2) * (g - m)**2 + eps, "belief"),
            Assign(theta, theta - lr * (m / (1 - beta1**t))
                   / (sp.sqrt(s / (1 - beta2**t)) + eps), "update"))


def implementation(cfg):
    """pytorch_optimizer's per-parameter order."""
    eqs = [Assign(g, -g, "grad.neg_()")] if cfg["maximize"] else []
    if cfg["weight_decay"] != 0:
        eqs.append(Assign(theta, TMul(theta, 1 - lr * lam), "p.mul_(1 - weight_decay * lr)"))
    return (*eqs,
            Assign(m, Lerp(m, g, 1 - beta1), "exp_avg.lerp_(grad, 1 - beta1)"),
            Assign(residual, TSub(g, m), "grad - exp_avg"),
            Assign(s, TAdd(AddCMul(TMul(s, beta2), residual, residual, 1 - beta2), eps),
                   "exp_avg_var.mul_(beta2).addcmul_(r, r, value=1 - beta2).add_(eps)"),
            Assign(bc1, 1 - beta1**t),
            Assign(bc2_sqrt, LibmSqrt(1 - beta2**t), "math.sqrt(1 - beta2**t)"),
            Assign(denom, TAdd(TDiv(TSqrt(s), bc2_sqrt), eps), "s.sqrt() / bc2_sqrt + eps"),
            Assign(theta, AddCDiv(theta, m, denom, -(lr / bc1)),
                   "p.addcdiv_(exp_avg, denom, value=-lr / bc1)"))


RULE = Rule(
    name="adabelief",
    title="AdaBelief",
    doc=__doc__,
    hypers=(lr_h, beta1_h, beta2_h, eps_h, wd_h, hyper_maximize()),
    states=states,
    textbook=textbook,
    implementation=implementation,
    reference=Reference.package("pytorch_optimizer", "AdaBelief", pip="pytorch-optimizer"),
    sweep=({}, {"lr": 0.01}, {"beta1": 0.5, "beta2": 0.9, "eps": 1e-8},
           {"weight_decay": 0.1}, {"maximize": True}),
    torch_note="not in torch: checked against pytorch_optimizer.AdaBelief (per-parameter path).",
    proof_assumptions=("s >= 0 (eps >= 0 plus a convex combination of squares)",
                       "sqrt(a/b) = sqrt(a)/sqrt(b) for a >= 0, b > 0"),
)
