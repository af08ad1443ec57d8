r"""AdaGrad (Duchi, Hazan & Singer, 2011), with torch's learning-rate decay.

.. optsym-equations: adagrad (generated from the spec: python -m optsym.rules.docmath)

.. math::

    \begin{align*}
    g &\gets - g && \text{maximize: ascend} \\
    g &\gets \lambda \theta + g && \text{L2 penalty added to the gradient} \\
    s &\gets g^{2} + s && \text{sum of squares} \\
    \theta &\gets - \frac{\eta g}{\left(\epsilon + \sqrt{s}\right) \left(\gamma \left(t - 1\right) + 1\right)} + \theta && \text{update}
    \end{align*}

Symbols and torch arguments: :math:`\eta` = ``lr``, :math:`\gamma` = ``lr_decay``,
:math:`\lambda` = ``weight_decay``, :math:`s_{\text{init}}` = ``initial_accumulator_value``,
:math:`\epsilon` = ``eps`` (outside the square root, as in torch); state :math:`s` = ``sum``.
"""

from __future__ import annotations

import sympy as sp

from optsym.ops import AddCDiv, AddCMul, TAdd, TDiv, TMul, TNeg, TSqrt
from optsym.rules._fused import FUSED_INEXACT
from optsym.rules._prologue import gradient_prologue
from optsym.references import Reference
from optsym.spec import (
    Assign,
    Config,
    Hyper,
    Rule,
    State,
    g,
    hyper_eps,
    hyper_lr,
    hyper_maximize,
    hyper_weight_decay,
    nonneg,
    scalar,
    t,
    tensor,
    theta,
)

lr_h = hyper_lr(1e-2)
lr_decay_h = Hyper("lr_decay", scalar("lr_decay", r"\gamma", nonnegative=True), 0.0,
                   "learning-rate decay per step", "lr_decay >= 0", nonneg,
                   "Invalid lr_decay value: {value}", (0.0, 0.5))
init_h = Hyper("initial_accumulator_value",
               scalar("initial_accumulator_value", r"s_{\mathrm{init}}", nonnegative=True), 0.0,
               "initial value of the sum of squares", "initial_accumulator_value >= 0", nonneg,
               "Invalid initial_accumulator_value value: {value}", (0.0, 1.0))
eps_h = hyper_eps(1e-10)
wd_h = hyper_weight_decay()

lr, gamma, s0, eps, lam = lr_h.symbol, lr_decay_h.symbol, init_h.symbol, eps_h.symbol, wd_h.symbol
s = tensor("state_sum", "s")
std = tensor("std", r"\sigma")
clr = scalar("clr", r"\tilde\eta")


def states(cfg: Config) -> tuple[State, ...]:
    return (State("sum", s, s0, "running sum of squared gradients", nonnegative=True),)


def textbook(cfg: Config) -> tuple[Assign, ...]:
    eqs = gradient_prologue(cfg, lam, parity=False)
    eqs += [Assign(s, s + g**2, "sum of squares"),
            Assign(theta, theta - lr / (1 + (t - 1) * gamma) * g / (sp.sqrt(s) + eps), "update")]
    return tuple(eqs)


def implementation(cfg: Config) -> tuple[Assign, ...]:
    eqs = gradient_prologue(cfg, lam, parity=True)
    eqs += [Assign(clr, lr / (1 + (t - 1) * gamma), "clr = lr / (1 + (step - 1) * lr_decay)"),
            Assign(s, AddCMul(s, g, g, 1), "state_sum.addcmul_(grad, grad, value=1)"),
            Assign(std, TAdd(TSqrt(s), eps), "std = state_sum.sqrt().add_(eps)"),
            Assign(theta, AddCDiv(theta, g, std, -clr), "param.addcdiv_(grad, std, value=-clr)")]
    return tuple(eqs)


minus_clr = scalar("minus_clr", r"-\tilde\eta")
numerator = tensor("numerator", "n")


def foreach(cfg: Config) -> tuple[Assign, ...]:
    """torch's foreach path: the gradient is scaled by -clr first, then ``addcdiv`` by 1."""
    eqs = gradient_prologue(cfg, lam, parity=True)
    eqs += [Assign(minus_clr, -lr / (1 + (t - 1) * gamma), "-lr / (1 + (step - 1) * lr_decay)"),
            Assign(s, AddCMul(s, g, g, 1), "_foreach_addcmul_(sums, grads, grads, value=1)"),
            Assign(std, TAdd(TSqrt(s), eps), "_foreach_sqrt, _foreach_add_(std, eps)"),
            Assign(numerator, TMul(g, minus_clr), "_foreach_mul(grads, minus_clr)"),
            Assign(theta, AddCDiv(theta, numerator, std, 1), "_foreach_addcdiv_(params, num, std)")]
    return tuple(eqs)


def fused(cfg: Config) -> tuple[Assign, ...]:
    """torch's fused CPU kernel (``_fused_adagrad_``): the closest model found, with
    ``sum + grad*grad`` as one fused multiply-add and ``param - (clr * grad) / std``.  torch's
    compiled kernel still differs by a rounding here and there (``RULE.inexact``)."""
    eqs: list[Assign] = []
    if cfg["maximize"]:
        eqs.append(Assign(g, TNeg(g), "grad * -1"))
    if cfg["weight_decay"] != 0:
        eqs.append(Assign(g, TAdd(g, TMul(theta, lam)), "grad += param * weight_decay"))
    eqs += [Assign(clr, lr / (1 + (t - 1) * gamma), "clr = lr / (1 + (step - 1) * lr_decay)"),
            Assign(s, AddCMul(s, g, g, 1), "sum + grad * grad, fused"),
            Assign(std, TAdd(TSqrt(s), eps), "sqrt(sum) + eps"),
            Assign(theta, TAdd(theta, TNeg(TDiv(TMul(g, clr), std))), "param - clr * grad / std")]
    return tuple(eqs)


RULE = Rule(
    name="adagrad",
    title="Adagrad",
    doc=__doc__,
    hypers=(lr_h, lr_decay_h, wd_h, init_h, eps_h, hyper_maximize()),
    states=states,
    textbook=textbook,
    implementation=implementation,
    reference=Reference.torch("Adagrad", functional="optsym.verify.functional:adagrad"),
    sweep=({}, {"lr": 0.1}, {"lr_decay": 0.01}, {"weight_decay": 0.1},
           {"initial_accumulator_value": 0.1}, {"eps": 1e-6}, {"maximize": True},
           {"lr_decay": 0.05, "weight_decay": 0.05, "initial_accumulator_value": 0.5,
            "maximize": True}),
    torch_note="eps is added outside the square root, as in Goodfellow et al.'s Algorithm 8.4 "
               "(their RMSProp, Algorithm 8.5, puts delta inside).",
    paths={"foreach": foreach, "fused": fused},
    inexact=FUSED_INEXACT,
)
