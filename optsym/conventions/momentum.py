r"""Momentum, three ways: torch's buffer, Goodfellow's velocity, the EMA of gradients.

.. math::

    \begin{align*}
    \text{torch:}\quad & b_t = \begin{cases} g_t & t = 1 \\ \mu b_{t-1} + g_t & t > 1
        \end{cases}, \qquad \theta_t = \theta_{t-1} - \eta_t b_t \\
    \text{goodfellow:}\quad & v_t = \mu v_{t-1} - \eta_t g_t, \qquad \theta_t = \theta_{t-1} + v_t
        \quad \text{(Goodfellow et al., Algorithm 8.2: } \alpha = \mu,\ \epsilon = \eta) \\
    \text{ema:}\quad & v_t = \mu v_{t-1} + (1 - \mu) g_t, \quad \theta_t = \theta_{t-1} - \eta_t v_t
    \end{align*}

Changes of variables from torch: :math:`v^{\mathrm{goodfellow}}_t = -\eta\, b_t` (needs the
learning rate constant: under a schedule the velocity keeps the old rates inside it), and
:math:`v^{\mathrm{ema}}_t = (1 - \mu)\, b_t` with the lr rescaled to :math:`\eta / (1 - \mu)`
(this one holds under any schedule).  :mod:`optsym.conventions.proof` proves both by induction.
"""

from __future__ import annotations

import sympy as sp

from optsym.conventions.spec import ChangeOfVariables, Convention, Family
from optsym.rules import sgd
from optsym.rules._prologue import gradient_prologue
from optsym.spec import Assign, Config, State, g, tensor, theta

velocity = tensor("velocity", "v")


def _velocity_state(cfg: Config) -> tuple[State, ...]:
    return (State("velocity", velocity, sp.S.Zero, "velocity (Goodfellow's v), starts at 0"),)


def goodfellow(cfg: Config) -> tuple[Assign, ...]:
    eqs = gradient_prologue(cfg, sgd.lam, parity=False)
    return tuple(eqs) + (Assign(velocity, sgd.mu * velocity - sgd.lr * g, "velocity"),
                         Assign(theta, theta + velocity, "update"))


def ema(cfg: Config) -> tuple[Assign, ...]:
    eqs = gradient_prologue(cfg, sgd.lam, parity=False)
    return tuple(eqs) + (Assign(velocity, sgd.mu * velocity + (1 - sgd.mu) * g,
                                "EMA of gradients"),
                         Assign(theta, theta - sgd.lr * velocity, "update"))


FAMILY = Family(
    name="momentum",
    title="Momentum (heavy ball)",
    rule="sgd",
    config={"momentum": 0.9},
    conventions=(
        Convention("momentum", "torch", "v = mu v + g; theta -= lr v", "torch.optim.SGD",
                   sgd.textbook, sgd.states,
                   note="the buffer starts at the first gradient (t = 1)"),
        Convention("momentum", "goodfellow", "v = mu v - lr g; theta += v",
                   "Goodfellow et al. (2016), Algorithm 8.2", goodfellow, _velocity_state),
        Convention("momentum", "ema", "v = mu v + (1 - mu) g; theta -= lr v",
                   "EMA of gradients (Adam's first moment without bias correction)",
                   ema, _velocity_state),
        Convention("momentum", "optax", "t = mu t + g; theta -= lr t",
                   "optax.sgd (trace, then the learning rate)", sgd.textbook, sgd.states,
                   note="the same equations as torch: the trace starts at 0, so t_1 = g_1"),
        Convention("momentum", "keras", "m = mu m - lr g; theta += m",
                   "keras.optimizers.SGD (Keras 3: the lr inside the buffer)", goodfellow,
                   _velocity_state, note="Goodfellow's equations"),
    ),
    mappings={
        "goodfellow": ChangeOfVariables(state={velocity: -sgd.lr * sgd.buf},
                                        words="the goodfellow velocity is -lr times torch's "
                                              "buffer"),
        "keras": ChangeOfVariables(state={velocity: -sgd.lr * sgd.buf},
                                   words="Keras's buffer is -lr times torch's"),
        "ema": ChangeOfVariables(state={velocity: (1 - sgd.mu) * sgd.buf},
                                 hypers={sgd.lr: sgd.lr / (1 - sgd.mu)},
                                 words="the ema velocity is (1 - mu) times torch's buffer, with "
                                       "the lr divided by (1 - mu)"),
    },
    example_values={"lr": "1/10", "momentum": "1/2"},
    doc=__doc__,
    fixed={"nesterov": False, "dampening": 0},
    positive=("momentum",),
)
