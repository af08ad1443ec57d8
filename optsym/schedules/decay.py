r"""Smooth decays over an unbounded horizon: exponential (``ExponentialLR``), inverse time
(:math:`c/t`), and the transformer's inverse square root with linear warmup ("Noam").

.. math::

    \begin{align*}
    \text{exponential:}\quad \eta_k &= \eta\, \gamma^{k} \\
    \text{inverse-time:}\quad \eta_k &= \frac{\eta}{1 + d\, k} \\
    \text{inverse-sqrt:}\quad \eta_k &= \begin{cases} \eta\, k / W & k < W \\
        \eta \sqrt{W / k} & k \ge W \end{cases}
    \end{align*}

torch has no class for the last two; the reference is the ``LambdaLR`` a user writes (for
inverse-sqrt, fairseq's convention: the warmup starts at 0 and the peak :math:`\eta` is reached at
:math:`k = W`).  These are the textbook cases for the Robbins-Monro conditions
:math:`\sum \eta_k = \infty`, :math:`\sum \eta_k^2 < \infty`: :math:`c/t` meets both,
:math:`c/\sqrt{t}` fails the second, exponential decay fails the first.
"""

from __future__ import annotations

import sympy as sp

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
