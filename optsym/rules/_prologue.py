r"""The gradient preprocessing that torch's rules share, written once.

.. math::

    g_t \leftarrow -g_t \ \text{(maximize)}, \qquad
    g_t \leftarrow g_t + \lambda \theta_{t-1} \ \text{(coupled weight decay, } \lambda \ne 0)

The textbook form uses plain arithmetic; the implementation form uses torch's ``neg`` and
``add(param, alpha=weight_decay)``.
"""

from __future__ import annotations

import sympy as sp

from optsym.ops import AddScaled, TNeg
from optsym.spec import Assign, Config, g, theta


def gradient_prologue(cfg: Config, lam: sp.Symbol, parity: bool,
                      coupled: bool = True) -> list[Assign]:
    """maximize and (when ``coupled``) L2 weight decay, in torch's order."""
    eqs: list[Assign] = []
    if cfg["maximize"]:
        eqs.append(Assign(g, TNeg(g) if parity else -g, "maximize: ascend"))
    if coupled and cfg["weight_decay"] != 0:
        eqs.append(Assign(g, AddScaled(g, theta, lam) if parity else g + lam * theta,
                          "L2 penalty added to the gradient"))
    return eqs
