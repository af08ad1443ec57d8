r"""Running a mapping on the real libraries: one gradient stream, one schedule, one comparison.

The gradients do not depend on the parameters (a fixed, seeded stream), so both libraries see the
same inputs at every step and any difference in the parameters is the optimizers' own.  The
stream has signs that change and magnitudes spread over two decades around ``grad_scale``
(where eps placement matters: at a scale of 1e-4, eps = 1e-8 inside or outside the square root
is no longer negligible), and the last parameter's gradient is 0 for the first three steps
(with eps = 0, torch's Adagrad divides 0 by 0 there, where optax's returns 0).  The learning rate follows a cosine from ``lr`` to ``lr/10`` over the
run, unless it is held constant (conventions that agree at a constant learning rate part under a
schedule).

Two float64 runs *agree* when every parameter at every step is within
``TOLERANCE * max(1, |theta|)``: two operation orders of the same formula round differently, by a
few units of 2^-53 per step; 1e-12 is about 4,500 of them, far below any convention's effect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TOLERANCE = 1e-12


def gradient_stream(steps: int, dim: int, scale: float, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    spread = 10.0 ** rng.uniform(-1, 1, size=dim)
    grads = [scale * spread * rng.standard_normal(dim) for _ in range(steps)]
    for g in grads[:3]:  # one parameter's gradient starts at 0 (an unused embedding row)
        g[-1] = 0.0
    return grads


def schedule(lr: float, steps: int, constant: bool) -> list[float]:
    if constant or steps == 1:
        return [lr] * steps
    return [lr * (0.55 + 0.45 * math.cos(math.pi * k / (steps - 1))) for k in range(steps)]


def start(dim: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed + 1).uniform(-1, 1, size=dim)


@dataclass(frozen=True)
class Comparison:
    """Two trajectories: the worst gap, where they first part, and the gap at the end."""

    agree: bool
    bitwise: bool
    max_abs: float
    first_step: int | None  # 1-based step where the gap first exceeds the tolerance
    first_element: int | None
    values: tuple[float, float] | None  # (here, there) at that step and element
    final_gap: float

    def as_dict(self) -> dict:
        return {"agree": self.agree, "bitwise": self.bitwise, "max_abs": self.max_abs,
                "first_step": self.first_step, "first_element": self.first_element,
                "values": list(self.values) if self.values else None,
                "final_gap": self.final_gap}


def compare(here: np.ndarray, there: np.ndarray) -> Comparison:
    both_nan = np.isnan(here) & np.isnan(there)
    gap = np.where(both_nan, 0.0, np.abs(here - there))
    gap = np.where(np.isnan(gap), np.inf, gap)
    limit = TOLERANCE * np.maximum(1.0, np.abs(np.nan_to_num(here)))
    bad = np.argwhere(gap > limit)
    final = float(np.max(gap[-1]))
    if bad.size == 0:
        return Comparison(True, bool(np.array_equal(here, there, equal_nan=True)),
                          float(np.max(gap)), None, None, None, final)
    step, elem = (int(x) for x in bad[0])
    return Comparison(False, False, float(np.max(gap)), step + 1, elem,
                      (float(here[step, elem]), float(there[step, elem])), final)
