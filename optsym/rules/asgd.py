r"""ASGD: averaged stochastic gradient descent (Polyak & Juditsky, 1992; Bottou, 2012), as in torch.

.. optsym-equations: asgd (generated from the spec: python -m optsym.rules.docmath)

.. math::

    \begin{align*}
    g &\gets - g && \text{maximize: ascend} \\
    g &\gets \lambda \theta + g && \text{L2 penalty added to the gradient} \\
    \theta &\gets - \eta_t g + \theta \left(- \eta_t \kappa + 1\right) && \text{decayed SGD step} \\
    \bar\theta &\gets \begin{cases} \mu_t \left(- \bar\theta + \theta\right) + \bar\theta & \text{for}\: \mu_t \neq 1 \\\theta & \text{otherwise} \end{cases} && \text{Polyak averaging (the iterate itself while mu = 1)} \\
    \eta_t &\gets \eta \left(\kappa \eta t + 1\right)^{- \alpha_t} && \text{next step size} \\
    \mu_t &\gets \frac{1}{\max\left(1, t - t_0\right)} && \text{next averaging weight}
    \end{align*}

Symbols and torch arguments: :math:`\eta` = ``lr`` (the initial rate), :math:`\kappa` =
``lambd`` (the decay term), :math:`\alpha` = ``alpha`` (the power of the rate's decay),
:math:`t_0` = ``t0`` (the step at which averaging starts), :math:`\lambda` = ``weight_decay``;
state :math:`\eta_t` = ``eta`` (starting at ``lr``), :math:`\mu_t` = ``mu`` (starting at 1) and
:math:`\bar\theta` = ``ax``, the running average of the iterates (starting at 0; it is an output,
the parameter itself is never replaced by it).  While :math:`\mu_t = 1` (:math:`t \le t_0 + 1`)
the average is the iterate itself: a step case, as in torch (``ax.copy_(param)``).

torch keeps ``eta`` and ``mu`` as 0-d **float32** tensors (whatever the parameters' dtype) and
reads them with ``.item()``; it computes the next values in Python floats and stores them
through ``torch.as_tensor`` (:class:`~optsym.ops.Float32`).
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy as sp

from optsym.ops import AddScaled, Copy, Float32, Float32Pow, TAdd, TMul, TSub
from optsym.pyops import PyAdd, PyDiv, PyMul, parse
from optsym.rules._prologue import gradient_prologue
from optsym.params import shown
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
    scalar,
    t,
    tensor,
    theta,
)

lr_h = hyper_lr(1e-2)
lambd_h = Hyper("lambd", scalar("lambd", r"\kappa"), 1e-4, "decay term",
                "any real (torch does not check it)", None, "", (0.0, 0.1))
alpha_h = Hyper("alpha", scalar("alpha", r"\alpha"), 0.75, "power of the rate's decay",
                "any real (torch does not check it)", None, "", (0.0, 1.0))
t0_h = Hyper("t0", scalar("t0", "t_0"), 1e6, "step at which averaging starts",
             "any real (torch does not check it)", None, "", (0.0, 20.0))
wd_h = hyper_weight_decay()

lr, kappa, alpha, t0, lam = lr_h.symbol, lambd_h.symbol, alpha_h.symbol, t0_h.symbol, wd_h.symbol

eta = scalar("eta", r"\eta_t")
mu = scalar("mu", r"\mu_t")
ax = tensor("ax", r"\bar\theta")

_NAMES = {"lr": lr, "lambd": kappa, "alpha": alpha, "t0": t0, "step": t}


def _py(source: str) -> sp.Expr:
    """One of torch's scalar expressions, in torch's order."""
    return parse(source, _NAMES)


def states(cfg: Config) -> tuple[State, ...]:
    return (State("eta", eta, lr, "step size (torch: 0-d float32 tensor)", nonnegative=True,
                  scalar=True),
            State("mu", mu, sp.S.One, "averaging weight (torch: 0-d float32 tensor)",
                  nonnegative=True, scalar=True),
            State("ax", ax, sp.S.Zero, "running average of the iterates"))


def textbook(cfg: Config) -> tuple[Assign, ...]:
    eqs = gradient_prologue(cfg, lam, parity=False)
    eqs += [Assign(theta, (1 - kappa * eta) * theta - eta * g, "decayed SGD step"),
            Assign(ax, sp.Piecewise((ax + mu * (theta - ax), sp.Ne(mu, 1)), (theta, True)),
                   "Polyak averaging (the iterate itself while mu = 1)"),
            Assign(eta, lr / (1 + kappa * lr * t) ** alpha, "next step size"),
            Assign(mu, 1 / sp.Max(1, t - t0), "next averaging weight")]
    return tuple(eqs)


def implementation(cfg: Config) -> tuple[Assign, ...]:
    """torch's CPU single-tensor order (``_single_tensor_asgd``)."""
    eqs = gradient_prologue(cfg, lam, parity=True)
    eqs += [Assign(theta, TMul(theta, 1 - kappa * eta), "param.mul_(1 - lambd * eta)"),
            Assign(theta, AddScaled(theta, g, -eta), "param.add_(grad, alpha=-eta)"),
            Assign(ax, sp.Piecewise((TAdd(ax, TMul(TSub(theta, ax), mu)), sp.Ne(mu, 1)),
                                    (Copy(theta), True)),
                   "ax.add_(param.sub(ax).mul_(mu)) if mu != 1 else ax.copy_(param)"),
            Assign(eta, Float32(_py("lr / ((1 + lambd * lr * step) ** alpha)")),
                   "eta.copy_(torch.as_tensor(lr / ((1 + lambd * lr * step) ** alpha)))"),
            Assign(mu, Float32(_py("1 / max(1, step - t0)")),
                   "mu.copy_(torch.as_tensor(1 / max(1, step - t0)))")]
    return tuple(eqs)


def foreach(cfg: Config) -> tuple[Assign, ...]:
    """torch's CPU foreach order (``_multi_tensor_asgd``), which differs from the single-tensor
    path in three ways: the decay joins the gradient (``intermediate = grad + lambd * param``,
    then ``param.addcmul_(intermediate, eta, value=-1)``, one rounding, written here as
    ``add(param, intermediate, alpha=-eta)``); the average is always ``ax.addcmul_(param - ax,
    mu)`` (no copy when ``mu = 1``: that case is written with ``mu`` as 1, so the proof sees
    it); and the next ``eta`` is computed on the **float32 step tensor**:
    ``lr / ((1 + lambd * lr * step) ** alpha)`` is a float32 multiply, add, ``powf`` and
    ``reciprocal() * lr``, each rounded to float32."""
    eqs = gradient_prologue(cfg, lam, parity=True)
    decayed = AddScaled(g, theta, kappa)
    eqs += [Assign(g, decayed, "intermediate = grad + lambd * param (_foreach_add)"),
            Assign(theta, AddScaled(theta, g, -eta),
                   "param.addcmul_(intermediate, eta, value=-1) (_foreach_addcmul_)"),
            Assign(ax, sp.Piecewise((AddScaled(ax, TSub(theta, ax), mu), sp.Ne(mu, 1)),
                                    (AddScaled(ax, TSub(theta, ax), 1), True)),
                   "ax.addcmul_(param - ax, mu) (_foreach_addcmul_)"),
            Assign(eta, _float32_rate(), "torch.as_tensor(lr / ((1 + lambd * lr * step) ** "
                                         "alpha)) with step a float32 tensor"),
            Assign(mu, Float32(_py("1 / max(1, step - t0)")),
                   "torch.as_tensor(1 / max(1, step.item() - t0))")]
    return tuple(eqs)


def _float32_rate() -> sp.Expr:
    """``lr / ((1 + lambd * lr * step) ** alpha)`` with ``step`` a 0-d float32 tensor: each
    operation is torch's float32 kernel (a Python float operand is rounded to float32 first;
    ``float / tensor`` is ``tensor.reciprocal() * float``)."""
    scaled = Float32(PyMul(t, Float32(_py("lambd * lr"))))
    power = Float32Pow(Float32(PyAdd(1, scaled)), alpha)
    return Float32(PyMul(Float32(PyDiv(1, power)), Float32(lr)))


def _horizon(cfg: Config, steps: int) -> str | None:
    r"""The rate's base :math:`1 + \kappa \eta t` stays positive for :math:`t \le` ``steps``,
    exactly and in torch's float arithmetic.

    torch does not check ``lambd``.  A negative one reaches a base :math:`\le 0` at
    :math:`t^* = \lceil -1/(\kappa\eta) \rceil` (exact, from the two floats), where the rate is
    a fractional power of a non-positive number: torch's single-tensor path then keeps the real
    part of a complex power (with a warning), its foreach path gives NaN.  Before :math:`t^*`
    the rule is well defined and verified as any other.
    """
    product = Fraction(cfg["lambd"]) * Fraction(cfg["lr"])
    if product >= 0:
        return None
    first = math.ceil(-1 / product)
    # torch computes 1 + lambd * lr * step in Python floats, which can reach 0.0 a step
    # earlier than the exact value does (lambd = -1.111111111111111, lr = 0.1: at step 9)
    scaled = cfg["lambd"] * cfg["lr"]
    first = min([first, *(k for k in range(max(first - 2, 1), first) if 1 + scaled * k <= 0)])
    if first > steps:
        return None
    return (f"lambd = {shown(cfg['lambd'])} < 0 with lr = {shown(cfg['lr'])}: the rate's base "
            f"1 + lambd*lr*t reaches {'0' if first == -1 / product else 'below 0'} at step "
            f"{first} (within {steps} steps), where lr/(1 + lambd*lr*t)**alpha is a power of a "
            "non-positive number (torch does not check: its single-tensor path keeps the real "
            "part of a complex power, its foreach path gives NaN); use lambd >= 0"
            + (f" or at most {first - 1} steps" if first > 1 else ""))


RULE = Rule(
    name="asgd",
    title="ASGD",
    doc=__doc__,
    hypers=(lr_h, lambd_h, alpha_h, t0_h, wd_h, hyper_maximize()),
    states=states,
    textbook=textbook,
    implementation=implementation,
    reference=Reference.torch("ASGD", functional="optsym.verify.functional:asgd"),
    sweep=({}, {"lr": 0.02}, {"t0": 10}, {"t0": 0, "lambd": 0.01, "alpha": 0.5},
           {"t0": -5}, {"weight_decay": 0.1}, {"maximize": True},
           {"lr": 0.005, "t0": 20.5, "lambd": 0.9, "weight_decay": 0.05, "maximize": True}),
    torch_note="torch's ASGD decays the rate as lr/(1 + lambd*lr*t)**alpha and also shrinks "
               "the parameter by (1 - lambd*eta) each step (Bottou's form); the average ax is "
               "kept in the state, never written to the parameter; eta and mu are float32 0-d "
               "tensors even for float64 parameters.",
    proof_assumptions=("1 + lambd*lr*t > 0",),
    horizon=_horizon,
    check_order=("lr", "weight_decay"),
    paths={"foreach": foreach},  # torch has no fused ASGD
)
