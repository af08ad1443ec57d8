r"""Gradient clipping by value (``torch.nn.utils.clip_grad_value_``).

.. math::

    g_{i,j} \leftarrow \operatorname{clamp}(g_{i,j}, -c, c)
    = \begin{cases} -c & g_{i,j} < -c \\ c & g_{i,j} > c \\ g_{i,j} & \text{otherwise}
      \end{cases}

:math:`c` = ``clip_value``.  torch's CPU path (the implementation form):
``torch._foreach_clamp_min_(grads, -clip_value)``, then
``torch._foreach_clamp_max_(grads, clip_value)``.  The two agree for :math:`c \ge 0`, proved case
by case over the three regions of :math:`g`.  torch accepts a negative ``clip_value`` (it maps
every element to ``clip_value``) and NaN (every element becomes NaN); here it must be >= 0.
"""

from __future__ import annotations

import sympy as sp

from optsym.listops import Element, ForeachClampMax, ForeachClampMin, each, grads, i, j
from optsym.spec import Assign, scalar
from optsym.transforms._clip import clip_value_reference, scaled_stream
from optsym.transforms.base import Transform, param, x

clip_value = scalar("clip_value", "c", nonnegative=True)


def textbook(cfg) -> tuple[Assign, ...]:
    """Every element clamped to [-c, c], written as its three cases."""
    c = clip_value
    return (Assign(grads, each(grads, lambda g: sp.Piecewise((-c, g < -c), (c, g > c), (g, True),
                                                             evaluate=False)),
                   "clamp every element to [-c, c]"),)


def implementation(cfg) -> tuple[Assign, ...]:
    """torch's CPU path: clamp from below, then from above, every tensor in place."""
    return (Assign(grads, ForeachClampMin(grads, -clip_value), "g <- max(g, -c)"),
            Assign(grads, ForeachClampMax(grads, clip_value), "g <- min(g, c)"))


#: the three regions of (g, c) with c >= 0, each written with nonnegative symbols
_p, _q = sp.symbols("p q", nonnegative=True)
_d = sp.Symbol("d", positive=True)
_g = Element(grads, i, j)
REGIONS = (("g < -c", {clip_value: _p, _g: -_p - _d}),
           ("-c <= g <= c", {clip_value: (_p + _q) / 2, _g: (_p - _q) / 2}),
           ("g > c", {clip_value: _p, _g: _p + _d}))

TRANSFORM = Transform(
    name="clip-value",
    title="clip by value",
    doc=__doc__,
    params=(param("clip_value", 1.0, "largest |g| of any gradient element (torch's clip_value)",
                  clip_value, x >= 0, "clip_value must be >= 0, got {value}"),),
    textbook=textbook,
    implementation=implementation,
    composes_as="clip_value",
    reference="torch.nn.utils.clip_grad_value_",
    run_reference=clip_value_reference,
    sample={clip_value: (0.0, 2.0)},
    proof_regions=REGIONS,
    note="torch clamps with _foreach_clamp_min_ then _foreach_clamp_max_",
    stream=lambda cfg, steps, seed: scaled_stream("value", cfg["clip_value"], steps, seed),
)
