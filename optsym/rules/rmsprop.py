r"""RMSprop (Hinton, 2012), with torch's centered and momentum variants.

.. optsym-equations: rmsprop (generated from the spec: python -m optsym.rules.docmath)

.. math::

    \begin{align*}
    g &\gets - g && \text{maximize: ascend} \\
    g &\gets \lambda \theta + g && \text{L2 penalty added to the gradient} \\
    v &\gets \alpha v + g^{2} \left(1 - \alpha\right) && \text{EMA of squares} \\
    \bar g &\gets \alpha \bar g + g \left(1 - \alpha\right) && \text{EMA of gradients} \\
    a &\gets \epsilon + \sqrt{- \bar g^{2} + v} && \text{centered: variance estimate} \\
    b &\gets \mu b + \frac{g}{a} && \text{momentum buffer} \\
    \theta &\gets - \eta b + \theta && \text{update}
    \end{align*}

Symbols and torch arguments: :math:`\eta` = ``lr``, :math:`\alpha` = ``alpha``,
:math:`\epsilon` = ``eps`` (outside the square root, as in torch; TensorFlow and optax put it
inside), :math:`\lambda` = ``weight_decay``, :math:`\mu` = ``momentum``; state :math:`v` =
``square_avg``, :math:`\bar g` = ``grad_avg``, :math:`b` = ``momentum_buffer``, all starting at 0.
"""

from __future__ import annotations

import sympy as sp

from optsym.ops import AddCDiv, AddCMul, AddScaled, Lerp, TAdd, TMul, TSqrt
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
    tensor,
    theta,
)

lr_h = hyper_lr(1e-2)
alpha_h = Hyper("alpha", scalar("alpha", r"\alpha", nonnegative=True), 0.99,
                "smoothing constant", "alpha >= 0 (torch checks no upper bound)", nonneg,
                "Invalid alpha value: {value}", (0.0, 0.999))
eps_h = hyper_eps(1e-8)
wd_h = hyper_weight_decay()
momentum_h = Hyper("momentum", scalar("momentum", r"\mu", nonnegative=True), 0.0,
                   "momentum factor", "momentum >= 0", nonneg, "Invalid momentum value: {value}",
                   (0.0, 0.99))
centered_h = Hyper("centered", None, False, "normalize by the estimated variance of the gradient")

lr, alpha, eps, lam, mu = lr_h.symbol, alpha_h.symbol, eps_h.symbol, wd_h.symbol, momentum_h.symbol
v = tensor("square_avg", "v")
gbar = tensor("grad_avg", r"\bar g")
buf = tensor("momentum_buffer", "b")
avg = tensor("avg", "a")


def states(cfg: Config) -> tuple[State, ...]:
    out = (State("square_avg", v, sp.S.Zero, "EMA of squared gradients", nonnegative=True),)
    if cfg["centered"]:
        out += (State("grad_avg", gbar, sp.S.Zero, "EMA of gradients"),)
    if cfg["momentum"] > 0:
        out += (State("momentum_buffer", buf, sp.S.Zero, "momentum buffer"),)
    return out


def textbook(cfg: Config) -> tuple[Assign, ...]:
    eqs = gradient_prologue(cfg, lam, parity=False)
    eqs.append(Assign(v, alpha * v + (1 - alpha) * g**2, "EMA of squares"))
    if cfg["centered"]:
        eqs += [Assign(gbar, alpha * gbar + (1 - alpha) * g, "EMA of gradients"),
                Assign(avg, sp.sqrt(v - gbar**2) + eps, "centered: variance estimate")]
    else:
        eqs.append(Assign(avg, sp.sqrt(v) + eps))
    if cfg["momentum"] > 0:
        eqs += [Assign(buf, mu * buf + g / avg, "momentum buffer"),
                Assign(theta, theta - lr * buf, "update")]
    else:
        eqs.append(Assign(theta, theta - lr * g / avg, "update"))
    return tuple(eqs)


def implementation(cfg: Config) -> tuple[Assign, ...]:
    eqs = gradient_prologue(cfg, lam, parity=True)
    eqs.append(Assign(v, AddCMul(TMul(v, alpha), g, g, 1 - alpha),
                      "square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)"))
    if cfg["centered"]:
        eqs += [Assign(gbar, Lerp(gbar, g, 1 - alpha), "grad_avg.lerp_(grad, 1 - alpha)"),
                Assign(avg, TAdd(TSqrt(AddCMul(v, gbar, gbar, -1)), eps),
                       "square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_().add_(eps)")]
    else:
        eqs.append(Assign(avg, TAdd(TSqrt(v), eps), "square_avg.sqrt().add_(eps)"))
    if cfg["momentum"] > 0:
        eqs += [Assign(buf, AddCDiv(TMul(buf, mu), g, avg, 1),
                       "buf.mul_(momentum).addcdiv_(grad, avg)"),
                Assign(theta, AddScaled(theta, buf, -lr), "param.add_(buf, alpha=-lr)")]
    else:
        eqs.append(Assign(theta, AddCDiv(theta, g, avg, -lr),
                          "param.addcdiv_(grad, avg, value=-lr)"))
    return tuple(eqs)


RULE = Rule(
    name="rmsprop",
    title="RMSprop",
    doc=__doc__,
    hypers=(lr_h, alpha_h, eps_h, wd_h, momentum_h, centered_h, hyper_maximize()),
    states=states,
    textbook=textbook,
    implementation=implementation,
    reference=Reference.torch("RMSprop", functional="optsym.verify.functional:rmsprop"),
    sweep=({}, {"lr": 0.1}, {"alpha": 0.9}, {"centered": True}, {"momentum": 0.9},
           {"centered": True, "momentum": 0.9}, {"weight_decay": 0.1}, {"maximize": True},
           {"eps": 1e-4, "centered": True, "momentum": 0.5, "weight_decay": 0.05,
            "maximize": True}),
    torch_note="eps is added outside the square root; TensorFlow/optax add it inside.",
    proof_assumptions=("v - grad_avg**2 >= 0 when centered (a variance estimate)",),
    check_order=("lr", "eps", "momentum", "weight_decay", "alpha"),
    # foreach on CPU runs the single-tensor kernels in the same order; torch has no fused RMSprop
    paths={"foreach": implementation},
)
