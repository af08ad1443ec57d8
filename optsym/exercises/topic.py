r"""Exercise sheets: a topic draws tidy parameters, solves them from optsym's symbolic sources and
checks every answer with optsym's generated code before a sheet is written.

A :class:`Topic` is four small functions:

* ``draw(rng) -> params``: exact parameters (SymPy integers and rationals) picked from a
  :class:`random.Random` so that the answers are exact and tidy;
* ``problem(params) -> str``: the problem statement, a LaTeX fragment;
* ``solve(params) -> Solution``: the exact answers, derived from optsym's specs (a rule's
  equations, a derivation's results, a schedule's closed form), with the working as LaTeX;
* ``check(params, answers) -> list[Check]``: each answer against optsym's *generated* code (the
  step module of a rule, a schedule's generated learning-rate function, generated gradient
  descent just below and just above a step-size bound).

:func:`make_sheet` draws ``n`` distinct problems from ``random.Random(seed)`` (the same seed gives
the same sheet, byte for byte) and raises :class:`SheetRefused` when any check fails: a sheet
with a wrong answer is never written.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from optsym.derivation import Check, _tex_text, document
from optsym.spec import SpecError, latex

Params = Mapping[str, Any]

#: the largest number of problems on one sheet
MAX_PROBLEMS = 50
#: the largest seed (``random.Random`` takes any integer; this keeps the command line sane)
MAX_SEED = 2**63 - 1


class SheetRefused(Exception):
    """An answer failed its check against optsym's generated code: the sheet is not written
    (exit status 1 on the command line, like a failed verification)."""


@dataclass(frozen=True)
class Answer:
    """One exact answer: its key, its label (LaTeX, e.g. ``x_1``) and its value."""

    key: str
    label: str
    value: sp.Expr

    def as_dict(self) -> dict[str, Any]:
        value = sp.sympify(self.value)
        return {"key": self.key, "label": self.label, "exact": sp.sstr(value),
                "latex": latex(value), "value": _float(value)}


@dataclass
class Solution:
    """The answers of one problem and the working that leads to them (LaTeX lines)."""

    answers: list[Answer] = field(default_factory=list)
    working: list[str] = field(default_factory=list)
    #: answers per line on the solutions sheet
    per_row: int = 3

    def answer(self, key: str, label: str, value: sp.Expr) -> sp.Expr:
        self.answers.append(Answer(key, label, sp.sympify(value)))
        return value

    def say(self, text: str) -> None:
        """A line of working: LaTeX text (math in ``$...$`` or ``\\[...\\]``)."""
        self.working.append(text)

    def values(self) -> dict[str, sp.Expr]:
        return {a.key: a.value for a in self.answers}


@dataclass(frozen=True)
class Topic:
    """An exercise topic (see the module docstring)."""

    name: str
    title: str
    #: a sentence before the problems (LaTeX): the conventions the problems use
    intro: str
    draw: Callable[[random.Random], dict[str, Any]]
    problem: Callable[[Params], str]
    solve: Callable[[Params], Solution]
    check: Callable[[Params, Mapping[str, sp.Expr]], list[Check]]
    #: parameters a sheet should vary between problems where it can (a new objective and step
    #: rather than only a new start)
    vary: tuple[str, ...] = ()


@dataclass
class Exercise:
    number: int
    params: dict[str, Any]
    problem: str
    solution: Solution
    checks: list[Check]

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number,
                "params": {k: _plain(v) for k, v in self.params.items()},
                "problem_latex": self.problem,
                "answers": [a.as_dict() for a in self.solution.answers],
                "checks": [c.as_dict() for c in self.checks]}


@dataclass
class ExerciseSheet:
    topic: Topic
    seed: int
    exercises: list[Exercise]

    def problems_tex(self) -> str:
        """The problem sheet: a complete LaTeX document."""
        items = [rf"\item {e.problem}" for e in self.exercises]
        return document(self._body(items), self._title("Exercises"))

    def solutions_tex(self) -> str:
        """The solutions sheet: each problem again, its working and its answers."""
        items = []
        for e in self.exercises:
            lines = [rf"\item {e.problem}", "", r"\textbf{Solution.}"]
            lines += [w + "\n" for w in e.solution.working]
            cells = [rf"{a.label} = {latex(a.value)}" for a in e.solution.answers]
            width = e.solution.per_row
            rows = [r",\qquad ".join(cells[i:i + width]) for i in range(0, len(cells), width)]
            lines.append(r"\begin{gather*}" + " \\\\\n".join(rows) + r"\end{gather*}")
            lines.append(r"\textit{" + _tex_text(
                f"Checked before this sheet was written: {len(e.checks)} numeric checks "
                "passed (optsym's generated code).") + "}")
            items.append("\n".join(lines))
        return document(self._body(items), self._title("Solutions"))

    def as_dict(self) -> dict[str, Any]:
        return {"topic": self.topic.name, "title": self.topic.title, "seed": self.seed,
                "n": len(self.exercises), "checked": all(c.passed for e in self.exercises
                                                         for c in e.checks),
                "exercises": [e.as_dict() for e in self.exercises]}

    def as_text(self) -> str:
        lines = [f"{self.topic.title} (topic {self.topic.name}, seed {self.seed}): "
                 f"{len(self.exercises)} problem{'s' if len(self.exercises) != 1 else ''}"]
        for e in self.exercises:
            given = ", ".join(f"{k} = {_shown(v)}" for k, v in e.params.items())
            lines.append(f"\n{e.number}. {given}")
            for a in e.solution.answers:
                lines.append(f"     {a.key} = {sp.sstr(a.value)}")
            lines.append(f"     [{len(e.checks)} numeric checks passed (optsym's generated "
                         "code)]")
        return "\n".join(lines)

    def _title(self, kind: str) -> str:
        return f"{kind}: {self.topic.title} (seed {self.seed})"

    def _body(self, items: list[str]) -> str:
        return "\n".join([self.topic.intro, "", r"\begin{enumerate}",
                          "\n\n".join(items), r"\end{enumerate}"])


def check_seed(seed: int) -> int:
    if not 0 <= seed <= MAX_SEED:
        raise SpecError(f"--seed must be an integer from 0 to {MAX_SEED}, got {seed}")
    return seed


def check_count(n: int) -> int:
    if not 1 <= n <= MAX_PROBLEMS:
        raise SpecError(f"--n must be from 1 to {MAX_PROBLEMS} problems, got {n}")
    return n


def draw_distinct(topic: Topic, rng: random.Random, n: int) -> list[dict[str, Any]]:
    """``n`` different parameter sets, in the order drawn."""
    seen: set[str] = set()
    varied: set[str] = set()
    out: list[dict[str, Any]] = []
    misses = 0
    for _ in range(200 * n):
        params = topic.draw(rng)
        key = _key(params, params.keys())
        vary = _key(params, topic.vary)
        if key in seen or (topic.vary and vary in varied and misses < 50):
            misses += key not in seen
            continue
        seen.add(key)
        varied.add(vary)
        misses = 0
        out.append(params)
        if len(out) == n:
            return out
    raise AssertionError(f"{topic.name}: could not draw {n} different problems")


def _key(params: Mapping[str, Any], names) -> str:
    return repr(sorted((k, sp.srepr(params[k]) if isinstance(params[k], sp.Basic)
                        else repr(params[k])) for k in names))


def make_sheet(topic: Topic, n: int, seed: int) -> ExerciseSheet:
    """``n`` problems of ``topic`` drawn from ``random.Random(seed)``, solved and checked;
    :class:`SheetRefused` when an answer fails its check against optsym's generated code."""
    check_count(n)
    check_seed(seed)
    rng = random.Random(seed)
    exercises = []
    for i, params in enumerate(draw_distinct(topic, rng, n), 1):
        solution = topic.solve(params)
        try:
            checks = topic.check(params, solution.values())
        except (ArithmeticError, ValueError, RuntimeError, TypeError) as exc:
            checks = [Check("the checks run", False, detail=f"{type(exc).__name__}: {exc}")]
        failed = [c for c in checks if not c.passed]
        if not checks or failed:
            what = failed[0].description + (f" ({failed[0].detail})" if failed[0].detail
                                            else "") if failed else "no check ran"
            raise SheetRefused(f"{topic.name}, seed {seed}, problem {i}: an answer fails its "
                               f"check: {what}; the sheet is not written")
        exercises.append(Exercise(i, dict(params), topic.problem(params), solution, checks))
    return ExerciseSheet(topic, seed, exercises)


def close(measured: float, exact: sp.Expr, rtol: float = 1e-12, atol: float = 1e-14) -> bool:
    """``measured`` (a float from generated code) agrees with the exact value."""
    value = float(sp.N(exact, 30))
    return abs(measured - value) <= atol + rtol * abs(value)


def tex(value: Any) -> str:
    """A parameter or value in LaTeX."""
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(tex(v) for v in value) + ")"
    return latex(sp.sympify(value))


def _float(value: sp.Basic) -> float | list | None:
    """The value as a float (a list for a tuple), None where it has free symbols."""
    if isinstance(value, (sp.Tuple, tuple, list)):
        return [_float(v) for v in value]
    if value.free_symbols:
        return None
    number = complex(sp.N(value, 30))
    return None if number.imag else number.real


def _plain(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, sp.Basic):
        return sp.sstr(value)
    return value


def _shown(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(_shown(v) for v in value) + ")"
    return sp.sstr(value) if isinstance(value, sp.Basic) else str(value)


__all__ = ["Answer", "Exercise", "ExerciseSheet", "SheetRefused", "Solution", "Topic",
           "make_sheet", "close", "tex", "MAX_PROBLEMS"]
