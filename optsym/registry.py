"""A registry of specs by name, imported lazily: rules, schedules and transforms are looked up
the same way.

The built-ins are ``name -> (module, attribute)`` pairs, imported on first use.  Specs from the
user's own file (``--spec FILE``, :mod:`optsym.loader`) and from installed packages (the
``optsym.specs`` entry-point group) are added to the same registry, so every command that looks
a name up finds them: ``optsym list``, ``verify``, ``codegen``, ``example``, ``export``, ...
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from optsym.spec import SpecError, unknown_name_message


class Registry:
    """``name -> (module, attribute)``; ``get`` imports the module on first use."""

    def __init__(self, kind: str, modules: Mapping[str, tuple[str, str]]) -> None:
        self.kind = kind
        self.modules = dict(modules)
        #: specs added at run time (a ``--spec`` file, an installed package): name -> (spec,
        #: where it came from)
        self.added: dict[str, tuple[Any, str]] = {}

    def _plugins(self) -> None:
        from optsym.loader import load_entry_points

        load_entry_points()

    def names(self) -> list[str]:
        self._plugins()
        return [*self.modules, *(n for n in self.added if n not in self.modules)]

    def get(self, name: str) -> Any:
        """The spec called ``name``; an unknown name raises :class:`SpecError` with suggestions."""
        key = name.lower()
        if key not in self.modules and key not in self.added:
            self._plugins()
        if key in self.added:
            return self.added[key][0]
        if key not in self.modules:
            raise SpecError(unknown_name_message(self.kind, name, self.names()))
        module, attr = self.modules[key]
        return getattr(importlib.import_module(module), attr)

    def all(self) -> list[Any]:
        return [self.get(n) for n in self.names()]

    def source(self, name: str) -> str:
        """Where the spec ``name`` comes from: ``optsym`` or the file / package that added it."""
        key = name.lower()
        return self.added[key][1] if key in self.added else "optsym"

    def add(self, name: str, spec: Any, source: str) -> None:
        """Register ``spec`` as ``name`` for this run; a built-in's name, or a name another file
        already added, is refused (one line)."""
        key = name.lower()
        if key in self.modules:
            raise SpecError(f"{source}: {self.kind} {name!r} has the name of one of optsym's "
                            f"own {self.kind}s; give it another name")
        if key in self.added and self.added[key][1] != source:
            raise SpecError(f"{source}: {self.kind} {name!r} is already defined in "
                            f"{self.added[key][1]}")
        self.added[key] = (spec, source)

    def remove(self, name: str) -> None:
        """Forget a spec added with :meth:`add` (the end of a run)."""
        self.added.pop(name.lower(), None)
