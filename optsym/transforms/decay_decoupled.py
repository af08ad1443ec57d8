r"""Decoupled weight decay (AdamW's), as a transform before the rule.

.. math::

    \theta_{i,j} \leftarrow (1 - \eta\lambda)\, \theta_{i,j}

The per-tensor piece is written once, in :func:`optsym.rules._prologue.decoupled_decay` (torch's
``param.mul_(1 - lr * weight_decay)``); here it is lifted to every element of the list.  The
reference is torch's foreach AdamW line, ``torch._foreach_mul_(params, 1 - lr * weight_decay)``.
Under a schedule ``lr`` is the step's learning rate.
"""

from __future__ import annotations

import sympy as sp

from optsym.listops import lift, params
from optsym.rules._prologue import decoupled_decay
from optsym.spec import Assign, scalar, theta
from optsym.transforms.base import Transform, param, x

lr = scalar("lr", r"\eta", nonnegative=True)
weight_decay = scalar("weight_decay", r"\lambda", nonnegative=True)


def _form(parity: bool) -> tuple[Assign, ...]:
    piece = decoupled_decay(lr, weight_decay, parity)
    return (Assign(params, lift(params, piece.expr, {theta: params}), piece.note),)


def _reference(params_, grads_, cfg) -> None:
    import torch

    torch._foreach_mul_(params_, 1 - cfg["lr"] * cfg["weight_decay"])


TRANSFORM = Transform(
    name="decay-decoupled",
    title="decoupled weight decay (AdamW)",
    doc=__doc__,
    params=(param("lr", 1e-3, "the step's learning rate (torch's lr)", lr,
                  sp.And(x >= 0, x < sp.oo), "Invalid learning rate: {value}"),
            param("weight_decay", 0.01, "decay coefficient (torch's weight_decay)",
                  weight_decay, sp.And(x >= 0, x < sp.oo),
                  "Invalid weight_decay value: {value}")),
    textbook=lambda cfg: _form(False),
    implementation=lambda cfg: _form(True),
    reference="torch._foreach_mul_(params, 1 - lr * weight_decay)",
    run_reference=_reference,
    sample={lr: (1e-3, 0.5), weight_decay: (0.0, 0.5)},
    note="before a rule without weight decay: AdamW's decay (AdamW = this, then Adam)",
)
