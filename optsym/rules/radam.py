r"""RAdam (Liu et al., 2020): Adam with the variance of the adaptive step rectified, as in torch.

.. optsym-equations: radam (generated from the spec: python -m optsym.rules.docmath)

.. math::

    \begin{align*}
    g &\gets - g && \text{maximize: ascend} \\
    g &\gets \lambda \theta + g && \text{L2 penalty added to the gradient} \\
    m &\gets \beta_1 m + g \left(1 - \beta_1\right) && \text{first moment} \\
    v &\gets \beta_2 v + g^{2} \left(1 - \beta_2\right) && \text{second moment} \\
    \hat m &\gets \frac{m}{1 - \beta_1^{t}} && \text{bias correction} \\
    \rho_\infty &\gets -1 + \frac{2}{1 - \beta_2} && \text{maximum length of the approximated SMA} \\
    \rho_t &\gets - \frac{2 \beta_2^{t} t}{1 - \beta_2^{t}} + \rho_\infty && \text{its length at step t} \\
    \theta &\gets \begin{cases} - \frac{\eta \hat m \sqrt{\frac{\rho_\infty \left(\rho_t - 4\right) \left(\rho_t - 2\right)}{\rho_t \left(\rho_\infty - 4\right) \left(\rho_\infty - 2\right)}} \sqrt{1 - \beta_2^{t}}}{\epsilon + \sqrt{v}} + \theta & \text{for}\: \rho_t > 5 \\- \eta \hat m + \theta & \text{otherwise} \end{cases} && \text{rectified update; un-rectified while rho_t <= 5}
    \end{align*}

Symbols and torch arguments: :math:`\eta` = ``lr``, :math:`\beta_1, \beta_2` = ``betas``,
:math:`\epsilon` = ``eps``, :math:`\lambda` = ``weight_decay``; state :math:`m` = ``exp_avg``,
:math:`v` = ``exp_avg_sq``, both starting at 0.  :math:`\rho_t` is the length of the
approximated simple moving average; while it is at most 5 the variance of the adaptive rate is
intractable and the step is un-rectified (a ``Piecewise`` on :math:`t`, through
:math:`\rho_t`).

torch's single-tensor path computes ``bias_corrected_exp_avg * lr * adaptive_lr * rect`` with
``adaptive_lr = (bias_correction2 ** 0.5) / (exp_avg_sq.sqrt().add_(eps))``: a Python float
divided by a tensor, which torch evaluates as ``tensor.reciprocal() * float`` (two roundings),
then ``param.add_(update, alpha=-1.0)``; ``rect`` and ``rho_t`` are Python floats in torch's
order (:mod:`optsym.pyops`).
"""

from __future__ import annotations

import sympy as sp

from optsym.ops import AddCMul, AddScaled, Lerp, TAdd, TDiv, TMul, TRecip, TSqrt
from optsym.pyops import parse
from optsym.rules._prologue import decoupled_decay, gradient_prologue
from optsym.rules.adam import beta1_h, beta2_h
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
    scalar,
    t,
    tensor,
    theta,
)

lr_h = hyper_lr(1e-3)
eps_h = hyper_eps(1e-8)
wd_h = hyper_weight_decay()
decoupled_h = Hyper("decoupled_weight_decay", None, False,
                    "decay the weights directly (AdamW-style), not via L2 on the gradient")

lr, beta1, beta2, eps, lam = lr_h.symbol, beta1_h.symbol, beta2_h.symbol, eps_h.symbol, wd_h.symbol

m = tensor("exp_avg", "m")
v = tensor("exp_avg_sq", "v")
m_hat = tensor("bias_corrected_exp_avg", r"\hat m")
bias_correction1 = scalar("bias_correction1", "c_1")
bias_correction2 = scalar("bias_correction2", "c_2")
rho_inf = scalar("rho_inf", r"\rho_\infty")
rho_t = scalar("rho_t", r"\rho_t")

_NAMES = {"lr": lr, "beta1": beta1, "beta2": beta2, "step": t, "rho_inf": rho_inf,
          "rho_t": rho_t, "bias_correction1": bias_correction1,
          "bias_correction2": bias_correction2}

#: the rectification threshold (the paper's is 4; torch's is 5)
THRESHOLD = 5


def _py(source: str) -> sp.Expr:
    """One of torch's scalar expressions, in torch's order."""
    return parse(source, _NAMES)


def _rect(rho: sp.Expr, rho_infinity: sp.Expr) -> sp.Expr:
    """The paper's variance rectification term r_t."""
    return sp.sqrt((rho - 4) * (rho - 2) * rho_infinity
                   / ((rho_infinity - 4) * (rho_infinity - 2) * rho))


def states(cfg: Config) -> tuple[State, ...]:
    return (State("exp_avg", m, sp.S.Zero, "first-moment EMA"),
            State("exp_avg_sq", v, sp.S.Zero, "second-moment EMA", nonnegative=True))


def _prologue(cfg: Config, parity: bool) -> list[Assign]:
    decoupled = cfg["decoupled_weight_decay"]
    eqs = gradient_prologue(cfg, lam, parity, coupled=not decoupled)
    if decoupled and cfg["weight_decay"] != 0:
        eqs.append(decoupled_decay(lr, lam, parity))
    return eqs


def textbook(cfg: Config) -> tuple[Assign, ...]:
    eqs = _prologue(cfg, parity=False)
    rectified = theta - lr * m_hat * _rect(rho_t, rho_inf) * sp.sqrt(1 - beta2**t) \
        / (sp.sqrt(v) + eps)
    eqs += [Assign(m, beta1 * m + (1 - beta1) * g, "first moment"),
            Assign(v, beta2 * v + (1 - beta2) * g**2, "second moment"),
            Assign(m_hat, m / (1 - beta1**t), "bias correction"),
            Assign(rho_inf, 2 / (1 - beta2) - 1, "maximum length of the approximated SMA"),
            Assign(rho_t, rho_inf - 2 * t * beta2**t / (1 - beta2**t), "its length at step t"),
            Assign(theta, sp.Piecewise((rectified, rho_t > THRESHOLD),
                                       (theta - lr * m_hat, True)),
                   "rectified update; un-rectified while rho_t <= 5")]
    return tuple(eqs)


def implementation(cfg: Config) -> tuple[Assign, ...]:
    """torch's CPU single-tensor order (``_single_tensor_radam``)."""
    eqs = _prologue(cfg, parity=True)
    # Python float / tensor is tensor.reciprocal() * float in torch
    adaptive_lr = TMul(TRecip(TAdd(TSqrt(v), eps)), _py("bias_correction2**0.5"))
    rect = _py("((rho_t - 4) * (rho_t - 2) * rho_inf"
               " / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5")
    eqs += [Assign(m, Lerp(m, g, 1 - beta1), "exp_avg.lerp_(grad, 1 - beta1)"),
            Assign(v, AddCMul(TMul(v, beta2), g, g, 1 - beta2),
                   "exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)"),
            Assign(bias_correction1, _py("1 - beta1**step")),
            Assign(bias_correction2, _py("1 - beta2**step")),
            Assign(m_hat, TDiv(m, bias_correction1), "exp_avg / bias_correction1"),
            Assign(rho_inf, _py("2 / (1 - beta2) - 1")),
            Assign(rho_t, _py("rho_inf - 2 * step * (beta2**step) / bias_correction2")),
            Assign(theta, sp.Piecewise(
                (AddScaled(theta, TMul(TMul(TMul(m_hat, lr), adaptive_lr), rect), -1),
                 rho_t > THRESHOLD),
                (AddScaled(theta, TMul(m_hat, lr), -1), True)),
                "param.add_(bias_corrected_exp_avg * lr [* adaptive_lr * rect], alpha=-1.0)")]
    return tuple(eqs)


def foreach(cfg: Config) -> tuple[Assign, ...]:
    """torch's CPU foreach order (``_multi_tensor_radam``): one ``addcmul_`` with a per-element
    factor ``buffer = 1 / ((sqrt(v) + eps) / s) + u`` where ``s = bias_correction2 ** 0.5 *
    (lr * rect / bias_correction1) * -1`` and ``u = (lr * unrectified / bias_correction1) *
    -1``.  Rectified, ``u`` is ``-0.0`` and adding it is exact; un-rectified, ``rect = 0`` makes
    ``s = -0.0``, the reciprocal ``-0.0`` and the buffer exactly ``u``: ``param + u * exp_avg``
    in one rounding.  The buffer is kept as torch computes it on both branches: where
    ``sqrt(v) + eps`` is 0 (``eps = 0`` and a zero second moment) torch's ``0 / -0.0`` is NaN,
    and so is this form's."""
    eqs = _prologue(cfg, parity=True)
    rect = ("((rho_t - 4) * (rho_t - 2) * rho_inf"
            " / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5")
    scale = _py(f"((1 - beta2 ** step) ** 0.5) * (lr * {rect} / bias_correction1) * -1")
    # rect = 0: the same scale is -0.0, so (sqrt(v) + eps) / -0.0 is -inf and its reciprocal
    # -0.0, except where sqrt(v) + eps is 0 (eps = 0 and v = 0): 0 / -0.0 is NaN, as in torch
    unrectified = _py("((1 - beta2 ** step) ** 0.5) * (lr * 0 / bias_correction1) * -1")
    eqs += [Assign(m, Lerp(m, g, 1 - beta1), "_foreach_lerp_(exp_avgs, grads, 1 - beta1)"),
            Assign(v, AddCMul(TMul(v, beta2), g, g, 1 - beta2),
                   "_foreach_mul_(exp_avg_sqs, beta2); _foreach_addcmul_(..., 1 - beta2)"),
            Assign(rho_inf, _py("2 / (1 - beta2) - 1")),
            Assign(rho_t, _py("rho_inf - 2 * step * (beta2 ** step) / (1 - beta2 ** step)")),
            Assign(bias_correction1, _py("1 - beta1 ** step")),
            Assign(theta, sp.Piecewise(
                (AddCMul(theta, m, TRecip(TDiv(TAdd(TSqrt(v), eps), scale)), 1),
                 rho_t > THRESHOLD),
                (AddCMul(theta, m, TAdd(TRecip(TDiv(TAdd(TSqrt(v), eps), unrectified)),
                                        _py("(lr * 1.0 / bias_correction1) * -1")), 1),
                 True)),
                "_foreach_addcmul_(params, exp_avgs, buffer)")]
    return tuple(eqs)


RULE = Rule(
    name="radam",
    title="RAdam",
    doc=__doc__,
    hypers=(lr_h, beta1_h, beta2_h, eps_h, wd_h, decoupled_h, hyper_maximize()),
    states=states,
    textbook=textbook,
    implementation=implementation,
    reference=Reference.torch("RAdam", functional="optsym.verify.functional:radam"),
    sweep=({}, {"lr": 0.01}, {"weight_decay": 0.1},
           {"weight_decay": 0.1, "decoupled_weight_decay": True}, {"maximize": True},
           {"beta1": 0.5, "beta2": 0.9, "eps": 1e-3},
           {"beta2": 0.6},
           {"lr": 0.01, "weight_decay": 0.05, "beta2": 0.99, "maximize": True}),
    torch_note="torch rectifies when rho_t > 5 (the paper's Algorithm 2 says rho_t > 4) and "
               "adds eps to sqrt(v) in the adaptive rate sqrt(1 - beta2**t)/(sqrt(v) + eps) "
               "(the paper has sqrt((1 - beta2**t)/v)); with beta2 <= 0.6 (rho_inf <= 4) it is "
               "never rectified: SGD with a bias-corrected momentum.",
    proof_assumptions=("0 <= beta1, beta2 < 1 and t >= 1, so 1 - beta**t > 0",
                       "v >= 0 (a convex combination of squares)"),
    check_order=("lr", "eps", "beta1", "beta2", "weight_decay"),
    paths={"foreach": foreach},  # torch has no fused RAdam
)
