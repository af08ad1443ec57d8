r"""Stochastic gradient descent with momentum, dampening and Nesterov, as in torch.

.. optsym-equations: sgd (generated from the spec: python -m optsym.rules.docmath)

.. math::

    \begin{align*}
    g &\gets - g && \text{maximize: ascend} \\
    g &\gets \lambda \theta + g && \text{L2 penalty added to the gradient} \\
    b &\gets \begin{cases} g & \text{for}\: t = 1 \\\mu b + g \left(1 - \tau\right) & \text{otherwise} \end{cases} && \text{momentum buffer; step 1: buffer = gradient} \\
    d &\gets \mu b + g && \text{Nesterov: g + mu*buf} \\
    \theta &\gets - \eta d + \theta && \text{update}
    \end{align*}

Symbols and torch arguments: :math:`\eta` = ``lr``, :math:`\mu` = ``momentum``,
:math:`\tau` = ``dampening``, :math:`\lambda` = ``weight_decay``; state :math:`b` =
``momentum_buffer``.  Step 1 is a special case: torch sets the buffer to the first gradient,
without dampening (it has no buffer before the first step); the spec says so with a
``Piecewise`` on :math:`t`, not with a patch in a printer.
"""

from __future__ import annotations

import sympy as sp

from optsym.ops import AddScaled, TMul
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
    hyper_lr,
    hyper_maximize,
    hyper_weight_decay,
    not_negative,
    scalar,
    t,
    tensor,
    theta,
)

# torch's SGD checks ``x < 0.0`` (the other rules check ``not 0.0 <= x``)
lr_h = hyper_lr(1e-3, not_negative)
momentum_h = Hyper("momentum", scalar("momentum", r"\mu", nonnegative=True), 0.0,
                   "momentum factor", "momentum >= 0", not_negative,
                   "Invalid momentum value: {value}", (0.0, 0.99))
dampening_h = Hyper("dampening", scalar("dampening", r"\tau", nonnegative=True), 0.0,
                    "dampening for momentum", "any real (torch does not check it)", None, "",
                    (0.0, 0.9))
nesterov_h = Hyper("nesterov", None, False, "Nesterov momentum (torch's g + mu*buf form)")
wd_h = hyper_weight_decay(check=not_negative)

lr, mu, tau, lam = lr_h.symbol, momentum_h.symbol, dampening_h.symbol, wd_h.symbol
buf = tensor("momentum_buffer", "b")
direction = tensor("direction", "d")


def states(cfg: Config) -> tuple[State, ...]:
    if cfg["momentum"] == 0:
        return ()
    return (State("momentum_buffer", buf, sp.S.Zero,
                  "momentum buffer (torch: created from the first gradient)"),)


def _first_step(later: sp.Expr) -> sp.Expr:
    """torch's step-1 case: the buffer starts as the gradient itself, with no dampening."""
    return sp.Piecewise((g, sp.Eq(t, 1)), (later, True))


def _common(cfg: Config, parity: bool, add_scaled, mul) -> list[Assign]:
    eqs = gradient_prologue(cfg, lam, parity)
    if cfg["momentum"] != 0:
        eqs.append(Assign(buf, _first_step(add_scaled(mul(buf, mu), g, 1 - tau)),
                          "momentum buffer; step 1: buffer = gradient"))
        step_dir = add_scaled(g, buf, mu) if cfg["nesterov"] else buf
        eqs.append(Assign(direction, step_dir, "Nesterov: g + mu*buf" if cfg["nesterov"] else ""))
    else:
        eqs.append(Assign(direction, g))
    return eqs


def textbook(cfg: Config) -> tuple[Assign, ...]:
    eqs = _common(cfg, False, lambda a, b, s: a + s * b, lambda a, s: a * s)
    return tuple(eqs) + (Assign(theta, theta - lr * direction, "update"),)


def implementation(cfg: Config) -> tuple[Assign, ...]:
    eqs = _common(cfg, True, AddScaled, TMul)
    return tuple(eqs) + (Assign(theta, AddScaled(theta, direction, -lr),
                                "param.add_(grad, alpha=-lr)"),)


def fused(cfg: Config) -> tuple[Assign, ...]:
    """torch's fused CPU kernel (``_fused_sgd_``): the closest model found is the single-tensor
    order, with each multiply-add fused (``param += grad * -lr`` is one FMA).  Measured against
    torch 2.13 it is bit-exact without momentum; with momentum the compiled kernel's contraction
    of ``buf*momentum + grad*(1-dampening)`` differs by a rounding, so this path is checked within
    the rounding bound (``RULE.inexact``)."""
    return implementation(cfg)


RULE = Rule(
    name="sgd",
    title="SGD",
    doc=__doc__,
    hypers=(lr_h, momentum_h, dampening_h, wd_h, nesterov_h, hyper_maximize()),
    states=states,
    textbook=textbook,
    implementation=implementation,
    reference=Reference.torch("SGD", functional="optsym.verify.functional:sgd"),
    sweep=({}, {"lr": 0.1}, {"momentum": 0.9}, {"momentum": 0.9, "dampening": 0.5},
           {"momentum": 0.9, "nesterov": True}, {"weight_decay": 0.01}, {"maximize": True},
           {"lr": 0.01, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1,
            "maximize": True}),
    checks=((lambda c: c["nesterov"] and (c["momentum"] <= 0 or c["dampening"] != 0),
             "Nesterov momentum requires a momentum and zero dampening"),),
    torch_note="torch's momentum is v = mu*v + g, theta -= lr*v (lr outside the buffer); the "
               "buffer starts at the first gradient, skipping dampening on step 1.",
    # foreach on CPU runs the single-tensor kernels in the same order
    paths={"foreach": implementation, "fused": fused},
    inexact=FUSED_INEXACT,
)
