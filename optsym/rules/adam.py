r"""Adam (Kingma & Ba, 2015), with torch's options.

.. optsym-equations: adam (generated from the spec: python -m optsym.rules.docmath)

.. math::

    \begin{align*}
    g &\gets - g && \text{maximize: ascend} \\
    g &\gets \lambda \theta + g && \text{L2 penalty added to the gradient} \\
    m &\gets \beta_1 m + g \left(1 - \beta_1\right) && \text{first moment} \\
    v &\gets \beta_2 v + g^{2} \left(1 - \beta_2\right) && \text{second moment} \\
    v^{\max} &\gets \max\left(v, v^{\max}\right) && \text{AMSGrad running maximum} \\
    \hat m &\gets \frac{m}{1 - \beta_1^{t}} && \text{bias correction} \\
    \hat v &\gets \frac{v^{\max}}{1 - \beta_2^{t}} && \text{bias correction} \\
    \theta &\gets - \frac{\eta \hat m}{\epsilon + \sqrt{\hat v}} + \theta && \text{update}
    \end{align*}

.. optsym-equations: adamw (generated from the spec: python -m optsym.rules.docmath)

.. math::

    \begin{align*}
    \theta &\gets \theta \left(- \eta \lambda + 1\right) && \text{decoupled weight decay} \\
    m &\gets \beta_1 m + g \left(1 - \beta_1\right) && \text{first moment} \\
    v &\gets \beta_2 v + g^{2} \left(1 - \beta_2\right) && \text{second moment} \\
    v^{\max} &\gets \max\left(v, v^{\max}\right) && \text{AMSGrad running maximum} \\
    \hat m &\gets \frac{m}{1 - \beta_1^{t}} && \text{bias correction} \\
    \hat v &\gets \frac{v^{\max}}{1 - \beta_2^{t}} && \text{bias correction} \\
    \theta &\gets - \frac{\eta \hat m}{\epsilon + \sqrt{\hat v}} + \theta && \text{update}
    \end{align*}

Symbols and torch arguments: :math:`\eta` = ``lr``, :math:`\beta_1, \beta_2` = ``betas``,
:math:`\epsilon` = ``eps``, :math:`\lambda` = ``weight_decay``; state :math:`m` = ``exp_avg``,
:math:`v` = ``exp_avg_sq``, :math:`v^{\max}` = ``max_exp_avg_sq``, all starting at 0; t = 1 on
the first step.

torch's single-tensor path computes the same quantity as
``m.lerp_(g, 1-beta1)``, ``v.mul_(beta2).addcmul_(g, g, value=1-beta2)``,
``denom = (v.sqrt() / bc2**0.5).add_(eps)``, ``param.addcdiv_(m, denom, value=-lr/bc1)``:
:func:`implementation` writes that order and the proof shows it equals the equations above.
"""

from __future__ import annotations

import dataclasses

import sympy as sp

from optsym.ops import (AddCDiv, AddCMul, FusedCpuMax, Lerp, LibmSqrt, TAdd, TDiv, TMax, TMul,
                        TNeg, TSqrt)
from optsym.rules._fused import FUSED_INEXACT
from optsym.rules._prologue import decoupled_decay, gradient_prologue
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
    unit_interval,
)

lr_h = hyper_lr(1e-3)
beta1_h = Hyper("beta1", scalar("beta1", r"\beta_1", nonnegative=True), 0.9,
                "decay of the first-moment average (betas[0])", "0 <= beta1 < 1", unit_interval,
                "Invalid beta parameter at index 0: {value}", (0.0, 0.99),
                argument="betas", position=0)
beta2_h = Hyper("beta2", scalar("beta2", r"\beta_2", nonnegative=True), 0.999,
                "decay of the second-moment average (betas[1])", "0 <= beta2 < 1", unit_interval,
                "Invalid beta parameter at index 1: {value}", (0.0, 0.999),
                argument="betas", position=1)
eps_h = hyper_eps(1e-8)
amsgrad_h = Hyper("amsgrad", None, False, "use the running maximum of v (AMSGrad)")

lr, beta1, beta2, eps = lr_h.symbol, beta1_h.symbol, beta2_h.symbol, eps_h.symbol

m = tensor("exp_avg", "m")
v = tensor("exp_avg_sq", "v")
vmax = tensor("max_exp_avg_sq", r"v^{\max}")
m_hat = tensor("m_hat", r"\hat m")
v_hat = tensor("v_hat", r"\hat v")
denom = tensor("denom", r"d")
bias_correction1 = scalar("bias_correction1", "c_1")
bias_correction2 = scalar("bias_correction2", "c_2")
bias_correction2_sqrt = scalar("bias_correction2_sqrt", r"\sqrt{c_2}")
step_size = scalar("step_size", r"\alpha_t")


def _hypers(weight_decay: float, decoupled_option: bool) -> tuple[Hyper, ...]:
    """Adam's options; AdamW has the same ones less ``decoupled_weight_decay`` (always on)."""
    decay = hyper_weight_decay(weight_decay)
    if not decoupled_option:  # AdamW's decay is decoupled: not an L2 penalty on the loss
        decay = dataclasses.replace(decay, doc="decoupled weight decay: theta <- (1 - eta "
                                    "lambda) theta before the Adam step, eta = lr, lambda = "
                                    "weight_decay (not an L2 penalty)")
    base = (lr_h, beta1_h, beta2_h, eps_h, decay, amsgrad_h, hyper_maximize())
    if not decoupled_option:
        return base
    return base + (Hyper("decoupled_weight_decay", None, False,
                         "decay the weights directly (AdamW), not via L2 on the gradient"),)


def states(cfg: Config) -> tuple[State, ...]:
    out = (State("exp_avg", m, sp.S.Zero, "first-moment EMA"),
           State("exp_avg_sq", v, sp.S.Zero, "second-moment EMA", nonnegative=True))
    if cfg["amsgrad"]:
        out += (State("max_exp_avg_sq", vmax, sp.S.Zero, "running max of v", nonnegative=True),)
    return out


def _prologue(cfg: Config, lam: sp.Symbol, parity: bool) -> list[Assign]:
    """maximize, then weight decay: coupled (L2 on the gradient) or decoupled (on the weights)."""
    decoupled = cfg.get("decoupled_weight_decay", True)
    eqs = gradient_prologue(cfg, lam, parity, coupled=not decoupled)
    if decoupled and cfg["weight_decay"] != 0:
        eqs.append(decoupled_decay(lr, lam, parity))
    return eqs


def textbook(cfg: Config) -> tuple[Assign, ...]:
    lam = hyper_weight_decay().symbol
    second = vmax if cfg["amsgrad"] else v
    eqs = _prologue(cfg, lam, parity=False)
    eqs += [Assign(m, beta1 * m + (1 - beta1) * g, "first moment"),
            Assign(v, beta2 * v + (1 - beta2) * g**2, "second moment")]
    if cfg["amsgrad"]:
        eqs.append(Assign(vmax, sp.Max(vmax, v), "AMSGrad running maximum"))
    eqs += [Assign(m_hat, m / (1 - beta1**t), "bias correction"),
            Assign(v_hat, second / (1 - beta2**t), "bias correction"),
            Assign(theta, theta - lr * m_hat / (sp.sqrt(v_hat) + eps), "update")]
    return tuple(eqs)


def _moments_and_denominator(cfg: Config, sqrt, maximum=TMax) -> list[Assign]:
    """torch's moment updates, bias corrections (``sqrt``: Python's ``** 0.5`` or C's
    ``std::sqrt``; ``maximum``: AMSGrad's, see :class:`~optsym.ops.FusedCpuMax`) and
    denominator, shared by the single-tensor, foreach and fused forms."""
    eqs = [Assign(m, Lerp(m, g, 1 - beta1), "exp_avg.lerp_(grad, 1 - beta1)"),
           Assign(v, AddCMul(TMul(v, beta2), g, g, 1 - beta2),
                  "exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)"),
           Assign(bias_correction1, 1 - beta1**t),
           Assign(bias_correction2, 1 - beta2**t),
           Assign(step_size, lr / bias_correction1),
           Assign(bias_correction2_sqrt, sqrt(bias_correction2))]
    second = v
    if cfg["amsgrad"]:
        eqs.append(Assign(vmax, maximum(vmax, v), "torch.maximum(max_exp_avg_sq, exp_avg_sq)"))
        second = vmax
    eqs.append(Assign(denom, TAdd(TDiv(TSqrt(second), bias_correction2_sqrt), eps),
                      "(v.sqrt() / bias_correction2_sqrt).add_(eps)"))
    return eqs


def implementation(cfg: Config) -> tuple[Assign, ...]:
    """torch's CPU single-tensor order (``bias_correction2 ** 0.5``, then ``addcdiv``)."""
    lam = hyper_weight_decay().symbol
    eqs = _prologue(cfg, lam, parity=True) + _moments_and_denominator(cfg, sp.sqrt)
    eqs.append(Assign(theta, AddCDiv(theta, m, denom, -step_size),
                      "param.addcdiv_(exp_avg, denom, value=-step_size)"))
    return tuple(eqs)


def fused(cfg: Config) -> tuple[Assign, ...]:
    """torch's fused CPU kernel (``_fused_adam_`` / ``_fused_adamw_``): the closest model found.

    Bias corrections are doubles and ``bias_correction2_sqrt`` is ``std::sqrt``; the moments are
    a ``lerp`` and a fused multiply-add (measured against torch 2.13 over 50 steps: with the
    source's ``m*beta1 + g*(1-beta1)``, separate or fused, 70-482 ULP; this form 5-6), the
    update is ``param - (m * step_size) / denom``.  torch's compiled kernel still differs by a
    rounding here and there (FMA contraction chosen by the compiler; a scalar tail computed in
    double), so this path is checked within the rounding bound, not bitwise (``RULE.inexact``).
    """
    lam = hyper_weight_decay().symbol
    eqs = _prologue(cfg, lam, parity=True) + _moments_and_denominator(cfg, LibmSqrt,
                                                                       FusedCpuMax)
    eqs.append(Assign(theta, TAdd(theta, TNeg(TDiv(TMul(m, step_size), denom))),
                      "param - step_size * m / denom"))
    return tuple(eqs)


#: torch's foreach path on CPU runs the single-tensor kernels in the same order (its step size
#: ``(lr / bc1) * -1`` equals ``-(lr / bc1)`` exactly), so its form is the single-tensor form.
_PATHS = {"foreach": implementation, "fused": fused}

_ASSUMPTIONS = ("0 <= beta2 < 1 and t >= 1, so 1 - beta2**t > 0",
                "v >= 0 (a convex combination of squares)",
                "sqrt(a/b) = sqrt(a)/sqrt(b) for a >= 0, b > 0")

RULE = Rule(
    name="adam",
    title="Adam",
    doc=__doc__,
    hypers=_hypers(0.0, decoupled_option=True),
    states=states,
    textbook=textbook,
    implementation=implementation,
    reference=Reference.torch("Adam", functional="optsym.verify.functional:adam"),
    sweep=({}, {"lr": 0.1}, {"weight_decay": 0.1}, {"amsgrad": True}, {"maximize": True},
           {"weight_decay": 0.1, "decoupled_weight_decay": True},
           {"beta1": 0.5, "beta2": 0.9, "eps": 1e-3},
           {"lr": 0.01, "weight_decay": 0.05, "amsgrad": True, "maximize": True}),
    torch_note="torch adds eps outside the square root of the bias-corrected v (paper's body); "
               "the paper's footnote form eps-hat differs.",
    proof_assumptions=_ASSUMPTIONS,
    check_order=("lr", "eps", "beta1", "beta2", "weight_decay"),
    paths=_PATHS,
    inexact=FUSED_INEXACT,
)

ADAMW = Rule(
    name="adamw",
    title="AdamW",
    doc=__doc__.replace("Adam (Kingma & Ba, 2015)", "AdamW (Loshchilov & Hutter, 2019): Adam "
                        "with decoupled weight decay", 1),
    hypers=_hypers(1e-2, decoupled_option=False),
    states=states,
    textbook=textbook,
    implementation=implementation,
    reference=Reference.torch("AdamW", functional="optsym.verify.functional:adamw"),
    sweep=({}, {"lr": 0.01, "weight_decay": 0.1}, {"amsgrad": True}, {"maximize": True},
           {"weight_decay": 0.0}, {"beta1": 0.5, "beta2": 0.9, "eps": 1e-3}),
    torch_note="torch decays by lr*weight_decay (tied to the schedule), not by weight_decay alone.",
    proof_assumptions=_ASSUMPTIONS,
    check_order=("lr", "eps", "beta1", "beta2", "weight_decay"),
    paths=_PATHS,
    inexact=FUSED_INEXACT,
)
