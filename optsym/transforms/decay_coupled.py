r"""Coupled weight decay (L2 on the gradient), as a transform before the rule.

.. math::

    g_{i,j} \leftarrow g_{i,j} + \lambda\, \theta_{i,j}

The per-tensor piece is written once, in :func:`optsym.rules._prologue.coupled_decay` (torch's
``grad.add(param, alpha=weight_decay)``); here it is lifted to every element of the list.  The
reference is torch's foreach weight-decay line, ``torch._foreach_add_(grads, params,
alpha=weight_decay)`` (SGD's and Adam's ``foreach`` path), a different kernel from the
single-tensor ``add`` that the implementation form prints: bitwise equal is what is checked.
``optsym weight-decay sgd|adam`` compares the coupled and decoupled forms composed with a rule.
"""

from __future__ import annotations

import sympy as sp

from optsym.listops import grads, lift, params
from optsym.rules._prologue import coupled_decay
from optsym.spec import Assign, g, scalar, theta
from optsym.transforms.base import Transform, param, x

weight_decay = scalar("weight_decay", r"\lambda", nonnegative=True)
_LISTS = {g: grads, theta: params}


def _form(parity: bool) -> tuple[Assign, ...]:
    piece = coupled_decay(weight_decay, parity)
    return (Assign(grads, lift(grads, piece.expr, _LISTS), piece.note),)


def _reference(params_, grads_, cfg) -> None:
    import torch

    torch._foreach_add_(grads_, params_, alpha=cfg["weight_decay"])


TRANSFORM = Transform(
    name="decay-coupled",
    title="coupled weight decay (L2 added to the gradient)",
    doc=__doc__,
    params=(param("weight_decay", 0.01, "L2 penalty coefficient (torch's weight_decay)",
                  weight_decay, sp.And(x >= 0, x < sp.oo),
                  "Invalid weight_decay value: {value}"),),
    textbook=lambda cfg: _form(False),
    implementation=lambda cfg: _form(True),
    reference="torch._foreach_add_(grads, params, alpha=weight_decay)",
    run_reference=_reference,
    sample={weight_decay: (0.0, 0.5)},
    note="before a rule without its own weight decay: the rule's coupled (L2) decay",
)
