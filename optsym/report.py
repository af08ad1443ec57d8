r"""The report vocabulary of derivations, worked examples and exercises: a described check,
with what was measured and what was expected.

A derivation backs each result with checks that compute it another way; a worked example checks
its answer against the generated code; an exercise checks its solution.  Each is a
:class:`Check`; ``kind="observation"`` marks one that is reported but never fails what it backs
(the objective did not decrease, say).

A numeric run of generated code against a reference (a rule against torch.optim, a schedule
against its scheduler, a rule over an objective against torch's training loop, a convention
against its exact trajectory) is a :class:`RunCheck`: its error measures, the criterion it was
held to and the first failure.  Each kind adds what only it has (the backend and device of a
rule's run, the steps where a schedule parted from torch) in a subclass next to its runner.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
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


@dataclass(kw_only=True)
class RunCheck:
    """A numeric run against a reference: error measures (None: not measured), verdict and
    the criterion it was held to."""

    steps: int
    passed: bool
    max_abs: float | None = None
    max_rel: float | None = None
    max_ulp: int | None = None
    #: the largest error/tolerance ratio (within a bound: <= 1), where a bound is the criterion
    worst_ratio: float | None = None
    criterion: str = ""
    #: the first element that failed, in words (step, tensor, values)
    failure: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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


__all__ = ["Check", "RunCheck", "number", "plain"]
