r"""Nesterov momentum: torch's reformulation and Sutskever's look-ahead gradient.

.. math::

    \begin{align*}
    \text{torch:}\quad & b_t = \mu b_{t-1} + g(\theta_{t-1}) \ (b_1 = g),\qquad
        \theta_t = \theta_{t-1} - \eta_t\,(g + \mu b_t) \\
    \text{sutskever:}\quad & v_t = \mu v_{t-1} - \eta_t\, g(\theta_{t-1} + \mu v_{t-1}),
        \qquad \theta_t = \theta_{t-1} + v_t
    \end{align*}

(Sutskever et al., 2013, eq. 3-4; Goodfellow et al., Algorithm 8.3.)  torch's parameter is
Sutskever's look-ahead point: :math:`\theta^{\mathrm{torch}} = \theta^{\mathrm{s}} + \mu v`,
so the change of variables maps the parameter too: :math:`\theta^{\mathrm{s}} = \theta + \mu\eta
b`, :math:`v = -\eta b`, with the learning rate constant.
"""

from __future__ import annotations

import sympy as sp

from optsym.conventions.momentum import velocity
from optsym.conventions.spec import ChangeOfVariables, Convention, Family
from optsym.rules import sgd
from optsym.rules._prologue import gradient_prologue
from optsym.spec import Assign, Config, State, g, theta


def _velocity_state(cfg: Config) -> tuple[State, ...]:
    return (State("velocity", velocity, sp.S.Zero, "velocity, starts at 0"),)


def sutskever(cfg: Config) -> tuple[Assign, ...]:
    """The step, ``g`` being the gradient at the look-ahead point theta + mu*v."""
    eqs = gradient_prologue(cfg, sgd.lam, parity=False)
    return tuple(eqs) + (Assign(velocity, sgd.mu * velocity - sgd.lr * g,
                                "velocity (g at theta + mu v)"),
                         Assign(theta, theta + velocity, "update"))


def keras(cfg: Config) -> tuple[Assign, ...]:
    """Keras 3's SGD with ``nesterov=True``: the lr folded into the buffer, no look-ahead."""
    eqs = gradient_prologue(cfg, sgd.lam, parity=False)
    return tuple(eqs) + (Assign(velocity, sgd.mu * velocity - sgd.lr * g, "velocity"),
                         Assign(theta, theta + sgd.mu * velocity - sgd.lr * g, "update"))


FAMILY = Family(
    name="nesterov",
    title="Nesterov momentum",
    rule="sgd",
    config={"momentum": 0.9, "nesterov": True},
    conventions=(
        Convention("nesterov", "torch", "b = mu b + g; theta -= lr (g + mu b)", "torch.optim.SGD",
                   sgd.textbook, sgd.states, note="gradient at the parameter"),
        Convention("nesterov", "sutskever", "v = mu v - lr g(theta + mu v); theta += v",
                   "Sutskever et al. (2013); Goodfellow et al. (2016), Algorithm 8.3",
                   sutskever, _velocity_state, gradient_point=theta + sgd.mu * velocity,
                   note="gradient at the look-ahead point theta + mu v"),
        Convention("nesterov", "optax", "t = mu t + g; theta -= lr (g + mu t)",
                   "optax.sgd(nesterov=True)", sgd.textbook, sgd.states,
                   note="the same equations as torch"),
        Convention("nesterov", "keras", "m = mu m - lr g; theta += mu m - lr g",
                   "keras.optimizers.SGD(nesterov=True) (Keras 3)", keras, _velocity_state,
                   note="gradient at the parameter; the lr inside the buffer"),
    ),
    mappings={
        "sutskever": ChangeOfVariables(param=theta + sgd.mu * sgd.lr * sgd.buf,
                                       state={velocity: -sgd.lr * sgd.buf},
                                       words="torch's parameter is Sutskever's look-ahead point "
                                             "theta + mu v; v is -lr times torch's buffer"),
        "keras": ChangeOfVariables(state={velocity: -sgd.lr * sgd.buf},
                                   words="Keras's buffer is -lr times torch's"),
    },
    example_values={"lr": "1/10", "momentum": "1/2"},
    doc=__doc__,
    fixed={"nesterov": True, "dampening": 0},
    positive=("momentum",),
)
