r"""The course's chapters that are not a rule, a schedule or a derivation: gradient clipping,
weight decay coupled and decoupled, the conventions, and the behaviour claims.  Each is the
topic ``chapter:NAME`` (``optsym export clipping``), written by a function of its own module
from what optsym computes when the course is exported (proofs, comparisons, claims)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from optsym.spec import SpecError, unknown_name_message


@dataclass(frozen=True)
class Chapter:
    """A chapter: its registry name, title and the ``module:function`` that writes it."""

    name: str
    title: str
    writer: str

    def write(self) -> Callable:
        module, _, function = self.writer.partition(":")
        return getattr(import_module(module), function)


#: name -> chapter, in the order :func:`names` lists them
CHAPTERS = {c.name: c for c in (
    Chapter("clipping", "Gradient clipping", "optsym.export.clipping:clipping_chapter"),
    Chapter("weight-decay", "Weight decay, coupled and decoupled",
            "optsym.export.weight_decay:weight_decay_chapter"),
    Chapter("conventions", "Conventions: one method, several updates",
            "optsym.export.conventions:conventions_chapter"),
    Chapter("claims", "Behaviour, measured", "optsym.export.claims:claims_chapter"),
)}


def names() -> list[str]:
    return list(CHAPTERS)


def get(name: str) -> Chapter:
    if name not in CHAPTERS:
        raise SpecError(unknown_name_message("chapter", name, names()))
    return CHAPTERS[name]
