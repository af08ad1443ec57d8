"""The CLI's error boundary: every failure becomes one line on stderr and an exit status.

* ``UsageFailure`` (bad input, not a bug): ``optsym: error: ...``, exit 2.
* A closed pipe (``optsym list | head -1``): silent, exit 1, as Python's own recipe for EPIPE.
* Any other ``OSError`` (stdout on a full disk, an unwritable file): one line, exit 1.
* Anything else unexpected: one line naming the exception type, asking for a report, exit 1;
  ``optsym --debug ...`` (or ``OPTSYM_DEBUG=1``) prints the traceback instead.
"""

from __future__ import annotations

import errno
import os
import sys
import traceback

import click


class UsageFailure(Exception):
    """Bad input from the user (not a bug): one line on stderr, exit 2."""


_DEBUG = {"on": False}


def set_debug(on: bool) -> None:
    """Switch the traceback on for this process (the group's ``--debug`` flag)."""
    _DEBUG["on"] = bool(on)


def debug_enabled(args: list[str] | tuple[str, ...] | None = None) -> bool:
    """Whether the traceback is wanted: ``--debug`` given, seen in ``args``, or ``OPTSYM_DEBUG``."""
    if _DEBUG["on"] or os.environ.get("OPTSYM_DEBUG", "") not in ("", "0"):
        return True
    return "--debug" in (args if args is not None else sys.argv[1:])


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail a second time."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # a test runner's in-memory stream: nothing to flush at exit
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
    except OSError:
        pass


def flush_stdout() -> None:
    """Flush stdout inside the boundary, so a full disk is reported here, not at exit."""
    stream = sys.stdout
    if stream is not None:
        stream.flush()


def _say(line: str) -> None:
    try:
        click.echo(line, err=True)
    except OSError:
        pass


def os_failure(exc: OSError) -> int:
    """A closed pipe is silent; any other OSError is one line. Returns the exit status (1)."""
    _silence_stdout()
    if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE:
        return 1
    where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
    reason = exc.strerror or str(exc) or type(exc).__name__
    _say(f"optsym: error: cannot write output{where}: {reason}")
    return 1


def internal_failure(exc: BaseException, debug: bool) -> int:
    """An unexpected exception: one line and a request to report it (traceback with --debug)."""
    if debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    message = " ".join(str(exc).split())[:300]
    _say(f"optsym: internal error: {type(exc).__name__}: {message} "
         "(please report; rerun with --debug for the traceback)")
    return 1
