r"""A derivation: ordered steps, results, and the numeric cross-checks that back each result.

One derivation per topic lives in ``derivations/`` (installed as ``optsym.derivations``), in the
spirit of PEPit's examples: a module docstring with the problem, the method, the result and a
citation, and a ``build`` function whose body reads like the textbook::

    def build() -> Sheet:
        d = Sheet()
        e = d.step("The error e_t = x_t - x* obeys", sp.Eq(e1, (1 - eta * lam) * e0),
                   "subtract x* = x* - eta*(A x* - b) from the update")
        d.result("bound", "largest stable step", 2 / L)
        return d

SymPy can be wrong silently (measured: ``minimum`` returned 1 instead of 9/11), so every result
is backed by a numeric cross-check (``cross_checks``) that computes the same quantity another
way (simulation of optsym's generated code, eigenvalues, a grid search, Monte Carlo) and runs in
the tests.  Where SymPy needs help, the step's justification says what was done.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import sympy as sp

from optsym.mathtext import escape
from optsym.mathtext import to_latex as prose
from optsym.mathtext import to_mathjax as mathjax_prose
from optsym.params import Param, ParamSet
from optsym.reading import reading
from optsym.report import Check, number
from optsym.spec import latex

Config = Mapping[str, Any]


@dataclass(frozen=True)
class Step:
    """One step: what is claimed, its SymPy expression, and why it holds."""

    statement: str
    expr: sp.Basic | None = None
    justification: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"statement": self.statement, "justification": self.justification,
                "expr": None if self.expr is None else str(self.expr),
                "latex": None if self.expr is None else latex(self.expr)}


@dataclass(frozen=True)
class Result:
    """A named result: a symbolic expression (instantiated with numbers when parameters are
    given)."""

    key: str
    description: str
    expr: sp.Basic


@dataclass
class Sheet:
    """What a derivation's ``build`` writes: its steps and results, in order."""

    steps: list[Step] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)

    def step(self, statement: str, expr: sp.Basic | None = None,
             justification: str = "") -> sp.Basic | None:
        """Record a step; returns ``expr`` so the derivation can go on from it."""
        self.steps.append(Step(statement, expr, justification))
        return expr

    def result(self, key: str, description: str, expr: sp.Basic) -> sp.Basic:
        """Record a result; returns ``expr``."""
        self.results.append(Result(key, description, expr))
        return expr


@dataclass(frozen=True)
class Derivation(ParamSet):
    """A topic: its parameters, its symbolic derivation and its numeric cross-checks."""

    name: str
    title: str
    doc: str
    params: tuple[Param, ...]
    build: Callable[[], Sheet]
    #: the numeric cross-checks at a configuration (parameter values)
    cross_checks: Callable[[Config], list[Check]]
    #: cross-parameter checks: (predicate that is True when the config is bad, message)
    checks: tuple[tuple[Callable[[Config], bool], str], ...] = ()
    assumptions: tuple[str, ...] = ()
    #: the parameter values a quadratic problem sets (``--f`` / ``--hessian``): a function of
    #: its :class:`~optsym.derivations._quadratic.Quadratic`, or None when not a quadratic's
    quadratic: Callable[[Any], dict[str, sp.Expr]] | None = None
    #: the results that answer a problem given with ``--f`` / ``--hessian``
    answer: tuple[str, ...] = ()

    def sheet(self) -> Sheet:
        """The derivation's steps and results (built once)."""
        return _built(self.name, self.build)

    def result(self, key: str) -> Result:
        for r in self.sheet().results:
            if r.key == key:
                return r
        raise KeyError(key)

    def with_result(self, key: str, expr: sp.Basic) -> Derivation:
        """This derivation with result ``key`` replaced by ``expr`` (for mutation tests: a
        wrong result must fail its cross-check)."""
        build = self.build

        def mutated() -> Sheet:
            sheet = build()
            sheet.results = [Result(r.key, r.description, expr if r.key == key else r.expr)
                             for r in sheet.results]
            return sheet
        return replace(self, name=f"{self.name}-mutated-{key}", build=mutated)

    def instantiate(self, cfg: Config) -> dict[str, float | None]:
        """Each result's value under ``cfg`` (None where it still has free symbols)."""
        values = self.values(cfg)
        out: dict[str, float | None] = {}
        for r in self.sheet().results:
            # evalf with subs: substituting exact rationals first can make SymPy factor huge
            # integers (sqrt(1 - alpha**t) at t = 1000)
            v = _evaluate(r.expr, values) if isinstance(r.expr, sp.Basic) else r.expr
            out[r.key] = number(v)
        return out

    def exact_results(self, cfg: Config) -> dict[str, sp.Expr | None]:
        """Each result's exact value under ``cfg`` (parameters as typed: ``--L 5+sqrt(2)``,
        defaults through their shortest decimal), None where it is not short or not exact."""
        values = self.shortest_values(cfg)
        return {r.key: _exact_value(r.expr, values) for r in self.sheet().results}

    def problem(self, f_text: str | None, hessian_text: str | None) -> tuple[dict, list[str]]:
        """Configuration overrides (exact) and the lines that state the problem, for a
        quadratic given as ``--f`` (an objective) or ``--hessian`` (a matrix)."""
        from optsym.derivations import _quadratic
        from optsym.errors import SpecError

        q = _quadratic.problem(f_text, hessian_text)
        if q is None:
            return {}, []
        if self.quadratic is None:
            raise SpecError(f"{self.name} does not take --f or --hessian (they are for "
                            "derivations on quadratics: condition-number, gd-quadratic, "
                            "heavy-ball, nesterov)")
        values = self.quadratic(q)
        lines = [f"problem: {q.source}"]
        if f_text is not None:
            lines.append(f"    Hessian H = {q.hessian_text()} (constant: f is a quadratic)")
        lines.append(f"    eigenvalues: L = {sp.sstr(q.L)}, mu = {sp.sstr(q.mu)}")
        lines.append(f"    so this derivation runs at {_quadratic.overrides_text(values)}")
        return _quadratic.as_overrides(values), lines

    # ---- rendering -----------------------------------------------------------------------
    def as_dict(self, cfg: Config | None = None, checks: list[Check] | None = None) -> dict:
        values = self.instantiate(cfg) if cfg is not None else {}
        exact = self.exact_results(cfg) if cfg is not None else {}
        return {
            "derivation": self.name, "title": self.title,
            "assumptions": list(self.assumptions),
            "params": {p.name: (cfg or self.defaults())[p.name] for p in self.params},
            "steps": [s.as_dict() for s in self.sheet().steps],
            "results": [{"key": r.key, "description": r.description, "expr": str(r.expr),
                         "latex": latex(r.expr), **({"value": values.get(r.key),
                                                     "exact": _exact_text(exact.get(r.key))}
                                                    if cfg is not None else {})}
                        for r in self.sheet().results],
            **({"cross_checks": [c.as_dict() for c in checks],
                "passed": all(c.passed for c in checks)} if checks is not None else {}),
        }

    def as_text(self, cfg: Config | None = None, checks: list[Check] | None = None) -> str:
        lines = [self.title, "=" * len(self.title)]
        if self.assumptions:
            lines.append("assumptions: " + "; ".join(self.assumptions))
        for i, s in enumerate(self.sheet().steps, 1):
            lines.append(f"\n{i}. {s.statement}")
            if s.expr is not None:
                lines += ["     " + line for line in sp.pretty(s.expr).splitlines()]
            if s.justification:
                lines.append(f"     [{s.justification}]")
        lines.append("\nresults:")
        values = self.instantiate(cfg) if cfg is not None else {}
        exact = self.exact_results(cfg) if cfg is not None else {}
        for r in self.sheet().results:
            shown = sp.sstr(r.expr)
            at = _value_text(exact.get(r.key), values.get(r.key))
            lines.append(f"    {r.key}: {r.description}: {shown}{'  = ' + at if at else ''}")
        if checks is not None:
            lines.append("\nnumeric cross-checks" + (f" at {_config_text(cfg)}" if cfg else "")
                         + ":")
            for c in checks:
                lines.append(f"    [{'ok' if c.passed else 'FAIL'}] {c.description}"
                             + (f": {c.detail}" if c.detail else ""))
        return "\n".join(lines)

    def answer_text(self, cfg: Config) -> str:
        """The results that answer a quadratic problem (:attr:`answer`), exact and as
        decimals, one a line."""
        values, exact = self.instantiate(cfg), self.exact_results(cfg)
        rows = [(r.description, _value_text(exact.get(r.key), values.get(r.key)))
                for r in self.sheet().results if r.key in self.answer]
        width = max((len(d) for d, _ in rows), default=0)
        return "\n".join(["answer:"] + [f"    {d:<{width}}  {v}" for d, v in rows])

    def as_latex(self) -> str:
        """A LaTeX fragment (amsmath) for course notes."""
        out = [rf"\subsection*{{{prose(self.title)}}}"]
        if self.assumptions:
            out.append(r"\textit{Assumptions:} " + "; ".join(prose(a)
                                                             for a in self.assumptions) + ".")
        out.append(r"\begin{enumerate}")
        for s in self.sheet().steps:
            item = rf"\item {prose(s.statement)}"
            if s.expr is not None:
                item += "\n" + rf"\[ {reading(s.expr)} \]"
            if s.justification:
                item += "\n" + rf"\textit{{{prose(s.justification)}}}"
            out.append(item)
        out.append(r"\end{enumerate}")
        out.append(r"\paragraph{Results.}")
        out.append(r"\begin{align*}")
        rows = [rf"\text{{{prose(r.description)}}}: &\quad {reading(r.expr)}"
                for r in self.sheet().results]
        out.append(" \\\\\n".join(rows))
        out.append(r"\end{align*}")
        return "\n".join(out)

    def _repr_latex_(self) -> str:
        """Jupyter shows the derivation as one MathJax block: steps, then results."""
        rows = [(s.statement, reading(s.expr) if s.expr is not None else "")
                for s in self.sheet().steps]
        rows += [(r.description, reading(r.expr)) for r in self.sheet().results]
        return mathjax_block(self.title, rows)


def mathjax_block(title: str, rows: list[tuple[str, str]]) -> str:
    r"""``$$\begin{aligned} ... \end{aligned}$$`` with a bold title and one row per
    (words, formula) pair: what Jupyter's ``_repr_latex_`` hands to MathJax, which renders math
    mode only (no sections, no lists).  The words are :func:`optsym.mathtext.to_mathjax`'s:
    their formulas in math mode, the rest in ``\text{}`` without any text-mode macro (MathJax
    prints ``\_`` there literally)."""
    lines = ["&" + mathjax_prose(title).replace(r"\text{", r"\textbf{")]
    for words, formula in rows:
        lines.append(f"&{mathjax_prose(words)}" + (rf" && {formula}" if formula else ""))
    return "$$\\begin{aligned}" + " \\\\\n".join(lines) + r"\end{aligned}$$"


def document(body: str, title: str = "optsym derivations") -> str:
    """A complete LaTeX document around fragments (what the compile test builds)."""
    return "\n".join([r"\documentclass[11pt]{article}", r"\usepackage{amsmath,amssymb}",
                      r"\usepackage[margin=2cm]{geometry}", rf"\title{{{_tex_text(title)}}}",
                      r"\date{}", r"\begin{document}", r"\maketitle", body,
                      r"\end{document}", ""])


def _tex_text(text: str) -> str:
    """Plain text for LaTeX: special characters escaped, but ``$...$`` math kept."""
    parts = text.split("$")
    return "$".join(p if i % 2 else escape(p) for i, p in enumerate(parts))


def _evaluate(expr: sp.Basic, values: dict) -> sp.Basic:
    """``expr`` at ``values``, 30 digits: exact substitution, except where a power has a
    symbolic exponent (``sqrt(1 - alpha**t)``: exact rationals make SymPy factor huge
    integers), which ``evalf(subs=...)`` evaluates at once."""
    slow = any(p.exp.free_symbols for p in expr.atoms(sp.Pow))
    if slow and not expr.has(sp.Max, sp.Min, sp.Abs, sp.ceiling, sp.floor, sp.Piecewise):
        return expr.evalf(30, subs=values)
    return sp.N(expr.subs(values), 30)


#: an exact result longer than this (printed) is shown as a decimal only
MAX_EXACT_CHARS = 60
#: a power with a symbolic exponent is computed exactly up to this exponent
MAX_EXACT_EXPONENT = 64


def _exact_value(expr: Any, values: dict) -> sp.Expr | None:
    """``expr`` at ``values`` exactly, in its shortest form among SymPy's simplifications;
    None for a long, inexact or slow one (``alpha**t`` at t = 1000: exponents above
    :data:`MAX_EXACT_EXPONENT` are left to the decimal value)."""
    if not isinstance(expr, sp.Basic):
        return None
    for p in expr.atoms(sp.Pow):
        if p.exp.free_symbols:
            power = p.exp.subs(values)
            if not (power.is_Rational and abs(power) <= MAX_EXACT_EXPONENT):
                return None
    if any(type(f).__module__.split(".")[0] != "sympy" for f in expr.atoms(sp.Function)):
        return None  # LazySqrt and the like: numeric on purpose
    if sp.count_ops(expr) > 300:
        return None
    v = expr.subs(values)
    if v.free_symbols or v.has(sp.Float, sp.zoo, sp.nan, sp.oo, -sp.oo):
        return None
    candidates = [v, sp.radsimp(v), sp.radsimp(sp.expand(v))]
    if v != 0:  # a surd in a denominator: rationalize the reciprocal's expansion
        candidates.append(sp.radsimp(1 / sp.expand(sp.radsimp(1 / v))))
    if sp.count_ops(v) <= 40:
        candidates.append(sp.simplify(v))
    reference = sp.N(v, 40)
    # SymPy can be wrong silently: a form that is not numerically the same number is dropped
    candidates = [e for e in candidates if not e.free_symbols
                  and abs(sp.N(e, 40) - reference) <= 1e-30 * max(1, abs(reference))]
    best = min(candidates, key=lambda e: (len(sp.sstr(e)), sp.count_ops(e)))
    if best.has(sp.Float) or len(sp.sstr(best)) > MAX_EXACT_CHARS:
        return None
    return best


def _exact_text(v: sp.Expr | None) -> str | None:
    return None if v is None else sp.sstr(v)


def _value_text(exact: sp.Expr | None, value: Any) -> str:
    """``sqrt(2) + 5 ≈ 6.414213562``, ``1/5 = 0.2``, ``6.414213562`` or ``""``."""
    number = f"{value:.10g}" if isinstance(value, float) else ""
    if exact is None:
        return number
    shown = sp.sstr(exact)
    if exact.is_Integer or not number or shown == number:
        return shown
    if exact.is_Rational and len(shown) > len(number) + 6:
        return number
    return f"{shown} = {number}" if exact.is_Rational and sp.Rational(number) == exact \
        else f"{shown} ≈ {number}"


def _config_text(cfg: Config | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in (cfg or {}).items())


@cache
def _built(name: str, build: Callable[[], Sheet]) -> Sheet:
    """Each derivation is built once per process (SymPy work takes seconds)."""
    return build()


__all__ = ["Derivation", "Sheet", "Step", "Result", "Check", "document", "Param"]
