r"""Rprop (Riedmiller & Braun, 1993), in torch's iRprop- variant (Igel & Hüsken, 2000).

.. optsym-equations: rprop (generated from the spec: python -m optsym.rules.docmath)

.. math::

    \begin{align*}
    g &\gets - g && \text{maximize: ascend} \\
    s &\gets \min\left(s_{\max}, \max\left(s_{\min}, \begin{cases} \eta^{+} s & \text{for}\: g g_{t-1} > 0 \\\eta^{-} s & \text{for}\: g g_{t-1} < 0 \\s & \text{otherwise} \end{cases}\right)\right) && \text{adapt the step size, then clip it} \\
    g &\gets \begin{cases} 0 & \text{for}\: g g_{t-1} < 0 \\g & \text{otherwise} \end{cases} && \text{a sign change: skip this step} \\
    \theta &\gets \theta - s \operatorname{sign}{\left(g \right)} && \text{update by the sign only} \\
    g_{t-1} &\gets g && \text{remember the gradient}
    \end{align*}

Symbols and torch arguments: :math:`\eta^{-}, \eta^{+}` = ``etas`` (``etaminus``,
``etaplus``), :math:`s_{\min}, s_{\max}` = ``step_sizes`` (``step_size_min``,
``step_size_max``); state :math:`s` = ``step_size``, starting at ``lr`` (the only use of the
learning rate), and :math:`g_{t-1}` = ``prev``, starting at 0 (so step 1 keeps :math:`s_0`).

torch's single-tensor path computes ``sign = grad.mul(prev).sign()``, then
``sign[sign.gt(0)] = etaplus``, ``sign[sign.lt(0)] = etaminus``, ``sign[sign.eq(0)] = 1``,
``step_size.mul_(sign).clamp_(step_size_min, step_size_max)``,
``grad[sign.eq(etaminus)] = 0`` (on a clone), ``param.addcmul_(grad.sign(), step_size,
value=-1)`` and ``prev.copy_(grad)``.  Each masked assignment is a ``torch.where`` (exact: a
selection), which is how torch's own ``capturable`` branch writes it.

The equivalence proof goes case by case over the signs of :math:`g_t` and :math:`g_{t-1}`;
torch's mask ``sign == etaminus`` is the textbook's :math:`g_t g_{t-1} < 0` because
:math:`0 < \eta^{-} < 1 < \eta^{+}` (torch's constructor check, the rule's ``proof_facts``).
"""

from __future__ import annotations

import sympy as sp

from optsym.ops import AddCMul, TClamp, TMul, TNeg, TSign, TWhere
from optsym.references import Reference
from optsym.spec import (
    Assign,
    Config,
    Hyper,
    Rule,
    State,
    g,
    hyper_lr,
    hyper_maximize,
    scalar,
    tensor,
    theta,
)

lr_h = hyper_lr(1e-2)
etaminus_h = Hyper("etaminus", scalar("etaminus", r"\eta^{-}", positive=True), 0.5,
                   "multiplicative decrease factor (etas[0])", "0 < etaminus < 1 < etaplus",
                   sample=(0.1, 0.9), argument="etas", position=0)
etaplus_h = Hyper("etaplus", scalar("etaplus", r"\eta^{+}", positive=True), 1.2,
                  "multiplicative increase factor (etas[1])", "0 < etaminus < 1 < etaplus",
                  sample=(1.05, 2.0), argument="etas", position=1)
smin_h = Hyper("step_size_min", scalar("step_size_min", r"s_{\min}", nonnegative=True), 1e-6,
               "smallest step size (step_sizes[0])", "any real (torch does not check it)",
               sample=(1e-7, 1e-5), argument="step_sizes", position=0)
smax_h = Hyper("step_size_max", scalar("step_size_max", r"s_{\max}", nonnegative=True), 50.0,
               "largest step size (step_sizes[1])", "any real (torch does not check it)",
               sample=(1.0, 100.0), argument="step_sizes", position=1)

lr = lr_h.symbol
etaminus, etaplus = etaminus_h.symbol, etaplus_h.symbol
smin, smax = smin_h.symbol, smax_h.symbol
prev = tensor("prev", "g_{t-1}")
s = tensor("step_size", "s")
sign = tensor("sign", r"\sigma")


def states(cfg: Config) -> tuple[State, ...]:
    return (State("prev", prev, sp.S.Zero, "previous (zeroed on a sign change) gradient"),
            State("step_size", s, lr, "per-element step size, starting at lr", nonnegative=True))


def _maximize(cfg: Config, parity: bool) -> list[Assign]:
    if not cfg["maximize"]:
        return []
    return [Assign(g, TNeg(g) if parity else -g, "maximize: ascend")]


def textbook(cfg: Config) -> tuple[Assign, ...]:
    same, flip = g * prev > 0, g * prev < 0
    scaled = sp.Piecewise((etaplus * s, same), (etaminus * s, flip), (s, True))
    return tuple(_maximize(cfg, parity=False)) + (
        Assign(s, sp.Min(sp.Max(scaled, smin), smax), "adapt the step size, then clip it"),
        Assign(g, sp.Piecewise((0, flip), (g, True)), "a sign change: skip this step"),
        Assign(theta, theta - sp.sign(g) * s, "update by the sign only"),
        Assign(prev, g, "remember the gradient"))


def implementation(cfg: Config) -> tuple[Assign, ...]:
    return tuple(_maximize(cfg, parity=True)) + (
        Assign(sign, TSign(TMul(g, prev)), "sign = grad.mul(prev).sign()"),
        Assign(sign, TWhere(sp.Gt(sign, 0), etaplus, sign), "sign[sign.gt(0)] = etaplus"),
        Assign(sign, TWhere(sp.Lt(sign, 0), etaminus, sign), "sign[sign.lt(0)] = etaminus"),
        Assign(sign, TWhere(sp.Eq(sign, 0), 1, sign), "sign[sign.eq(0)] = 1"),
        Assign(s, TClamp(TMul(s, sign), smin, smax),
               "step_size.mul_(sign).clamp_(step_size_min, step_size_max)"),
        Assign(g, TWhere(sp.Eq(sign, etaminus), 0, g), "grad[sign.eq(etaminus)] = 0"),
        Assign(theta, AddCMul(theta, TSign(g), s, -1),
               "param.addcmul_(grad.sign(), step_size, value=-1)"),
        Assign(prev, g, "prev.copy_(grad)"))


RULE = Rule(
    name="rprop",
    title="Rprop",
    doc=__doc__,
    hypers=(lr_h, etaminus_h, etaplus_h, smin_h, smax_h, hyper_maximize()),
    states=states,
    textbook=textbook,
    implementation=implementation,
    reference=Reference.torch("Rprop", functional="optsym.verify.functional:rprop"),
    # torch's OptimizerInfo inputs for Rprop (CPU), and one that reaches the upper clip
    sweep=({}, {"lr": 2e-4}, {"etaminus": 0.5, "etaplus": 1.5},
           {"step_size_min": 2e-6, "step_size_max": 100.0}, {"maximize": True},
           {"lr": 0.14, "etaminus": 0.8, "etaplus": 1.1, "step_size_max": 0.15,
            "maximize": True}),
    checks=((lambda c: not 0.0 < c["etaminus"] < 1.0 < c["etaplus"],
             "Invalid eta values: {etaminus}, {etaplus}"),),
    torch_note="torch implements iRprop- (Igel & Hüsken, 2000): on a sign change the step "
               "size shrinks and the step is skipped (the gradient is stored as 0), with no "
               "weight backtracking (Rprop+); lr is only the initial step size.",
    proof_assumptions=("0 < etaminus < 1 < etaplus (torch's check), so torch's mask "
                       "sign == etaminus is exactly a sign change",),
    proof_facts=(sp.Q.positive(etaminus), sp.Q.lt(etaminus, 1), sp.Q.gt(etaplus, 1)),
    check_order=("lr",),
    # foreach on CPU multiplies, signs and masks in the same order (grad*prev, negated under
    # maximize, is (-grad)*prev exactly); torch has no fused Rprop
    paths={"foreach": implementation},
)
