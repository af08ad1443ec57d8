r"""Gradient clipping composed with a gradient stream: the generated ``clip`` before the step.

.. math::

    \tilde g_t = \operatorname{clip}_c(g_t), \qquad x_t = \mathrm{step}_\eta(x_{t-1}, \tilde g_t)

where :math:`\operatorname{clip}_c` is the ``torch-parity`` module that
:func:`optsym.clipping.generate_clip` prints from the transform spec (``clip-norm``:
``torch.nn.utils.clip_grad_norm_``'s operation order; ``clip-value``: ``clip_grad_value_``'s).
Nothing of the clipping is written here: the stream calls the generated function on the gradient
as a one-tensor list (all parameters are one vector, so the global norm is its norm), as torch's
training loop calls ``clip_grad_norm_(model.parameters(), c)`` between ``backward()`` and
``step()``.

The angle the clipping turns the gradient by,

.. math::

    \angle(g, \tilde g) = \arccos \frac{g \cdot \tilde g}{\|g\|\,\|\tilde g\|},

is 0 for norm clipping (a positive multiple) and up to :math:`45^\circ` per pair of coordinates
for value clipping in two dimensions (a clamp changes the coordinates' ratio).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from optsym.dynamics.stepper import GradStream

#: ``("norm" | "value", threshold)``, as :func:`optsym.verify.composition.clip_for` returns it
Clip = tuple[str, float]


def clip_function(clip: Clip) -> Callable[[np.ndarray], np.ndarray]:
    """``g -> clipped g`` (float64) through the generated ``torch-parity`` clip of ``clip``."""
    import torch

    from optsym.clipping import check_threshold, generate_clip, threshold_name
    from optsym.codegen.module import load

    kind, threshold = clip
    value = check_threshold(kind, threshold)
    fn = load(generate_clip(kind, "torch-parity"), f"optsym_dynamics_clip_{kind}")["clip"]
    key = threshold_name(kind)

    def apply(g: np.ndarray) -> np.ndarray:
        grads = [torch.tensor(np.asarray(g, dtype=np.float64), dtype=torch.float64)]
        fn(grads, **{key: value})
        return grads[0].numpy()

    return apply


def clipped(stream: GradStream, clip: Clip | None,
            record: list[tuple[np.ndarray, np.ndarray]] | None = None) -> GradStream:
    """``stream`` with each gradient clipped (unchanged when ``clip`` is None); ``record`` gets
    ``(raw, clipped)`` of every step."""
    if clip is None and record is None:
        return stream
    apply = clip_function(clip) if clip is not None else (lambda g: np.asarray(g, dtype=float))

    def grad(t: int, x: np.ndarray) -> np.ndarray:
        raw = np.asarray(stream(t, x), dtype=np.float64)
        out = apply(raw)
        if record is not None:
            record.append((raw.copy(), out.copy()))
        return out

    return grad


def angle_degrees(raw: np.ndarray, out: np.ndarray) -> float:
    """The angle between two vectors in degrees (0 when either is zero)."""
    nr, no = float(np.linalg.norm(raw)), float(np.linalg.norm(out))
    if nr == 0 or no == 0:
        return 0.0
    cos = float(np.clip(np.dot(raw, out) / (nr * no), -1.0, 1.0))
    return float(np.degrees(np.arccos(cos)))


def describe(clip: Clip | None) -> str:
    """``"clip by norm 1"`` / ``"clip by value 0.5"`` / ``""``."""
    return "" if clip is None else f"clip by {clip[0]} {clip[1]:g}"


__all__ = ["Clip", "angle_degrees", "clip_function", "clipped", "describe"]
