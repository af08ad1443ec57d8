"""The error every spec raises for input it refuses, and its "did you mean" message."""

from __future__ import annotations

import difflib


class SpecError(ValueError):
    """A configuration the rule (and torch) rejects; the message is torch's where it has one."""


def unknown_name_message(kind: str, name: str, known: list[str], where: str = "") -> str:
    """``unknown rule 'adamm'; did you mean 'adam'?`` (closest names by difflib)."""
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    hint = (f"; did you mean {', '.join(repr(c) for c in close)}?" if close
            else f"; known: {', '.join(known)}")
    return f"unknown {kind} {name!r}{where}{hint}"
