r"""Adam's eps: the paper's body (and torch) vs the eps-hat form (TensorFlow, the paper's
efficient version).

.. math::

    \begin{align*}
    \text{torch:}\quad & \theta_t = \theta_{t-1} - \eta_t\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)
        \\
    \text{tensorflow:}\quad & \alpha_t = \eta_t \sqrt{1 - \beta_2^t} / (1 - \beta_1^t), \qquad
        \theta_t = \theta_{t-1} - \alpha_t\, m_t / (\sqrt{v_t} + \hat\epsilon)
    \end{align*}

Kingma & Ba (2015, Section 2) give the second form as a cheaper order of computation; it is
the first with :math:`\epsilon = \hat\epsilon / \sqrt{1 - \beta_2^t}`, a value that changes with
t, so no constant eps maps one to the other: they agree exactly when the eps is 0.
TensorFlow's and Keras's Adam use the second form (their ``epsilon`` is eps-hat).
"""

from __future__ import annotations

import sympy as sp

from optsym.conventions.spec import Convention, Family
from optsym.rules import adam
from optsym.spec import Assign, Config, scalar, t, theta

alpha_t = scalar("alpha_t", r"\alpha_t")


def eps_hat(cfg: Config) -> tuple[Assign, ...]:
    """torch's moments, then Kingma & Ba's efficient step with eps-hat."""
    book = adam.textbook(cfg)
    second = adam.vmax if cfg["amsgrad"] else adam.v
    eqs = tuple(e for e in book[:-1] if e.target not in (adam.m_hat, adam.v_hat))
    return eqs + (
        Assign(alpha_t, adam.lr * sp.sqrt(1 - adam.beta2**t) / (1 - adam.beta1**t),
               "step size with both bias corrections"),
        Assign(theta, theta - alpha_t * adam.m / (sp.sqrt(second) + adam.eps),
               "update with eps-hat"))


FAMILY = Family(
    name="adam",
    title="Adam eps",
    rule="adam",
    config={},
    conventions=(
        Convention("adam", "torch", "theta -= lr m_hat / (sqrt(v_hat) + eps)",
                   "torch.optim.Adam; Kingma & Ba (2015), Algorithm 1", adam.textbook,
                   adam.states),
        Convention("adam", "tensorflow", "theta -= lr sqrt(1-beta2^t)/(1-beta1^t) m / "
                   "(sqrt(v) + eps_hat)", "TensorFlow/Keras Adam; Kingma & Ba (2015), Section 2",
                   eps_hat, adam.states),
        Convention("adam", "optax", "theta -= lr m_hat / (sqrt(v_hat + eps_root) + eps)",
                   "optax.adam (eps_root=0, the default)", adam.textbook, adam.states,
                   note="the same equations as torch"),
        Convention("adam", "keras", "theta -= lr sqrt(1-beta2^t)/(1-beta1^t) m / "
                   "(sqrt(v) + eps_hat)", "keras.optimizers.Adam (Keras 3)", eps_hat,
                   adam.states, note="TensorFlow's form; Keras's epsilon defaults to 1e-7"),
    ),
    mappings={},
    example_values={"lr": "1/10", "beta1": "1/2", "beta2": "3/4", "eps": "1/10"},
    problem="stream",
    doc=__doc__,
)
