"""A registry of specs by name, imported lazily: rules and schedules are looked up the same way."""

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

    def names(self) -> list[str]:
        return list(self.modules)

    def get(self, name: str) -> Any:
        """The spec called ``name``; an unknown name raises :class:`SpecError` with suggestions."""
        key = name.lower()
        if key not in self.modules:
            raise SpecError(unknown_name_message(self.kind, name, self.names()))
        module, attr = self.modules[key]
        return getattr(importlib.import_module(module), attr)

    def all(self) -> list[Any]:
        return [self.get(n) for n in self.names()]
