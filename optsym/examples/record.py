r"""What a worked example records: each assignment at each step, each step, each check, and the
example itself (problem, steps, answer, checks), rendered by :mod:`optsym.examples.render`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from optsym.examples.aliases import Alias
from optsym.objective import Objective
from optsym.report import Check
from optsym.spec import Assign, Rule


@dataclass
class Update:
    """One assignment of the rule at one step: its formula, and per coordinate the inputs and
    the exact result."""

    target: sp.Symbol
    formula: sp.Expr
    note: str
    scalar: bool
    inputs: list[dict[sp.Symbol, sp.Expr]]
    #: per coordinate, the formula with the numbers in it: (text, LaTeX)
    shown: list[tuple[str, str]]
    results: list[sp.Expr]
    remarks: list[str] = field(default_factory=list)


@dataclass
class StepRecord:
    t: int
    before: tuple[sp.Expr, ...]
    grad: tuple[sp.Expr, ...]
    updates: list[Update]
    after: tuple[sp.Expr, ...]
    value: sp.Expr | None
    #: the point the gradient was taken at, where it is not ``before`` (a look-ahead)
    point: tuple[sp.Expr, ...] | None = None


@dataclass
class WorkedExample:
    """A worked example: the problem, each step, the answer and its checks."""

    method: str
    rule: Rule
    alias: Alias | None
    config: dict[str, Any]
    hypers: dict[str, sp.Expr]
    objective: Objective | None
    constant_grad: tuple[sp.Expr, ...] | None
    x0: tuple[sp.Expr, ...]
    equations: tuple[Assign, ...]
    records: list[StepRecord]
    iterates: list[tuple[sp.Expr, ...]]
    values: list[sp.Expr]
    generated: list[np.ndarray]
    checks: list[Check]
    notes: list[str]
    exact_steps: int
    diverged_at: int | None = None
    #: True when no starting point was given (the origin was used)
    x0_default: bool = False
    #: each state's exact values (by torch name) after 0, 1, 2, ... steps
    state_history: list[dict[str, Any]] = field(default_factory=list)
    #: where a convention takes the gradient (``theta + momentum*velocity``), or None at x
    gradient_point: sp.Expr | None = None
    #: the gradient of each step, given (``--g-seq``), instead of an objective or a constant
    grad_seq: tuple[tuple[sp.Expr, ...], ...] | None = None

    def given_gradient(self, k: int) -> tuple[sp.Expr, ...] | None:
        """The gradient given for step ``k`` (1, 2, ...), or None on an objective."""
        return self.grad_seq[k - 1] if self.grad_seq is not None else self.constant_grad

    @property
    def given_values(self) -> list[tuple[str, sp.Expr]]:
        """Every given gradient entry with its label: ``g[2]``, or ``g_3[2]`` in a sequence."""
        if self.grad_seq is not None:
            return [(f"g_{k + 1}[{i + 1}]", v) for k, gk in enumerate(self.grad_seq)
                    for i, v in enumerate(gk)]
        return [(f"g[{i + 1}]", v) for i, v in enumerate(self.constant_grad or ())]

    @property
    def checked(self) -> bool:
        """True when every check passed (the generated code agrees with the exact answer)."""
        return all(c.passed for c in self.checks if c.kind == "check")

    @property
    def steps(self) -> int:
        return len(self.records)

    @property
    def variables(self) -> tuple[sp.Symbol, ...]:
        if self.objective is not None:
            return self.objective.variables
        return tuple(sp.Symbol(f"x{i + 1}") for i in range(len(self.x0))) if len(self.x0) > 1 \
            else (sp.Symbol("x"),)

    def as_text(self) -> str:
        from optsym.examples.render import as_text

        return as_text(self)

    def as_latex(self) -> str:
        from optsym.examples.render import as_latex

        return as_latex(self)

    def as_dict(self) -> dict[str, Any]:
        from optsym.examples.render import as_dict

        return as_dict(self)

    def _repr_latex_(self) -> str:
        from optsym.examples.render import as_mathjax

        return as_mathjax(self)


__all__ = ["Check", "StepRecord", "Update", "WorkedExample"]
