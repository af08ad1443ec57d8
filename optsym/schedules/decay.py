r"""Smooth decays over an unbounded horizon: exponential (``ExponentialLR``), inverse time
(:math:`c/t`), the inverse square root with linear warmup ("Noam"), and the same in the
Transformer paper's own terms (``d_model``, ``warmup``).

.. math::

    \begin{align*}
    \text{exponential:}\quad \eta_k &= \eta\, \gamma^{k} \\
    \text{inverse-time:}\quad \eta_k &= \frac{\eta}{1 + d\, k} \\
    \text{inverse-sqrt:}\quad \eta_k &= \begin{cases} \eta\, k / W & k < W \\
        \eta \sqrt{W / k} & k \ge W \end{cases} \\
    \text{transformer:}\quad \eta_k &= \eta\, c\, d_{\text{model}}^{-1/2}
        \min\bigl((k+1)^{-1/2},\, (k+1)\, W^{-3/2}\bigr)
    \end{align*}

transformer: Vaswani et al. (2017), eq. (3), with step_num :math:`= k + 1` (the lr of the
:math:`(k+1)`-th update; :math:`\eta` is the optimizer's base lr, 1 in the Annotated
Transformer, and :math:`c` its ``factor``).  It peaks at :math:`k = W - 1` with
:math:`\eta\, c\, (d_{\text{model}} W)^{-1/2}` (:math:`6.988 \cdot 10^{-4}` for
:math:`d_{\text{model}} = 512`, :math:`W = 4000`): the number a user of ``inverse-sqrt`` has to
compute first.

torch has no class for the last two; the reference is the ``LambdaLR`` a user writes (for
inverse-sqrt, fairseq's convention: the warmup starts at 0 and the peak :math:`\eta` is reached at
:math:`k = W`).  These are the textbook cases for the Robbins-Monro conditions
:math:`\sum \eta_k = \infty`, :math:`\sum \eta_k^2 < \infty`: :math:`c/t` meets both,
:math:`c/\sqrt{t}` fails the second, exponential decay fails the first.
"""

from __future__ import annotations

import sympy as sp

from optsym.params import Param
from optsym.pyops import parse
from optsym.schedules.spec import (
    LR,
    Branch,
    Phase,
    Schedule,
    TorchForm,
    eta_max,
    gamma,
    horizon,
    k,
    positive_param,
    steps_param,
)

ETA = eta_max()
GAMMA = gamma(0.9)
DECAY = positive_param("decay", 0.1, "decay rate d in eta / (1 + d k)")
WARMUP = steps_param("warmup", 10, "warmup steps: the lr reaches the peak at k = warmup")

eta, gam, d, w = ETA.symbol, GAMMA.symbol, DECAY.symbol, WARMUP.symbol


EXPONENTIAL = Schedule(
    name="exponential", title="Exponential decay (ExponentialLR)", doc=__doc__,
    params=(ETA, GAMMA, horizon()),
    phases=lambda c: (Phase(sp.S.Zero, sp.oo, eta * gam**k),),
    torch=lambda c: TorchForm(initial=eta, branches=(
        Branch(sp.true, parse("lr * gamma", {"lr": LR, "gamma": gam}), (0,)),)),
    reference=lambda c: f"ExponentialLR(opt, gamma={c['gamma']!r})",
    horizon=lambda c: c["horizon"])


def _lambda(source: str, names: dict) -> sp.Expr:
    """torch's ``LambdaLR``: ``base_lr * lr_lambda(k)``."""
    return parse(f"base_lr * ({source})", {"base_lr": eta, "k": k, **names})


INVERSE_TIME_LAMBDA = "1 / (1 + decay * k)"

INVERSE_TIME = Schedule(
    name="inverse-time", title="Inverse time decay (c/t)", doc=__doc__,
    params=(ETA, DECAY, horizon()),
    phases=lambda c: (Phase(sp.S.Zero, sp.oo, eta / (1 + d * k)),),
    torch=lambda c: TorchForm(initial=_lambda(INVERSE_TIME_LAMBDA, {"decay": d}),
                              branches=(Branch(sp.true, _lambda(INVERSE_TIME_LAMBDA,
                                                                {"decay": d})),), closed=True),
    reference=lambda c: f"LambdaLR(opt, lambda k: {INVERSE_TIME_LAMBDA}) with decay={c['decay']!r}",
    horizon=lambda c: c["horizon"])

INVERSE_SQRT_LAMBDA = "k / warmup if k < warmup else (warmup / k) ** 0.5"


def inverse_sqrt_phases(cfg) -> tuple[Phase, ...]:
    return (Phase(sp.S.Zero, w, eta * k / w, "linear warmup from 0"),
            Phase(w, sp.oo, eta * sp.sqrt(w) / sp.sqrt(k), "inverse square root"))


D_MODEL = steps_param("d_model", 512, "the model width d_model (the lr scales as d_model^-1/2)")
TRANSFORMER_WARMUP = steps_param("warmup", 4000, "warmup steps W: the lr peaks at k = W - 1")
FACTOR = positive_param("factor", 1.0, "a constant factor c (the Annotated Transformer's factor)")
BASE = Param("eta_max", 1.0, "the optimizer's base lr, which the schedule multiplies (1 in the "
             "Annotated Transformer; not the peak)", symbol=ETA.symbol, valid=ETA.valid,
             error=ETA.error)
dm, c_, wt = D_MODEL.symbol, FACTOR.symbol, TRANSFORMER_WARMUP.symbol
_TRANSFORMER_NAMES = {"factor": c_, "d_model": dm, "warmup": wt}
TRANSFORMER_LAMBDA = ("factor * d_model ** -0.5 * min((k + 1) ** -0.5, (k + 1) * warmup ** -1.5)")


def transformer_phases(cfg) -> tuple[Phase, ...]:
    scale = eta * c_ / sp.sqrt(dm)
    return (Phase(sp.S.Zero, wt, scale * (k + 1) / wt**sp.Rational(3, 2), "linear warmup"),
            Phase(wt, sp.oo, scale / sp.sqrt(k + 1), "inverse square root of the step"))


TRANSFORMER = Schedule(
    name="transformer", title="The Transformer's schedule (d_model, warmup)", doc=__doc__,
    params=(BASE, D_MODEL, TRANSFORMER_WARMUP, FACTOR, horizon(20000)),
    phases=transformer_phases,
    torch=lambda c: TorchForm(initial=_lambda(TRANSFORMER_LAMBDA, _TRANSFORMER_NAMES),
                              branches=(Branch(sp.true, _lambda(TRANSFORMER_LAMBDA,
                                                                _TRANSFORMER_NAMES)),),
                              closed=True),
    reference=lambda c: f"LambdaLR(opt, lambda k: {TRANSFORMER_LAMBDA}) with "
                        f"d_model={c['d_model']}, warmup={c['warmup']}, factor={c['factor']!r}",
    horizon=lambda c: c["horizon"],
    torch_note="step_num = k + 1; the Annotated Transformer's rate(step) maps step 0 to 1, so "
               "its first two steps share one lr and its peak is at k = warmup.")

INVERSE_SQRT = Schedule(
    name="inverse-sqrt", title="Inverse square root with warmup (Noam)", doc=__doc__,
    params=(ETA, WARMUP, horizon(1000)),
    phases=inverse_sqrt_phases,
    torch=lambda c: TorchForm(initial=_lambda(INVERSE_SQRT_LAMBDA, {"warmup": w}),
                              branches=(Branch(sp.true, _lambda(INVERSE_SQRT_LAMBDA,
                                                                {"warmup": w})),), closed=True),
    reference=lambda c: f"LambdaLR(opt, lambda k: {INVERSE_SQRT_LAMBDA}) with "
                        f"warmup={c['warmup']}",
    horizon=lambda c: c["horizon"],
    torch_note="k = 0 gives lr 0 (fairseq's warmup_init_lr = 0); the peak eta is the lr at "
               "k = warmup.")
