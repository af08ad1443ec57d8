r"""Gradient clipping by global norm (``torch.nn.utils.clip_grad_norm_``).

A step's gradients are a list of :math:`n` tensors; tensor :math:`i` has :math:`m_i` elements
:math:`g_{i,j}`.  The textbook form:

.. math::

    N = \sqrt{\textstyle\sum_{i=0}^{n-1} \sum_{j=0}^{m_i-1} g_{i,j}^2}, \qquad
    s = \min\!\Big(1, \frac{c}{N + \epsilon}\Big), \qquad
    g_{i,j} \leftarrow s\, g_{i,j}

:math:`c` = ``max_norm``; :math:`\epsilon = 10^{-6}` is fixed by torch (``clip_grad_norm_`` adds
it, it is no argument); only ``norm_type=2`` is written (torch's default).  All gradients share
one dtype and one device (torch groups them by both; one group is what its default path runs).

torch's CPU path with ``foreach=None`` (the implementation form): ``norms =
torch._foreach_norm(grads, 2.0)``, ``total_norm = torch.linalg.vector_norm(torch.stack(norms),
2.0)``, ``clip_coef = max_norm / (total_norm + 1e-6)``, ``torch.clamp(clip_coef, max=1.0)``,
then ``torch._foreach_mul_(grads, clip_coef_clamped)``: every gradient is multiplied, also when
the coefficient is 1 (torch avoids a device sync that way).  ``max_norm / tensor`` is
``Tensor.__rtruediv__``, which torch defines as ``tensor.reciprocal() * max_norm``: a reciprocal
and a product, two roundings, not one true division.

torch accepts any float; here ``max_norm`` must be finite and > 0 (a zero one zeroes the
gradients, a negative one flips them).
"""

from __future__ import annotations

import sympy as sp

from optsym.listops import (
    Element,
    ForeachMul,
    ForeachNorm,
    Stack,
    VectorNorm,
    each,
    grads,
    i,
    j,
    sum_elements,
    sum_tensors,
)
from optsym.ops import TAdd, TClampMax, TMul, TRecip
from optsym.spec import Assign, scalar, tensor
from optsym.transforms._clip import EPS, clip_norm_reference, scaled_stream
from optsym.transforms.base import Transform, param, x

max_norm = scalar("max_norm", "c", positive=True)
eps = scalar("eps", r"\epsilon", positive=True)
#: 0-d tensors (torch) / NumPy scalars in generated code
total_norm = tensor("total_norm", "N")
clip_coef = tensor("clip_coef", "s")
clip_coef_clamped = tensor("clip_coef_clamped", r"\min(1, s)")
norms = tensor("norms", r"\nu")


def textbook(cfg) -> tuple[Assign, ...]:
    """Global norm, coefficient, every gradient scaled."""
    return (Assign(total_norm, sp.sqrt(sum_tensors(sum_elements(Element(grads, i, j) ** 2))),
                   "global 2-norm of all gradients"),
            Assign(clip_coef, sp.Min(1, max_norm / (total_norm + eps)), "clip coefficient"),
            Assign(grads, each(grads, lambda g: clip_coef * g), "scale every gradient"))


def implementation(cfg) -> tuple[Assign, ...]:
    """torch's CPU ``foreach=None`` path, op for op (torch 2.13 ``clip_grad.py``)."""
    two = sp.Float(2.0)
    return (Assign(norms, ForeachNorm(grads, two), "2-norm of each tensor"),
            Assign(total_norm, VectorNorm(Stack(norms), two), "2-norm of the norms"),
            Assign(clip_coef, TMul(TRecip(TAdd(total_norm, eps)), max_norm),
                   "torch's max_norm / (total_norm + 1e-6): Tensor.__rtruediv__"),
            Assign(clip_coef_clamped, TClampMax(clip_coef, sp.Float(1.0)),
                   "coefficient at most 1"),
            Assign(grads, ForeachMul(grads, clip_coef_clamped),
                   "every gradient, also when the coefficient is 1"))


TRANSFORM = Transform(
    name="clip-norm",
    title="clip by global norm",
    doc=__doc__,
    params=(param("max_norm", 1.0, "largest global 2-norm of the gradients (torch's max_norm)",
                  max_norm, sp.And(x > 0, x < sp.oo), "max_norm must be finite and > 0, "
                  "got {value}"),),
    textbook=textbook,
    implementation=implementation,
    composes_as="clip_norm",
    reference="torch.nn.utils.clip_grad_norm_",
    run_reference=clip_norm_reference,
    returns=total_norm,
    constants={eps: EPS},
    sample={max_norm: (0.05, 5.0), eps: (1e-8, 1e-2)},
    note=("norm_type 2 only; eps = 1e-6 is fixed by torch; torch multiplies every gradient by "
          "the clamped coefficient, also when it is 1"),
    stream=lambda cfg, steps, seed: scaled_stream("norm", cfg["max_norm"], steps, seed),
)
