r"""Gradient preprocessing shared by torch's rules, and the two weight-decay pieces, written once.

.. math::

    \begin{align*}
    g_t &\leftarrow -g_t && \text{(maximize)} \\
    g_t &\leftarrow g_t + \lambda \theta_{t-1} && \text{(coupled decay: L2 on the gradient)} \\
    \theta_{t-1} &\leftarrow (1 - \eta\lambda)\, \theta_{t-1} && \text{(decoupled decay, AdamW)}
    \end{align*}

The textbook forms use plain arithmetic; the implementation forms use torch's ``neg``,
``add(param, alpha=weight_decay)`` and ``param.mul_(1 - lr * weight_decay)``.
:mod:`optsym.weight_decay` composes the two decay pieces with the rules to compare them.
"""

from __future__ import annotations

import sympy as sp

from optsym.ops import AddScaled, TMul, TNeg
from optsym.spec import Assign, Config, g, theta


def coupled_decay(lam: sp.Symbol, parity: bool) -> Assign:
    """g <- g + lambda*theta (torch: ``grad.add(param, alpha=weight_decay)``)."""
    return Assign(g, AddScaled(g, theta, lam) if parity else g + lam * theta,
                  "L2 penalty added to the gradient")


def decoupled_decay(lr: sp.Symbol, lam: sp.Symbol, parity: bool) -> Assign:
    """theta <- (1 - lr*lambda)*theta (torch: ``param.mul_(1 - lr * weight_decay)``)."""
    return Assign(theta, TMul(theta, 1 - lr * lam) if parity else (1 - lr * lam) * theta,
                  "decoupled weight decay")


def gradient_prologue(cfg: Config, lam: sp.Symbol, parity: bool,
                      coupled: bool = True) -> list[Assign]:
    """maximize and (when ``coupled``) L2 weight decay, in torch's order."""
    eqs: list[Assign] = []
    if cfg["maximize"]:
        eqs.append(Assign(g, TNeg(g) if parity else -g, "maximize: ascend"))
    if coupled and cfg["weight_decay"] != 0:
        eqs.append(coupled_decay(lam, parity))
    return eqs
