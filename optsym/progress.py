"""A progress bar for long work, on stderr only when stderr is a terminal.

>>> with Progress("sweep", total=40) as bar:     # doctest: +SKIP
...     for job in jobs:
...         run(job)
...         bar.advance()

or ``for job in track(jobs, "sweep"): ...``.  The bar is one line, redrawn in place (``\\r``)
at most every :data:`MIN_INTERVAL` seconds, and erased when the work ends, so what the command
prints on stdout (and stderr's own messages) is unchanged.  Nothing is drawn when stderr is not
a terminal (a pipe, a file, a test's captured stream) or when output is quiet: ``optsym
--quiet`` calls :func:`set_quiet`, and ``Progress(..., quiet=True)`` silences one bar.  A bar
opened while another is drawing stays silent, so nested work (a claim's own bar inside ``optsym
claims``' bar) keeps to one line.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO, TypeVar

T = TypeVar("T")

#: seconds between redraws
MIN_INTERVAL = 0.1
#: characters of the bar itself
WIDTH = 30

_quiet = False
#: bars drawing now: a bar opened inside another stays silent (one line on the terminal)
_drawing = 0


def set_quiet(value: bool) -> None:
    """Silence (or allow) every progress bar of this process (``optsym --quiet``)."""
    global _quiet
    _quiet = bool(value)


def is_quiet() -> bool:
    return _quiet


def _count(step: int) -> None:
    global _drawing
    _drawing = max(_drawing + step, 0)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # a closed or unusual stream
        return False


def render(label: str, done: int, total: int, elapsed: float, width: int = WIDTH) -> str:
    """``label [#######.......]  7/20  3.1s``: the bar's text (no ``\\r``)."""
    frac = min(done / total, 1.0) if total > 0 else 1.0
    filled = int(round(frac * width))
    return (f"{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
            f"{elapsed:.1f}s")


class Progress:
    """A bar counting ``total`` units of work, drawn inside a ``with`` block; a no-op unless
    stderr is a terminal."""

    def __init__(self, label: str, total: int, quiet: bool | None = None,
                 stream: IO[str] | None = None):
        self.label = label
        self.total = int(total)
        self.done = 0
        self.stream = sys.stderr if stream is None else stream
        silenced = _quiet if quiet is None else quiet
        self._wanted = not silenced and _is_terminal(self.stream)
        #: drawing now: from ``with`` (when no other bar draws) until the block ends
        self.active = False
        self.note = ""
        self._start = time.monotonic()
        self._last = 0.0
        self._width = 0

    def __enter__(self) -> Progress:
        if self._wanted and _drawing == 0:
            self.active = True
            _count(+1)
            self._start = time.monotonic()
            self._draw(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def advance(self, n: int = 1, note: str | None = None) -> None:
        """``n`` more units done; ``note`` (what runs next) is shown after the count."""
        self.done += n
        if note is not None:
            self.note = note
        self._draw(force=self.done >= self.total or note is not None)

    def _draw(self, force: bool = False) -> None:
        if not self.active:
            return
        now = time.monotonic()
        if not force and now - self._last < MIN_INTERVAL:
            return
        self._last = now
        text = render(self.label, self.done, self.total, now - self._start)
        text += f"  {self.note}" if self.note else ""
        pad = max(self._width - len(text), 0)
        self._width = len(text)
        try:
            self.stream.write("\r" + text + " " * pad)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: stop drawing, never fail
            _count(-1)
            self.active = False

    def close(self) -> None:
        """Erase the bar (the line is left empty for what comes next)."""
        if self.active and self._width:
            try:
                self.stream.write("\r" + " " * self._width + "\r")
                self.stream.flush()
            except (OSError, ValueError):
                pass
        if self.active:
            _count(-1)
        self.active = False


def track(items: Iterable[T], label: str, total: int | None = None,
          quiet: bool | None = None) -> Iterator[T]:
    """Iterate ``items`` with a bar (``total`` defaults to ``len(items)``)."""
    items = list(items) if total is None and not hasattr(items, "__len__") else items
    n = len(items) if total is None else total  # type: ignore[arg-type]
    with Progress(label, n, quiet=quiet) as bar:
        for item in items:
            yield item
            bar.advance()


__all__ = ["Progress", "track", "set_quiet", "is_quiet", "render"]
