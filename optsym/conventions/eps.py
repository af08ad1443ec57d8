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
from optsym.spec import Assign, Config, SpecError


def _is_root_plus_eps(e: sp.Basic, eps: sp.Symbol) -> bool:
    """``sqrt(X) + eps`` for any ``X`` (``sqrt(v)``, centered ``sqrt(v - gbar**2)``)."""
    if not (e.is_Add and len(e.args) == 2 and eps in e.args):
        return False
    other = e.args[0] if e.args[1] == eps else e.args[1]
    return other.is_Pow and other.exp == sp.S.Half


def eps_inside(equations: tuple[Assign, ...], root: sp.Symbol, eps: sp.Symbol
               ) -> tuple[Assign, ...]:
    """The same equations with every ``sqrt(X) + eps`` replaced by ``sqrt(X + eps)``.

    ``X`` is ``root`` or any expression (RMSprop's centered ``v - gbar**2``).  Raises
    :class:`SpecError` when no such denominator is found (the two forms would be the same
    equations and the comparison would "prove" them equal).
    """
    def swap(e: sp.Basic) -> sp.Basic:
        other = e.args[0] if e.args[1] == eps else e.args[1]
        return sp.sqrt(other.base + eps)

    out = tuple(Assign(e.target, e.expr.replace(lambda x: _is_root_plus_eps(x, eps), swap),
                       e.note) for e in equations)
    if out == tuple(equations):
        raise SpecError(f"no sqrt(...) + {eps} denominator to move eps inside "
                        f"(the root is {root})")
    return out


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
        Convention("rmsprop", "keras", "theta -= lr g / sqrt(v + eps)",
                   "keras.optimizers.RMSprop (Keras 3)", rmsprop_inside, rmsprop.states,
                   note="Keras's rho defaults to 0.9, torch's alpha to 0.99"),
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
        Convention("adagrad", "keras", "theta -= lr g / sqrt(s + eps)",
                   "keras.optimizers.Adagrad (Keras 3)", adagrad_inside, adagrad.states,
                   note="Keras also starts the sum at 0.1 (initial_accumulator_value)"),
    ),
    mappings={},
    example_values={"lr": "1/10", "eps": "1/10"},
    problem="stream",
    doc=__doc__,
)
