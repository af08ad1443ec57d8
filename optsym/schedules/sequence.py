r"""A schedule's closed form as a sequence of numbers: 50-digit values (float64 for long
sequences), the agreement a cross-check asks of them, and a time limit for SymPy."""

from __future__ import annotations

import math
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import mpmath
import numpy as np
import sympy as sp

from optsym.schedules.spec import Config, Schedule, k

DIGITS = 50
#: seconds SymPy may spend on a budget's closed form before the exact numeric sum is reported
BUDGET_SECONDS = 4.0


class Slow(BaseException):
    """SymPy took longer than its allowance.

    A ``BaseException``, as ``KeyboardInterrupt`` is: SymPy catches ``Exception`` in places
    (a ``subs`` fallback, an ``eval``), and a swallowed limit let a Bernoulli polynomial of
    degree 10^6 run on for hours."""


#: seconds between repeated alarms once the limit has passed (in case one was swallowed)
REPEAT_SECONDS = 0.25


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise :class:`Slow` in the main thread after ``seconds``, and again every
    :data:`REPEAT_SECONDS` until the block is left (no limit in other threads)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise Slow

    hook = sys.unraisablehook

    def quiet(unraisable) -> None:
        """An alarm that lands in a garbage-collector callback cannot be raised from there;
        Python would print it as "Exception ignored in ..." with a traceback. The next alarm
        follows REPEAT_SECONDS later, so this one is dropped silently."""
        if not isinstance(unraisable.exc_value, Slow):
            hook(unraisable)

    previous = signal.signal(signal.SIGALRM, expire)
    sys.unraisablehook = quiet
    signal.setitimer(signal.ITIMER_REAL, seconds, REPEAT_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.unraisablehook = hook


#: sequences longer than this are cross-checked in float64 (vectorized), not in 50 digits
EXACT_STEPS = 20_000


def closed_values(schedule: Schedule, cfg: Config, n: int) -> list | np.ndarray:
    """The closed form at k = 0 .. n-1: a list of 50-digit numbers, or for long sequences a
    float64 array."""
    closed = schedule.closed_form(cfg).subs(schedule.values(cfg))
    if n > EXACT_STEPS:
        fn = sp.lambdify([k], closed, "numpy")
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(fn(np.arange(n, dtype=np.float64)),
                                              dtype=np.float64), (n,))
    fn = sp.lambdify([k], closed, "mpmath")
    with mpmath.workdps(DIGITS):
        return [mpmath.mpf(fn(mpmath.mpf(j))) for j in range(n)]


def peak_scale(values: np.ndarray) -> float:
    """The largest finite ``|value|`` (1 when there is none): dividing by it before squaring
    keeps lr^2 from underflowing (``eta_max = 1e-300``)."""
    peak = float(np.max(np.abs(values), initial=0.0))
    return peak if np.isfinite(peak) and peak > 0 else 1.0


def sums(seq) -> tuple[mpmath.mpf, mpmath.mpf]:
    r""":math:`\sum \eta_k` and :math:`\sum \eta_k^2` of :func:`closed_values`: in 50 digits,
    or (a long sequence, a float64 array) correctly rounded by ``math.fsum``, the squares taken
    of the values scaled to a peak of 1 so that they cannot underflow."""
    if isinstance(seq, np.ndarray):
        scale = peak_scale(seq)
        with np.errstate(all="ignore"):
            squares = math.fsum((seq / scale) ** 2)
        with mpmath.workdps(DIGITS):
            return mpmath.mpf(math.fsum(seq)), mpmath.mpf(squares) * mpmath.mpf(scale) ** 2
    with mpmath.workdps(DIGITS):
        return mpmath.fsum(seq), mpmath.fsum([v * v for v in seq])


def tolerance(n: int) -> float:
    """Relative agreement required of a cross-check over n values (50 digits or float64)."""
    return 1e-30 if n <= EXACT_STEPS else 1e-12
