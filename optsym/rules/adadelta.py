r"""Adadelta (Zeiler, 2012), with torch's learning rate and weight decay.

.. optsym-equations: adadelta (generated from the spec: python -m optsym.rules.docmath)

.. math::

    \begin{align*}
    g &\gets - g && \text{maximize: ascend} \\
    g &\gets \lambda \theta + g && \text{L2 penalty added to the gradient} \\
    v &\gets \rho v + g^{2} \left(1 - \rho\right) && \text{E[g^2]} \\
    \Delta &\gets \frac{g \sqrt{\epsilon + u}}{\sqrt{\epsilon + v}} && \text{RMS[dx]_{t-1} / RMS[g]_t g} \\
    u &\gets \rho u + \Delta^{2} \left(1 - \rho\right) && \text{E[dx^2]} \\
    \theta &\gets - \eta \Delta + \theta && \text{update}
    \end{align*}

Symbols and torch arguments: :math:`\eta` = ``lr`` (the paper has none: torch's default 1.0 is
the paper's update), :math:`\rho` = ``rho``, :math:`\epsilon` = ``eps`` (inside both square
roots, as in the paper), :math:`\lambda` = ``weight_decay``; state :math:`v` = ``square_avg``
(the paper's :math:`E[g^2]`), :math:`u` = ``acc_delta`` (the paper's :math:`E[\Delta x^2]`), both
starting at 0.

torch's single-tensor path computes ``square_avg.mul_(rho).addcmul_(g, g, value=1-rho)``,
``std = square_avg.add(eps).sqrt_()``, ``delta = acc_delta.add(eps).sqrt_().div_(std).mul_(g)``,
``acc_delta.mul_(rho).addcmul_(delta, delta, value=1-rho)``, ``param.add_(delta, alpha=-lr)``.
"""

from __future__ import annotations

import sympy as sp

from optsym.ops import AddCMul, AddScaled, TAdd, TDiv, TMul, TSqrt
from optsym.rules._prologue import gradient_prologue
from optsym.references import Reference
from optsym.spec import (
    Assign,
    Config,
    Hyper,
    Rule,
    State,
    closed_unit_interval,
    g,
    hyper_eps,
    hyper_lr,
    hyper_maximize,
    hyper_weight_decay,
    scalar,
    tensor,
    theta,
)

lr_h = hyper_lr(1.0)
rho_h = Hyper("rho", scalar("rho", r"\rho", nonnegative=True), 0.9,
              "decay of both running averages", "0 <= rho <= 1", closed_unit_interval,
              "Invalid rho value: {value}", (0.0, 0.99))
eps_h = hyper_eps(1e-6)
wd_h = hyper_weight_decay()

lr, rho, eps, lam = lr_h.symbol, rho_h.symbol, eps_h.symbol, wd_h.symbol
v = tensor("square_avg", "v")
u = tensor("acc_delta", "u")
std = tensor("std", r"\sigma")
delta = tensor("delta", r"\Delta")


def states(cfg: Config) -> tuple[State, ...]:
    return (State("square_avg", v, sp.S.Zero, "EMA of squared gradients", nonnegative=True),
            State("acc_delta", u, sp.S.Zero, "EMA of squared updates", nonnegative=True))


def textbook(cfg: Config) -> tuple[Assign, ...]:
    eqs = gradient_prologue(cfg, lam, parity=False)
    eqs += [Assign(v, rho * v + (1 - rho) * g**2, "E[g^2]"),
            Assign(delta, sp.sqrt(u + eps) / sp.sqrt(v + eps) * g, "RMS[dx]_{t-1} / RMS[g]_t g"),
            Assign(u, rho * u + (1 - rho) * delta**2, "E[dx^2]"),
            Assign(theta, theta - lr * delta, "update")]
    return tuple(eqs)


def implementation(cfg: Config) -> tuple[Assign, ...]:
    eqs = gradient_prologue(cfg, lam, parity=True)
    eqs += [Assign(v, AddCMul(TMul(v, rho), g, g, 1 - rho),
                   "square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)"),
            Assign(std, TSqrt(TAdd(v, eps)), "square_avg.add(eps).sqrt_()"),
            Assign(delta, TMul(TDiv(TSqrt(TAdd(u, eps)), std), g),
                   "acc_delta.add(eps).sqrt_().div_(std).mul_(grad)"),
            Assign(u, AddCMul(TMul(u, rho), delta, delta, 1 - rho),
                   "acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)"),
            Assign(theta, AddScaled(theta, delta, -lr), "param.add_(delta, alpha=-lr)")]
    return tuple(eqs)


RULE = Rule(
    name="adadelta",
    title="Adadelta",
    doc=__doc__,
    hypers=(lr_h, rho_h, eps_h, wd_h, hyper_maximize()),
    states=states,
    textbook=textbook,
    implementation=implementation,
    reference=Reference.torch("Adadelta", functional="optsym.verify.functional:adadelta"),
    # torch's OptimizerInfo inputs for Adadelta (CPU), plus an eps
    sweep=({}, {"lr": 0.01}, {"weight_decay": 0.1}, {"maximize": True},
           {"weight_decay": 0.1, "maximize": True}, {"rho": 0.95, "weight_decay": 0.9},
           {"eps": 1e-3, "rho": 0.5}),
    torch_note="torch multiplies the paper's update by lr (default 1.0, the paper's update) and "
               "adds L2 weight decay to the gradient; eps sits inside both square roots, as in "
               "the paper.",
    proof_assumptions=("square_avg + eps > 0 and acc_delta + eps > 0 (EMAs of squares, eps >= 0)",),
    check_order=("lr", "rho", "eps", "weight_decay"),
    # foreach on CPU runs the single-tensor kernels in the same order; torch has no fused Adadelta
    paths={"foreach": implementation},
)
