r"""Seeded test problems: initial parameters and a gradient stream with the hard cases.

Each gradient element is :math:`\pm 10^{u}`, :math:`u \sim U(-8, 3)`, with independent random
signs (so signs change between steps) and about 10% exact zeros: magnitudes from 1e-8 to 1e3,
sign changes, and zeros, as the spine issue asks.  Values are drawn in float64 and cast once, so
every backend and the reference see the same numbers in each dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SHAPES: tuple[tuple[int, ...], ...] = ((6, 5), (17,), ())


@dataclass(frozen=True)
class Problem:
    params: list[np.ndarray]
    grads: list[list[np.ndarray]]  # grads[k][i]: gradient of tensor i at step k + 1


def make_problem(steps: int, seed: int = 0,
                 shapes: tuple[tuple[int, ...], ...] = SHAPES) -> Problem:
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s) for s in shapes]
    grads = []
    for _ in range(steps):
        step = []
        for s in shapes:
            mag = 10.0 ** rng.uniform(-8.0, 3.0, size=s)
            sign = rng.choice((-1.0, 1.0), size=s)
            zero = rng.random(size=s) < 0.1
            step.append(np.where(zero, 0.0, sign * mag))
        grads.append(step)
    return Problem(params, grads)
