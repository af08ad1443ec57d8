"""The time limit on SymPy work holds even where the library catches ``Exception``."""

from __future__ import annotations

import time

import pytest

from optsym.schedules.sequence import Slow, deadline


def _swallowing_work(seconds: float) -> float:
    """Work that catches every ``Exception`` it meets, as SymPy's ``subs`` fallback does."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        try:
            sum(range(10_000))
        except Exception:  # noqa: BLE001 - the point of the test
            pass
    return time.monotonic() - start


def test_a_limit_is_not_swallowed_by_except_exception():
    start = time.monotonic()
    with pytest.raises(Slow):
        with deadline(0.2):
            _swallowing_work(20.0)
    assert time.monotonic() - start < 5.0


def test_the_limit_ends_with_the_block():
    with deadline(0.1):
        pass
    assert _swallowing_work(0.5) >= 0.5  # no alarm left behind to interrupt later work


def test_a_swallowed_alarm_fires_again():
    """Library code that catches ``BaseException`` once still sees the next alarm."""
    caught = 0
    with pytest.raises(Slow):
        with deadline(0.1):
            while True:
                try:
                    _swallowing_work(20.0)
                except Slow:
                    caught += 1
                    if caught > 1:
                        raise
    assert caught == 2
