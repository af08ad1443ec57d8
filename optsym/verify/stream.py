r"""Seeded test problems: initial parameters and a gradient stream with the hard cases.

Each gradient element is :math:`\pm 10^{u}`, :math:`u \sim U(-8, 3)`, with independent random
signs (so signs change between steps) and about 10% exact zeros: magnitudes from 1e-8 to 1e3,
sign changes, and zeros, as the spine issue asks.  Values are drawn in float64 and cast once, so
every backend and the reference see the same numbers in each dtype.

:func:`special_problem` (``optsym verify RULE --grad-stream special``) plants the values where
floating point stops behaving like the reals into that stream: 0 and -0, subnormal numbers of
both dtypes, 1e30 and 3e38 (float32's largest finite is 3.4e38), +inf and -inf once, a NaN
once, and on the last step a whole tensor of NaN.
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


#: the planted values: (step, tensor, element) -> value (step 1 first); the last step's NaN
#: tensor is added by :func:`special_problem`
SPECIAL: dict[tuple[int, int, tuple[int, ...]], float] = {
    (1, 0, (0, 0)): 0.0, (1, 0, (0, 1)): -0.0, (1, 0, (0, 2)): 1e-310, (1, 0, (0, 3)): 1e-40,
    (1, 0, (0, 4)): 1e30, (1, 1, (0,)): 3e38, (2, 1, (3,)): float("inf"),
    (2, 1, (4,)): float("-inf"), (3, 1, (5,)): float("nan")}
#: the fewest steps a special stream has (every planted value, then the NaN step)
SPECIAL_STEPS = 4

STREAMS = ("random", "special")


def special_problem(steps: int, seed: int = 0) -> Problem:
    """:func:`make_problem`'s stream with :data:`SPECIAL`'s values planted, and the scalar
    tensor all NaN on the last step."""
    if steps < SPECIAL_STEPS:
        from optsym.spec import SpecError

        raise SpecError(f"--grad-stream special needs --steps >= {SPECIAL_STEPS} (it plants its "
                        f"values over steps 1-3 and a NaN tensor on the last), got {steps}")
    problem = make_problem(steps, seed)
    grads = [[g.copy() for g in step] for step in problem.grads]
    for (k, i, where), value in SPECIAL.items():
        grads[k - 1][i][where] = value
    grads[-1][2] = np.full_like(grads[-1][2], np.nan)
    return Problem(problem.params, grads)


def problem_for(stream: str, steps: int, seed: int = 0) -> Problem:
    """The gradient stream named ``stream`` (:data:`STREAMS`)."""
    if stream == "special":
        return special_problem(steps, seed)
    if stream != "random":
        from optsym.spec import SpecError

        raise SpecError(f"unknown gradient stream {stream!r}; choose from {', '.join(STREAMS)}")
    return make_problem(steps, seed)
