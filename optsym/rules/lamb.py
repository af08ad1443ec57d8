r"""LAMB (You et al., 2020, "Large Batch Optimization for Deep Learning", Algorithm 2), in the
form of its common implementation ``pytorch_optimizer.Lamb``.

.. optsym-equations: lamb (generated from the spec: python -m optsym.rules.docmath)

.. math::

    \begin{align*}
    m &\gets \beta_1 m + g \left(1 - \beta_1\right) && \text{first moment} \\
    v &\gets \beta_2 v + g^{2} \left(1 - \beta_2\right) && \text{second moment} \\
    \theta &\gets \theta \left(- \eta \lambda + 1\right) && \text{decoupled weight decay} \\
    U &\gets \frac{m}{\epsilon + \sqrt{v}} && \text{Adam-like direction} \\
    q &\gets \begin{cases} 1 & \text{for}\: \left\lVert U \right\rVert = 0 \vee \min\left(10, \left\lVert \theta \right\rVert\right) = 0 \\\frac{\min\left(10, \left\lVert \theta \right\rVert\right)}{\epsilon + \left\lVert U \right\rVert} & \text{otherwise} \end{cases} && \text{layer-wise trust ratio} \\
    \theta &\gets - \frac{\eta q U}{1 - \beta_1^{t}} + \theta && \text{update}
    \end{align*}

Symbols and arguments of ``pytorch_optimizer.Lamb``: :math:`\eta` = ``lr``,
:math:`\beta_1, \beta_2` = ``betas``, :math:`\epsilon` = ``eps``, :math:`\lambda` =
``weight_decay``; state :math:`m` = ``exp_avg``, :math:`v` = ``exp_avg_sq``, both starting at 0.
The norms are Euclidean norms of whole parameter tensors (layer-wise): :math:`q_t` is the
*trust ratio* that rescales each tensor's Adam-like step to the size of the tensor.

Where this common form departs from the paper: :math:`v` is not bias-corrected and the bias
correction of :math:`m` multiplies the step size outside the trust ratio (the paper's
bias-corrected :math:`\hat r_t` would cancel it); :math:`\epsilon` is added to
:math:`\lVert r_t\rVert`; the scaling function :math:`\phi` is the clamp to :math:`[0, 10]`
(``Lamb.clamp``); the default decay is decoupled (on the weights before the norms), the paper's
is the coupled :math:`r_t + \lambda\theta`.  Options of ``pytorch_optimizer.Lamb`` not modelled
(left at their defaults): ``rectify``, ``pre_norm`` (a global gradient norm across tensors),
``adam_debias``, ``adanorm``.

torch has no LAMB: the independent reference is ``pytorch_optimizer.Lamb`` (version 4.1).  Its
per-parameter path (``foreach=False``) computes ``exp_avg.mul_(beta1).add_(grad, alpha=beta3)``,
``exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)``, ``p.mul_(1 - wd*lr)``,
``update = m / (v.sqrt() + eps)``, ``torch.linalg.norm`` of the weights (clamped) and of the
update, and ``p.add_(update, alpha=-step_size * trust_ratio)`` with the trust ratio a 0-d
tensor: :func:`implementation`.  Its foreach path multiplies by the reciprocal of the
denominator and by the trust ratio before the step: :func:`foreach`.
"""

from __future__ import annotations

import sympy as sp

from optsym.ops import AddCMul, AddScaled, TAdd, TClamp, TDiv, TMul, TNeg, TRecip, TSqrt
from optsym.reductions import Norm
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
    t,
    tensor,
    theta,
    unit_interval,
)

#: ``pytorch_optimizer.Lamb.clamp``: the upper end of the trust ratio's weight norm
CLAMP = sp.Integer(10)

# pytorch_optimizer's checks and messages, in its order: lr, betas, weight_decay, eps
lr_h = Hyper("lr", scalar("lr", r"\eta", nonnegative=True), 1e-3, "learning rate", "lr >= 0",
             not_negative, "learning rate must be positive. ({value} > 0)", (1e-4, 0.1))
beta1_h = Hyper("beta1", scalar("beta1", r"\beta_1", nonnegative=True), 0.9,
                "decay of the first-moment average (betas[0])", "0 <= beta1 < 1",
                unit_interval, "beta1 must be in the range [0.0, 1.0)", (0.0, 0.99),
                argument="betas", position=0)
beta2_h = Hyper("beta2", scalar("beta2", r"\beta_2", nonnegative=True), 0.999,
                "decay of the second-moment average (betas[1])", "0 <= beta2 < 1",
                unit_interval, "beta2 must be in the range [0.0, 1.0)", (0.0, 0.999),
                argument="betas", position=1)
wd_h = Hyper("weight_decay", scalar("weight_decay", r"\lambda", nonnegative=True), 0.0,
             "weight decay coefficient", "weight_decay >= 0", not_negative,
             "weight_decay must be non-negative", (0.0, 0.5))
eps_h = Hyper("eps", scalar("eps", r"\epsilon", nonnegative=True), 1e-6,
              "added to the denominator and to the update's norm", "eps >= 0", not_negative,
              "eps must be non-negative", (1e-8, 1e-2))
decouple_h = Hyper("weight_decouple", None, True,
                   "decay the weights before the norms (AdamW-style), not r + lambda*theta")
fixed_h = Hyper("fixed_decay", None, False, "decoupled decay by weight_decay, not lr*weight_decay")
averaging_h = Hyper("grad_averaging", None, True, "scale the new gradient by 1 - beta1 in m")
adam_h = Hyper("adam", None, False, "trust ratio 1 (Adam without v's bias correction)")

lr, beta1, beta2, lam, eps = (lr_h.symbol, beta1_h.symbol, beta2_h.symbol, wd_h.symbol,
                              eps_h.symbol)
m = tensor("exp_avg", "m")
v = tensor("exp_avg_sq", "v")
r = tensor("update", "r")
weight_norm = tensor("weight_norm", r"\phi")
update_norm = tensor("adam_norm", r"\lVert r\rVert")
trust_ratio = tensor("trust_ratio", "q")
bias_correction1 = scalar("bias_correction1", "c_1")
step_size = scalar("step_size", r"\alpha_t")


def states(cfg: Config) -> tuple[State, ...]:
    return (State("exp_avg", m, sp.S.Zero, "first-moment EMA"),
            State("exp_avg_sq", v, sp.S.Zero, "second-moment EMA", nonnegative=True))


def _beta3(cfg: Config) -> sp.Expr:
    return 1 - beta1 if cfg["grad_averaging"] else sp.S.One


def _decay(cfg: Config) -> str | None:
    """Which weight decay runs: ``"decoupled"``, ``"coupled"`` or None."""
    if cfg["weight_decay"] == 0:
        return None
    return "decoupled" if cfg["weight_decouple"] else "coupled"


def _ratio(wn: sp.Expr, rn: sp.Expr, value: sp.Expr) -> sp.Piecewise:
    """The trust ratio: 1 where either norm is 0, else ``value``."""
    return sp.Piecewise((sp.S.One, sp.Eq(wn, 0) | sp.Eq(rn, 0)), (value, True))


def textbook(cfg: Config) -> tuple[Assign, ...]:
    eqs: list[Assign] = []
    if cfg["maximize"]:
        eqs.append(Assign(g, -g, "maximize: ascend"))
    eqs += [Assign(m, beta1 * m + _beta3(cfg) * g, "first moment"),
            Assign(v, beta2 * v + (1 - beta2) * g**2, "second moment")]
    if _decay(cfg) == "decoupled":
        rate = lam if cfg["fixed_decay"] else lr * lam
        eqs.append(Assign(theta, (1 - rate) * theta, "decoupled weight decay"))
    direction = m / (sp.sqrt(v) + eps)
    if _decay(cfg) == "coupled":
        direction += lam * theta
    eqs.append(Assign(r, direction, "Adam-like direction"))
    if cfg["adam"]:
        eqs.append(Assign(trust_ratio, sp.S.One, "adam: no trust ratio"))
    else:
        phi = sp.Min(Norm(theta), CLAMP)
        eqs.append(Assign(trust_ratio, _ratio(phi, Norm(r), phi / (Norm(r) + eps)),
                          "layer-wise trust ratio"))
    eqs.append(Assign(theta, theta - lr / (1 - beta1**t) * trust_ratio * r, "update"))
    return tuple(eqs)


def _moments_and_direction(cfg: Config, foreach: bool) -> list[Assign]:
    """maximize, the moments, decoupled decay and the direction r, in pytorch_optimizer's
    order (the foreach path divides by multiplying with ``torch._foreach_reciprocal_``)."""
    eqs: list[Assign] = []
    if cfg["maximize"]:
        eqs.append(Assign(g, TNeg(g), "grad.neg_()"))
    eqs += [Assign(m, AddScaled(TMul(m, beta1), g, _beta3(cfg)),
                   "exp_avg.mul_(beta1).add_(grad, alpha=beta3)"),
            Assign(v, AddCMul(TMul(v, beta2), g, g, 1 - beta2),
                   "exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)"),
            Assign(bias_correction1, 1 - beta1**t),
            Assign(step_size, lr / bias_correction1)]
    if _decay(cfg) == "decoupled":
        factor = 1 - lam if cfg["fixed_decay"] else 1 - lr * lam
        eqs.append(Assign(theta, TMul(theta, factor), "p.mul_(1 - weight_decay * lr)"))
    if foreach:
        eqs.append(Assign(r, TMul(TRecip(TAdd(TSqrt(v), eps)), m),
                          "_foreach_reciprocal_(v.sqrt() + eps), then * exp_avg"))
    else:
        eqs.append(Assign(r, TDiv(m, TAdd(TSqrt(v), eps)),
                          "torch.div(exp_avg, exp_avg_sq.sqrt().add_(eps))"))
    if _decay(cfg) == "coupled":
        eqs.append(Assign(r, AddScaled(r, theta, lam), "update.add_(p, alpha=weight_decay)"))
    eqs += [Assign(weight_norm, TClamp(Norm(theta), 0, CLAMP),
                   "torch.linalg.norm(p).clamp_(min=0, max=10)"),
            Assign(update_norm, Norm(r), "torch.linalg.norm(update)")]
    return eqs


def implementation(cfg: Config) -> tuple[Assign, ...]:
    """pytorch_optimizer's per-parameter path: ``p.add_(update, alpha=-step_size * ratio)``."""
    eqs = _moments_and_direction(cfg, foreach=False)
    if cfg["adam"]:
        eqs.append(Assign(theta, AddScaled(theta, r, -step_size), "p.add_(update, alpha=-lr)"))
        return tuple(eqs)
    eqs += [Assign(trust_ratio, _ratio(weight_norm, update_norm,
                                       TDiv(weight_norm, TAdd(update_norm, eps))),
                   "weight_norm / (p_norm + eps), 1.0 where a norm is 0"),
            Assign(theta, AddScaled(theta, r, -step_size * trust_ratio),
                   "p.add_(update, alpha=-step_size * trust_ratio)")]
    return tuple(eqs)


def foreach(cfg: Config) -> tuple[Assign, ...]:
    """pytorch_optimizer's foreach path: the update times the trust ratio, then the step."""
    eqs = _moments_and_direction(cfg, foreach=True)
    if not cfg["adam"]:
        eqs += [Assign(trust_ratio, _ratio(weight_norm, update_norm,
                                           TDiv(weight_norm, TAdd(update_norm, eps))),
                       "torch.where(norms != 0, weight_norm / (p_norm + eps), 1.0)"),
                Assign(r, TMul(r, trust_ratio), "_foreach_mul_(updates, trust_ratios)")]
    eqs.append(Assign(theta, AddScaled(theta, r, -step_size),
                      "foreach_add_(params, updates, alpha=-step_size)"))
    return tuple(eqs)


RULE = Rule(
    name="lamb",
    title="LAMB",
    doc=__doc__,
    hypers=(lr_h, beta1_h, beta2_h, wd_h, eps_h, decouple_h, fixed_h, averaging_h, adam_h,
            hyper_maximize()),
    states=states,
    textbook=textbook,
    implementation=implementation,
    reference=Reference.package("pytorch_optimizer", "Lamb", install=DEV_INSTALL,
                                note="version 4.1"),
    sweep=({}, {"lr": 0.01}, {"weight_decay": 0.1}, {"weight_decay": 0.1, "fixed_decay": True},
           {"weight_decay": 0.1, "weight_decouple": False}, {"grad_averaging": False},
           {"adam": True}, {"maximize": True}, {"beta1": 0.5, "beta2": 0.9, "eps": 1e-3},
           {"lr": 0.01, "weight_decay": 0.05, "weight_decouple": False, "maximize": True,
            "grad_averaging": False}),
    torch_note="not in torch: checked against pytorch_optimizer.Lamb; v is not bias-corrected, "
               "m's correction scales the step outside the trust ratio, eps is added to the "
               "update's norm, phi = clamp to [0, 10], weight decay decoupled by default.",
    proof_assumptions=("norms are nonnegative",
                       "sqrt(v) + eps > 0 (v >= 0 is a convex combination of squares)"),
    check_order=("lr", "beta1", "beta2", "weight_decay", "eps"),
    paths={"foreach": foreach},
)
