"""A behaviour statement of the course, measured: what ``optsym claims`` reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Claim:
    """A statement, the setting it was measured in, the numbers and whether the check holds."""

    name: str
    statement: str
    setting: str
    measured: dict[str, Any]
    holds: bool
    notes: list[str] = field(default_factory=list)
    #: what the claim's figure draws (not part of the JSON)
    data: Any = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "statement": self.statement, "setting": self.setting,
                "holds": self.holds, "measured": self.measured, "notes": self.notes}


__all__ = ["Claim"]
