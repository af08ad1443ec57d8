r"""AdamW's decay: torch's lr-scaled decay, the paper's schedule-scaled decay, a fixed decay,
and Adam + L2.

.. math::

    \begin{align*}
    \text{torch:}\quad & \theta \leftarrow (1 - \eta_t \lambda)\,\theta, \text{ then Adam's step} \\
    \text{paper:}\quad & \theta \leftarrow (1 - (\eta_t/\alpha) \lambda)\,\theta
        \quad \text{(Loshchilov \& Hutter, Algorithm 2: the schedule multiplier }
        \eta_t/\alpha \text{ times } \lambda) \\
    \text{goodfellow:}\quad & \theta \leftarrow (1 - \lambda)\,\theta \quad
        \text{(a fixed shrink per step, independent of the lr)} \\
    \text{l2:}\quad & g_t \leftarrow g_t + \lambda \theta_{t-1} \quad
        \text{(Adam with coupled L2, torch's Adam(weight\_decay=...))}
    \end{align*}

:math:`\alpha` is the base learning rate (the schedule's peak).  torch and the paper agree under
every schedule once :math:`\lambda^{\mathrm{paper}} = \alpha\, \lambda^{\mathrm{torch}}`;
with the same :math:`\lambda` they differ from the first step (unless :math:`\alpha = 1`).
The fixed decay needs :math:`\lambda^{\mathrm{fixed}} = \eta\lambda` with a constant lr; Adam +
L2 is a different method (its decay passes through the normalisation).
"""

from __future__ import annotations

import sympy as sp

from optsym.conventions.spec import ChangeOfVariables, Convention, Family, base_lr
from optsym.rules import adam
from optsym.rules._prologue import decoupled_decay
from optsym.spec import Assign, Config, Hyper, hyper_weight_decay

lam = hyper_weight_decay().symbol
BASE_LR = Hyper("base_lr", base_lr, 1e-3, "base learning rate alpha (the schedule's peak)",
                "base_lr > 0", lambda x: x > 0, "Invalid base_lr value: {value}", (1e-3, 0.5))


def _with_decay(cfg: Config, rate: sp.Expr) -> tuple[Assign, ...]:
    """AdamW's textbook form with the decoupled decay at ``rate * lambda``."""
    torch_decay = decoupled_decay(adam.lr, lam, parity=False)
    ours = decoupled_decay(rate, lam, parity=False)
    return tuple(ours if e == torch_decay else e for e in adam.textbook(cfg))


def paper(cfg: Config) -> tuple[Assign, ...]:
    return _with_decay(cfg, adam.lr / base_lr)


def fixed(cfg: Config) -> tuple[Assign, ...]:
    return _with_decay(cfg, sp.S.One)


def l2(cfg: Config) -> tuple[Assign, ...]:
    return adam.textbook({**cfg, "decoupled_weight_decay": False})


def keras(cfg: Config) -> tuple[Assign, ...]:
    """torch's decoupled decay, then the eps-hat step of TensorFlow's Adam."""
    from optsym.conventions.adam_eps import eps_hat

    return eps_hat(cfg)


FAMILY = Family(
    name="adamw",
    title="AdamW weight decay",
    rule="adamw",
    config={},
    conventions=(
        Convention("adamw", "torch", "theta *= 1 - lr wd; Adam step", "torch.optim.AdamW",
                   adam.textbook, adam.states),
        Convention("adamw", "paper", "theta *= 1 - (lr/base_lr) wd; Adam step",
                   "Loshchilov & Hutter (2019), Algorithm 2", paper, adam.states,
                   extra_hypers=(BASE_LR,),
                   note="base_lr is the schedule's peak lr"),
        Convention("adamw", "goodfellow", "theta *= 1 - wd; Adam step",
                   "a fixed decay (1 - lambda) theta per step, independent of the lr", fixed,
                   adam.states),
        Convention("adamw", "l2", "g += wd theta; Adam step",
                   "torch.optim.Adam(weight_decay=...): coupled L2", l2, adam.states),
        Convention("adamw", "optax", "theta -= lr (Adam direction + wd theta)",
                   "optax.adamw (add_decayed_weights, then the lr)", adam.textbook,
                   adam.states, note="the same equations as torch: lr (u + wd theta) = "
                   "lr wd theta + lr u"),
        Convention("adamw", "keras", "theta *= 1 - lr wd; TensorFlow's eps-hat Adam step",
                   "keras.optimizers.AdamW (Keras 3)", keras, adam.states),
    ),
    mappings={
        "paper": ChangeOfVariables(hypers={lam: base_lr * lam},
                                   words="the paper's lambda is base_lr times torch's"),
        "goodfellow": ChangeOfVariables(hypers={lam: base_lr * lam},
                                        words="the fixed decay's lambda is lr times torch's"),
    },
    example_values={"lr": "1/10", "beta1": "1/2", "beta2": "3/4", "eps": "0",
                    "weight_decay": "1/10"},
    problem="stream",
    doc=__doc__,
)
