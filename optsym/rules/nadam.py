r"""NAdam (Dozat, 2016): Adam with Nesterov momentum and a momentum schedule, as in torch.

.. optsym-equations: nadam (generated from the spec: python -m optsym.rules.docmath)

.. math::

    \begin{align*}
    g &\gets - g && \text{maximize: ascend} \\
    g &\gets \lambda \theta + g && \text{L2 penalty added to the gradient} \\
    \mu_t &\gets \beta_1 \left(1 - \frac{\left(\frac{24}{25}\right)^{\psi t}}{2}\right) && \text{momentum schedule} \\
    \mu_{t+1} &\gets \beta_1 \left(1 - \frac{\left(\frac{24}{25}\right)^{\psi \left(t + 1\right)}}{2}\right) && \text{next step's momentum} \\
    \Pi &\gets \mu_t \Pi && \text{product of the schedule} \\
    m &\gets \beta_1 m + g \left(1 - \beta_1\right) && \text{first moment} \\
    v &\gets \beta_2 v + g^{2} \left(1 - \beta_2\right) && \text{second moment} \\
    \hat m &\gets \frac{\mu_{t+1} m}{- \mu_{t+1} \Pi + 1} + \frac{g \left(1 - \mu_t\right)}{1 - \Pi} && \text{Nesterov-corrected first moment} \\
    \hat v &\gets \frac{v}{1 - \beta_2^{t}} && \text{bias correction} \\
    \theta &\gets - \frac{\eta \hat m}{\epsilon + \sqrt{\hat v}} + \theta && \text{update}
    \end{align*}

Symbols and torch arguments: :math:`\eta` = ``lr``, :math:`\beta_1, \beta_2` = ``betas``,
:math:`\epsilon` = ``eps``, :math:`\lambda` = ``weight_decay``, :math:`\psi` =
``momentum_decay``; state :math:`m` = ``exp_avg``, :math:`v` = ``exp_avg_sq`` (both starting at
0) and :math:`\Pi` = ``mu_product`` (starting at 1), the product of the momentum schedule.

torch keeps ``mu_product`` as a 0-d **float32** tensor (whatever the parameters' dtype) and reads
it back with ``.item()``: ``mu_product *= mu`` rounds ``mu`` to float32 and the product to
float32 (:class:`~optsym.ops.Float32`).  The momentum schedule and the step sizes are Python
floats, computed in torch's own order (:mod:`optsym.pyops`): ``0.96 ** (step *
momentum_decay)``, ``-lr * (1.0 - mu) / (1.0 - mu_product)``; the denominator is
``exp_avg_sq.div(bias_correction2).sqrt().add_(eps)``, and the parameter takes two
``addcdiv_`` calls.  torch's foreach path divides ``sqrt(v)`` by ``bias_correction2 ** 0.5``
instead (:func:`foreach`).
"""

from __future__ import annotations

import sympy as sp

from optsym.ops import AddCDiv, AddCMul, Float32, Lerp, TAdd, TDiv, TMul, TSqrt
from optsym.pyops import PyMul, parse
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
    nonneg,
    scalar,
    t,
    tensor,
    theta,
)

lr_h = hyper_lr(2e-3)
eps_h = hyper_eps(1e-8)
wd_h = hyper_weight_decay()
momentum_decay_h = Hyper("momentum_decay", scalar("momentum_decay", r"\psi", nonnegative=True),
                         4e-3, "momentum decay (the schedule's rate)", "momentum_decay >= 0",
                         nonneg, "Invalid momentum_decay value: {value}", (0.0, 0.05))
decoupled_h = Hyper("decoupled_weight_decay", None, False,
                    "decay the weights directly (NAdamW), not via L2 on the gradient")

lr, beta1, beta2, eps = lr_h.symbol, beta1_h.symbol, beta2_h.symbol, eps_h.symbol
lam, psi = wd_h.symbol, momentum_decay_h.symbol

m = tensor("exp_avg", "m")
v = tensor("exp_avg_sq", "v")
mu_product = scalar("mu_product", r"\Pi")
mu = scalar("mu", r"\mu_t")
mu_next = scalar("mu_next", r"\mu_{t+1}")
m_hat = tensor("m_hat", r"\hat m")
v_hat = tensor("v_hat", r"\hat v")
denom = tensor("denom", "d")
bias_correction2 = scalar("bias_correction2", "c_2")
mu_product_next = scalar("mu_product_next", r"\Pi_{t+1}")
step_size_grad = scalar("step_size_grad", r"\alpha_g")
step_size_exp_avg = scalar("step_size_exp_avg", r"\alpha_m")

#: torch's Python-float names -> symbols, for :func:`optsym.pyops.parse`
_NAMES = {"lr": lr, "beta1": beta1, "beta2": beta2, "momentum_decay": psi, "step": t,
          "mu": mu, "mu_next": mu_next, "mu_product": mu_product,
          "mu_product_next": mu_product_next, "bias_correction2": bias_correction2}


def _py(source: str) -> sp.Expr:
    """One of torch's scalar expressions, in torch's order (``0.96`` written as ``24 / 25``:
    the same double, and an exact rational for the proof)."""
    return parse(source, _NAMES)


def _schedule(k: sp.Expr) -> sp.Expr:
    """The paper's momentum schedule mu_k = beta1 (1 - 0.96**(k psi) / 2)."""
    return beta1 * (1 - sp.Rational(1, 2) * sp.Rational(24, 25) ** (k * psi))


def states(cfg: Config) -> tuple[State, ...]:
    return (State("exp_avg", m, sp.S.Zero, "first-moment EMA"),
            State("exp_avg_sq", v, sp.S.Zero, "second-moment EMA", nonnegative=True),
            State("mu_product", mu_product, sp.S.One,
                  "product of the momentum schedule (torch: 0-d float32 tensor)",
                  nonnegative=True, scalar=True))


def _prologue(cfg: Config, parity: bool) -> list[Assign]:
    decoupled = cfg["decoupled_weight_decay"]
    eqs = gradient_prologue(cfg, lam, parity, coupled=not decoupled)
    if decoupled and cfg["weight_decay"] != 0:
        eqs.append(decoupled_decay(lr, lam, parity))
    return eqs


def textbook(cfg: Config) -> tuple[Assign, ...]:
    eqs = _prologue(cfg, parity=False)
    eqs += [Assign(mu, _schedule(t), "momentum schedule"),
            Assign(mu_next, _schedule(t + 1), "next step's momentum"),
            Assign(mu_product, mu_product * mu, "product of the schedule"),
            Assign(m, beta1 * m + (1 - beta1) * g, "first moment"),
            Assign(v, beta2 * v + (1 - beta2) * g**2, "second moment"),
            Assign(m_hat, mu_next * m / (1 - mu_product * mu_next)
                   + (1 - mu) * g / (1 - mu_product), "Nesterov-corrected first moment"),
            Assign(v_hat, v / (1 - beta2**t), "bias correction"),
            Assign(theta, theta - lr * m_hat / (sp.sqrt(v_hat) + eps), "update")]
    return tuple(eqs)


def _common(cfg: Config) -> list[Assign]:
    """What the single-tensor and foreach paths share, up to the moments."""
    eqs = [Assign(bias_correction2, _py("1 - beta2**step"))]
    eqs += _prologue(cfg, parity=True)
    eqs += [Assign(mu, _py("beta1 * (1.0 - 0.5 * ((24 / 25) ** (step * momentum_decay)))")),
            Assign(mu_next,
                   _py("beta1 * (1.0 - 0.5 * ((24 / 25) ** ((step + 1) * momentum_decay)))")),
            Assign(mu_product, Float32(PyMul(mu_product, Float32(mu))),
                   "mu_product *= mu (a float32 tensor)"),
            Assign(m, Lerp(m, g, 1 - beta1), "exp_avg.lerp_(grad, 1 - beta1)"),
            Assign(v, AddCMul(TMul(v, beta2), g, g, 1 - beta2),
                   "exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)")]
    return eqs


def _update(denominator: sp.Expr, note: str, grad_size: str, exp_avg_size: str
            ) -> list[Assign]:
    """The denominator, the two step sizes (torch's Python sources) and the two addcdiv."""
    return [Assign(denom, denominator, note),
            Assign(mu_product_next, _py("mu_product * mu_next")),
            Assign(step_size_grad, _py(grad_size)),
            Assign(step_size_exp_avg, _py(exp_avg_size)),
            Assign(theta, AddCDiv(theta, g, denom, step_size_grad),
                   "param.addcdiv_(grad, denom, value=-lr * (1 - mu) / (1 - mu_product))"),
            Assign(theta, AddCDiv(theta, m, denom, step_size_exp_avg),
                   "param.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1 - mu_product_next))")]


def implementation(cfg: Config) -> tuple[Assign, ...]:
    """torch's CPU single-tensor order (``_single_tensor_nadam``)."""
    return tuple(_common(cfg) + _update(TAdd(TSqrt(TDiv(v, bias_correction2)), eps),
                                        "exp_avg_sq.div(bias_correction2).sqrt().add_(eps)",
                                        "-lr * (1.0 - mu) / (1.0 - mu_product)",
                                        "(-lr * mu_next) / (1.0 - mu_product_next)"))


def foreach(cfg: Config) -> tuple[Assign, ...]:
    """torch's CPU foreach order (``_multi_tensor_nadam``): ``sqrt(v)`` divided by
    ``bias_correction2 ** 0.5`` (not ``sqrt(v / bias_correction2)``), step sizes written
    ``(lr * ...) * -1``; the same kernels per tensor otherwise."""
    return tuple(_common(cfg) + _update(
        TAdd(TDiv(TSqrt(v), _py("bias_correction2 ** 0.5")), eps),
        "sqrt(exp_avg_sq) / bias_correction2 ** 0.5 + eps (_foreach_div_, _foreach_add_)",
        "(lr * (1.0 - mu) / (1.0 - mu_product)) * -1",
        "(lr * mu_next / (1.0 - mu_product * mu_next)) * -1"))


RULE = Rule(
    name="nadam",
    title="NAdam",
    doc=__doc__,
    hypers=(lr_h, beta1_h, beta2_h, eps_h, wd_h, momentum_decay_h, decoupled_h,
            hyper_maximize()),
    states=states,
    textbook=textbook,
    implementation=implementation,
    reference=Reference.torch("NAdam", functional="optsym.verify.functional:nadam"),
    sweep=({}, {"lr": 0.01}, {"momentum_decay": 6e-3}, {"weight_decay": 0.1},
           {"weight_decay": 0.1, "decoupled_weight_decay": True}, {"maximize": True},
           {"beta1": 0.5, "beta2": 0.9, "eps": 1e-3},
           {"lr": 0.01, "weight_decay": 0.05, "momentum_decay": 0.02, "maximize": True}),
    torch_note="torch's momentum schedule is mu_t = beta1*(1 - 0.5*0.96**(t*momentum_decay)) "
               "(Dozat's, with psi = momentum_decay); the schedule's product mu_product is a "
               "float32 0-d tensor even for float64 parameters; eps is added outside the "
               "square root of the bias-corrected v; decoupled_weight_decay gives NAdamW.",
    proof_assumptions=("0 <= beta2 < 1 and t >= 1, so 1 - beta2**t > 0",
                       "v >= 0 (a convex combination of squares)"),
    check_order=("lr", "eps", "beta1", "beta2", "weight_decay", "momentum_decay"),
    paths={"foreach": foreach},  # torch has no fused NAdam
)
