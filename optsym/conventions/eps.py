r"""Where RMSprop's and AdaGrad's eps goes: outside or inside the square root.

.. math::

    \begin{align*}
    \text{torch (outside):}\quad & \theta_t = \theta_{t-1} - \eta_t g_t / (\sqrt{v_t} + \epsilon) \\
    \text{inside:}\quad & \theta_t = \theta_{t-1} - \eta_t\, g_t / \sqrt{v_t + \epsilon}
    \end{align*}

RMSprop: Goodfellow et al. (Algorithm 8.5, :math:`\delta` inside) and optax (``rmsprop`` with
``eps_in_sqrt=True``, its default) put eps inside.  AdaGrad: Goodfellow et al. (Algorithm 8.4)
keep :math:`\delta` outside, as torch does; optax's ``scale_by_rss`` puts it inside.  The
accumulators are the same in every convention, so the change of variables is the identity and
the forms agree exactly when :math:`\epsilon = 0`.
"""

from __future__ import annotations

import sympy as sp

from optsym.conventions.spec import Convention, Family
from optsym.rules import adagrad, rmsprop
from optsym.spec import Assign, Config


def eps_inside(equations: tuple[Assign, ...], root: sp.Symbol, eps: sp.Symbol
               ) -> tuple[Assign, ...]:
    """The same equations with ``sqrt(root) + eps`` replaced by ``sqrt(root + eps)``."""
    swap = {sp.sqrt(root) + eps: sp.sqrt(root + eps)}
    return tuple(Assign(e.target, e.expr.subs(swap), e.note) for e in equations)


def rmsprop_inside(cfg: Config) -> tuple[Assign, ...]:
    return eps_inside(rmsprop.textbook(cfg), rmsprop.v, rmsprop.eps)


def adagrad_inside(cfg: Config) -> tuple[Assign, ...]:
    return eps_inside(adagrad.textbook(cfg), adagrad.s, adagrad.eps)


RMSPROP = Family(
    name="rmsprop",
    title="RMSprop eps",
    rule="rmsprop",
    config={},
    conventions=(
        Convention("rmsprop", "torch", "theta -= lr g / (sqrt(v) + eps)", "torch.optim.RMSprop",
                   rmsprop.textbook, rmsprop.states),
        Convention("rmsprop", "goodfellow", "theta -= lr g / sqrt(v + eps)",
                   "Goodfellow et al. (2016), Algorithm 8.5", rmsprop_inside, rmsprop.states),
        Convention("rmsprop", "optax", "theta -= lr g / sqrt(v + eps)",
                   "optax.rmsprop (eps_in_sqrt=True, the default)", rmsprop_inside,
                   rmsprop.states),
    ),
    mappings={},
    example_values={"lr": "1/10", "alpha": "3/4", "eps": "1/10"},
    problem="stream",
    doc=__doc__,
)

ADAGRAD = Family(
    name="adagrad",
    title="AdaGrad eps",
    rule="adagrad",
    config={},
    conventions=(
        Convention("adagrad", "torch", "theta -= lr g / (sqrt(s) + eps)", "torch.optim.Adagrad",
                   adagrad.textbook, adagrad.states),
        Convention("adagrad", "goodfellow", "theta -= lr g / (delta + sqrt(s))",
                   "Goodfellow et al. (2016), Algorithm 8.4", adagrad.textbook, adagrad.states,
                   note="the same equations as torch"),
        Convention("adagrad", "optax", "theta -= lr g / sqrt(s + eps)",
                   "optax.adagrad (scale_by_rss)", adagrad_inside, adagrad.states,
                   note="optax also starts the sum at 0.1 (initial_accumulator_value)"),
    ),
    mappings={},
    example_values={"lr": "1/10", "eps": "1/10"},
    problem="stream",
    doc=__doc__,
)
