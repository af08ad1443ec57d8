r"""The report vocabulary of derivations, worked examples and exercises: a described check,
with what was measured and what was expected.

A derivation backs each result with checks that compute it another way; a worked example checks
its answer against the generated code; an exercise checks its solution.  Each is a
:class:`Check`; ``kind="observation"`` marks one that is reported but never fails what it backs
(the objective did not decrease, say).  The numeric comparisons of a run against a reference
(:class:`optsym.verify.runner.Result`) carry error measures instead and live with the runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp


@dataclass
class Check:
    """One check of a result: what it states, whether it held, and what was compared."""

    description: str
    passed: bool
    measured: Any = None
    expected: Any = None
    detail: str = ""
    #: ``check``: a failure fails what it backs; ``observation``: reported, never a failure
    kind: str = "check"

    def as_dict(self) -> dict[str, Any]:
        return {"description": self.description, "passed": bool(self.passed),
                "measured": plain(self.measured), "expected": plain(self.expected),
                "detail": self.detail, "kind": self.kind}


def number(v: Any) -> float | None:
    """``v`` as a real float, or None (a symbol left in it, or a complex value)."""
    try:
        if isinstance(v, sp.Basic) and v.free_symbols:
            return None
        z = complex(v)
    except (TypeError, ValueError):
        return None
    return z.real if abs(z.imag) <= 1e-12 * max(abs(z.real), 1.0) else None


def plain(v: Any) -> Any:
    """``v`` as JSON can hold it: a SymPy number as a float (its text otherwise), an array as
    a list."""
    if isinstance(v, sp.Basic):
        n = number(v)
        return n if n is not None else str(v)
    if hasattr(v, "tolist"):
        return v.tolist()
    return v


__all__ = ["Check", "number", "plain"]
