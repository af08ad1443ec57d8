r"""Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2).

.. optsym-equations: lion (generated from the spec: python -m optsym.rules.docmath)

.. math::

    \begin{align*}
    g &\gets \lambda \theta + g && \text{L2 penalty added to the gradient} \\
    c &\gets \beta_1 m + g \left(1 - \beta_1\right) && \text{interpolation of momentum and gradient} \\
    \theta &\gets - \eta \operatorname{sign}{\left(c \right)} + \theta && \text{sign update (and decoupled decay)} \\
    m &\gets \beta_2 m + g \left(1 - \beta_2\right) && \text{momentum}
    \end{align*}

Symbols and arguments of ``pytorch_optimizer.Lion``: :math:`\eta` = ``lr``,
:math:`\beta_1, \beta_2` = ``betas``, :math:`\lambda` = ``weight_decay``; state :math:`m` =
``exp_avg``, starting at 0.  The update direction is the *sign* of the interpolation
:math:`c_t` of the momentum and the new gradient (with :math:`\beta_1`), while the momentum
itself is tracked with :math:`\beta_2`; every coordinate moves by exactly :math:`\eta`
(or 0).  With ``fixed_decay`` the decay is :math:`\lambda\theta` rather than
:math:`\eta\lambda\theta`; without ``weight_decouple`` it is an L2 term on the gradient.

torch has no Lion: the independent reference is ``pytorch_optimizer.Lion`` (version 4.1), whose
per-parameter path (``foreach=False``) computes ``p.mul_(1 - weight_decay * lr)``,
``update = exp_avg.lerp(grad, 1 - beta1).sign_()``, ``exp_avg.lerp_(grad, 1 - beta2)``,
``p.add_(update, alpha=-lr)``; :func:`implementation` writes that order.  Its foreach path
(``torch._foreach_lerp``, ``_foreach_sign_``, ``_foreach_add_``) runs the same CPU kernels in
the same order.
"""

from __future__ import annotations

import sympy as sp

from optsym.ops import AddScaled, Lerp, TMul, TSign
from optsym.rules._prologue import decoupled_decay, gradient_prologue
from optsym.references import DEV_INSTALL, Reference
from optsym.spec import (
    Assign,
    Config,
    Hyper,
    Rule,
    State,
    g,
    hyper_maximize,
    not_negative,
    scalar,
    tensor,
    theta,
    unit_interval,
)

# pytorch_optimizer's checks and messages (``validate_learning_rate``, ``validate_betas``,
# ``validate_non_negative``), in its order: lr, betas, weight_decay
lr_h = Hyper("lr", scalar("lr", r"\eta", nonnegative=True), 1e-4, "learning rate", "lr >= 0",
             not_negative, "learning rate must be positive. ({value} > 0)", (1e-4, 0.1))
beta1_h = Hyper("beta1", scalar("beta1", r"\beta_1", nonnegative=True), 0.9,
                "interpolation weight of the update direction (betas[0])", "0 <= beta1 < 1",
                unit_interval, "beta1 must be in the range [0.0, 1.0)", (0.0, 0.99),
                argument="betas", position=0)
beta2_h = Hyper("beta2", scalar("beta2", r"\beta_2", nonnegative=True), 0.99,
                "decay of the momentum (betas[1])", "0 <= beta2 < 1", unit_interval,
                "beta2 must be in the range [0.0, 1.0)", (0.0, 0.999),
                argument="betas", position=1)
wd_h = Hyper("weight_decay", scalar("weight_decay", r"\lambda", nonnegative=True), 0.0,
             "weight decay coefficient", "weight_decay >= 0", not_negative,
             "weight_decay must be non-negative", (0.0, 0.5))
decouple_h = Hyper("weight_decouple", None, True,
                   "decay the weights directly (the paper's form), not via L2 on the gradient")
fixed_h = Hyper("fixed_decay", None, False, "decoupled decay by weight_decay, not lr*weight_decay")

lr, beta1, beta2, lam = lr_h.symbol, beta1_h.symbol, beta2_h.symbol, wd_h.symbol
m = tensor("exp_avg", "m")
c = tensor("interpolation", "c")
update = tensor("update", "u")


def states(cfg: Config) -> tuple[State, ...]:
    return (State("exp_avg", m, sp.S.Zero, "momentum (EMA of gradients with beta2)"),)


def _decoupled(cfg: Config) -> bool:
    return cfg["weight_decouple"] and cfg["weight_decay"] != 0


def _decay_factor(cfg: Config) -> sp.Expr:
    """How much of lambda*theta the decoupled decay removes: lr*lambda, or lambda (fixed)."""
    return lam if cfg["fixed_decay"] else lr * lam


def textbook(cfg: Config) -> tuple[Assign, ...]:
    eqs = gradient_prologue(cfg, lam, parity=False,
                            coupled=not cfg["weight_decouple"] and cfg["weight_decay"] > 0)
    eqs.append(Assign(c, beta1 * m + (1 - beta1) * g, "interpolation of momentum and gradient"))
    decay = _decay_factor(cfg) * theta if _decoupled(cfg) else sp.S.Zero
    eqs += [Assign(theta, theta - lr * sp.sign(c) - decay, "sign update (and decoupled decay)"),
            Assign(m, beta2 * m + (1 - beta2) * g, "momentum")]
    return tuple(eqs)


def implementation(cfg: Config) -> tuple[Assign, ...]:
    """pytorch_optimizer's per-parameter order: maximize, decay, sign of lerp, lerp_, add_."""
    eqs = gradient_prologue(cfg, lam, parity=True,
                            coupled=not cfg["weight_decouple"] and cfg["weight_decay"] > 0)
    if _decoupled(cfg):
        if cfg["fixed_decay"]:
            eqs.append(Assign(theta, TMul(theta, 1 - lam), "p.mul_(1 - weight_decay)"))
        else:
            eqs.append(decoupled_decay(lr, lam, parity=True))
    eqs += [Assign(update, TSign(Lerp(m, g, 1 - beta1)),
                   "exp_avg.lerp(grad, weight=1 - beta1).sign_()"),
            Assign(m, Lerp(m, g, 1 - beta2), "exp_avg.lerp_(grad, weight=1 - beta2)"),
            Assign(theta, AddScaled(theta, update, -lr), "p.add_(update, alpha=-lr)")]
    return tuple(eqs)


RULE = Rule(
    name="lion",
    title="Lion",
    doc=__doc__,
    hypers=(lr_h, beta1_h, beta2_h, wd_h, decouple_h, fixed_h, hyper_maximize()),
    states=states,
    textbook=textbook,
    implementation=implementation,
    reference=Reference.package("pytorch_optimizer", "Lion", install=DEV_INSTALL,
                                note="version 4.1"),
    sweep=({}, {"lr": 0.01}, {"beta1": 0.5, "beta2": 0.9}, {"beta1": 0.0},
           {"weight_decay": 0.1, "lr": 0.01}, {"weight_decay": 0.1, "fixed_decay": True},
           {"weight_decay": 0.1, "weight_decouple": False}, {"maximize": True},
           {"lr": 0.003, "weight_decay": 0.05, "beta1": 0.8, "maximize": True}),
    torch_note="not in torch: checked against pytorch_optimizer.Lion; the update is sign(c), "
               "so each coordinate moves by exactly lr (or 0); decoupled decay lr*wd*theta "
               "(the paper's form) is the default.",
    proof_assumptions=("sign(x) depends only on x: the two forms' interpolations are equal",),
    check_order=("lr", "beta1", "beta2", "weight_decay"),
    paths={"foreach": implementation},
)
