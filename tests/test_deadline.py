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


def test_an_alarm_in_a_finalizer_is_not_printed(monkeypatch):
    """An alarm landing in a garbage-collector callback is "Exception ignored in ...", a
    traceback on stderr; inside the limit it is dropped (the next alarm follows), and any other
    unraisable error still reaches the hook."""
    import sys

    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(type(u.exc_value)))

    class Raises:
        def __init__(self, error):
            self.error = error

        def __del__(self):
            raise self.error

    with deadline(60):
        item = Raises(Slow())
        del item
        other = Raises(ValueError("kept"))
        del other
    assert seen == [ValueError]
    assert sys.unraisablehook is not None and sys.unraisablehook.__name__ == "<lambda>"
