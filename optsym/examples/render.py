r"""A worked example as text, as a LaTeX fragment, as MathJax for Jupyter, and as JSON.

Every number is shown exactly (rationals, surds) with its decimal value next to it; a value
computed with floats past the exact budget is marked with :math:`\approx`.  Inputs that are not
exactly doubles are listed with the double float64 uses instead (``0.1`` is stored as
``0.1000000000000000055511151231257827``).
"""

from __future__ import annotations

import re
from typing import Any

import sympy as sp
from sympy.printing.str import StrPrinter

from optsym.derivation import _tex_text
from optsym.mathtext import to_latex as prose
from optsym.mathtext import to_mathjax as mathjax_prose
from optsym.examples.texnum import (TEX_DIGITS, TEX_NUMBERS, exact_short, tens, tex_decimal,
                                    tex_exact, tex_float64)
from optsym.reading import constants_of, update
from optsym.examples.exact import decimal, float64_text, is_exact, representable
from optsym.spec import latex


# ---- shared pieces -----------------------------------------------------------------------------
def _title(ex) -> str:
    what = ex.alias.title if ex.alias is not None else ex.rule.title
    rule = f" ({ex.rule.name})" if ex.alias is not None else ""
    on = (f"f({', '.join(map(str, ex.variables))}) = {sp.sstr(ex.objective.expr)}"
          if ex.objective is not None else _given_text(ex, "a constant gradient"))
    return f"Worked example: {what}{rule} on {on}"


def _given_text(ex, constant: str) -> str:
    """The given gradients: ``a constant gradient g = (1, 0)`` or ``the gradients g_1 = 1,
    g_2 = 0, g_3 = 1``."""
    if ex.grad_seq is None:
        return f"{constant} g = {_vec(ex.constant_grad)}"
    return "the gradients " + ", ".join(f"g_{k} = {_vec(gk)}"
                                        for k, gk in enumerate(ex.grad_seq, 1))


def _short(value: sp.Expr) -> str:
    """The exact text, or ``≈ decimal`` when it is long or rounded."""
    text = sp.sstr(value)
    return text if is_exact(value) and len(text) <= LONG else f"≈{decimal(value, 17)}"


def _vec(values) -> str:
    if len(values) == 1:
        return _short(values[0])
    return "(" + ", ".join(_short(v) for v in values) + ")"


#: an exact value longer than this is shown as its decimal (the exact form is in the JSON)
LONG = 48


def _num(value: sp.Expr) -> str:
    """``3/5 (0.6)``; an integer as itself; a float as ``≈ 0.123``; a long exact value as its
    decimal, saying what it is."""
    if not is_exact(value):
        return f"≈ {decimal(value, 17)}"
    text = sp.sstr(value)
    if len(text) > LONG:
        kind = "rational" if isinstance(value, sp.Rational) else "expression"
        return f"{decimal(value, 17)} (exact: a {len(text)}-character {kind}, see --json)"
    if isinstance(value, sp.Integer):
        return text
    return f"{text} ({decimal(value, 12)})"


def _tex_num(value: sp.Expr) -> str:
    """``\\frac{3}{5} = 0.6``, ``\\sqrt{2} \\approx 1.414213562``, or, for a long or rounded
    value, ``\\approx`` its decimal to :data:`TEX_DIGITS` significant digits in scientific
    notation where it is large or small (``\\approx 1.000000001 \\cdot 10^{-8}``, never
    ``1e-08``)."""
    if not exact_short(value):
        return rf"\approx {tex_decimal(value)}"
    if isinstance(value, sp.Integer):
        return latex(value)
    shown = decimal(value, TEX_DIGITS)
    same = isinstance(value, sp.Rational) and "e" not in shown and sp.Rational(shown) == value
    relation = "=" if same else r"\approx"
    return rf"{tex_exact(value)} {relation} {tex_decimal(value)}"


def _used_hypers(ex) -> list[tuple[Any, sp.Expr]]:
    used = set().union(*(eq.expr.free_symbols for eq in ex.equations)) if ex.equations else set()
    used |= set().union(*(sp.sympify(s.init).free_symbols for s in ex.rule.states(ex.config)))
    return [(h, ex.hypers[h.name]) for h in ex.rule.hypers
            if h.symbol is not None and h.symbol in used and h.name in ex.hypers]


def _flags(ex) -> list[str]:
    return [h.name for h in ex.rule.hypers if h.is_flag and ex.config[h.name]]


def _labels(ex) -> list[str]:
    return [str(v) for v in ex.variables]


# ---- text ---------------------------------------------------------------------------------------
def as_text(ex) -> str:
    title = _title(ex)
    lines = [title, "=" * min(len(title), 100)]
    hyper_text = ", ".join(f"{h.name} = {_num(v)}" for h, v in _used_hypers(ex))
    flags = _flags(ex)
    lines.append(f"Problem: {'minimize' if ex.objective is not None else 'run'} "
                 + (f"f = {sp.sstr(ex.objective.expr)}" if ex.objective is not None
                    else "with " + _given_text(ex, "the constant gradient"))
                 + f" from x0 = {_vec(ex.x0)}, {ex.steps} step{'s' if ex.steps != 1 else ''}")
    if ex.objective is not None and ex.objective.description:
        lines.append(f"  ({ex.objective.description})")
    lines.append(f"  settings: {hyper_text}" + (f"; {', '.join(flags)}" if flags else ""))
    if ex.x0_default:
        lines.append("  (x0 defaults to the origin; set it with --x0)")
    if ex.objective is not None:
        for v, d in zip(ex.objective.variables, ex.objective.gradient()):
            lines.append(f"  gradient: df/d{v} = {sp.sstr(d)}")
    at = "x" if ex.gradient_point is None else f"{sp.sstr(ex.gradient_point)}"
    lines.append(f"Method: {ex.rule.name}'s textbook equations, in order, at each step t "
                 f"(param is x, grad is the gradient at {at}):")
    for eq in ex.equations:
        lines.append(f"  {eq.target} <- {_formula_text(eq.expr)}"
                     + (f"    [{eq.note}]" if eq.note else ""))
    labels = _labels(ex)
    for rec in ex.records:
        f_before = (f", f = {_num(ex.values[rec.t - 1])}" if ex.objective is not None else "")
        lines.append(f"\nStep {rec.t} (t = {rec.t}): x = {_vec(rec.before)}{f_before}")
        if ex.objective is not None:
            where = "x" if rec.point is None else f"{at} = {_vec(rec.point)}"
            lines.append(f"  gradient at {where}: {_vec(rec.grad)}")
        for u in rec.updates:
            head = f"  {u.target} <- {_formula_text(u.formula)}"
            if u.scalar or len(u.results) == 1:
                lines.append(f"{head} = {_eq_text(u.shown[0][0], u.results[0])}"
                             + (f"  [{'; '.join(u.remarks)}]" if u.remarks else ""))
                continue
            lines.append(head)
            for label, shown, value in zip(labels, u.shown, u.results):
                lines.append(f"      {label}: {_eq_text(shown[0], value)}")
            if u.remarks:
                lines.append(f"      [{'; '.join(u.remarks)}]")
        after = f"  x_{rec.t} = {_vec(rec.after)}"
        if rec.value is not None:
            after += f", f(x_{rec.t}) = {_num(rec.value)}"
        lines.append(after)
    lines.append("\nAnswer: " + _answer_text(ex))
    lines.append("Checks:")
    for c in ex.checks:
        lines.append(f"  [{_mark(c)}] {c.description}"
                     + (f": {c.detail}" if c.detail else ""))
    if ex.values:
        shown = " -> ".join(sp.sstr(v) if is_exact(v) and len(sp.sstr(v)) <= 24
                            else decimal(v, 8) for v in ex.values)
        lines.append(f"  f along the way: {shown}")
    rounding = _rounding(ex)
    if rounding or ex.notes:
        lines.append("Notes:")
        for note in ex.notes:
            lines.append(f"  - {note}")
        for name, value in rounding:
            lines.append(f"  - {name} = {sp.sstr(value)} is {float64_text(value)} in float64")
    return "\n".join(lines)


class _BranchPrinter(StrPrinter):
    """SymPy's text, with a piecewise expression as its branches (``grad if t = 1; momentum*b
    + grad otherwise``), not ``Piecewise((grad, Eq(t, 1)), (..., True))``."""

    def _print_Piecewise(self, expr):
        branches = []
        for value, cond in expr.args:
            if cond == sp.true:
                branches.append(f"{self._print(value)} otherwise")
            else:
                branches.append(f"{self._print(value)} if {self._print(cond)}")
        return "(" + "; ".join(branches) + ")"

    def _print_Equality(self, expr):
        return f"{self._print(expr.lhs)} = {self._print(expr.rhs)}"

    def _print_Unequality(self, expr):
        return f"{self._print(expr.lhs)} != {self._print(expr.rhs)}"


def _formula_text(expr: sp.Expr) -> str:
    """A formula as text, a piecewise one as its branches (no brackets around the whole)."""
    text = _BranchPrinter().doprint(expr)
    return text[1:-1] if isinstance(expr, sp.Piecewise) else text


def _eq_text(shown: str, value: sp.Expr) -> str:
    """``shown = value`` (``value`` alone when the substituted formula is just the value)."""
    plain = _num(value)
    return plain if shown.strip("()") == sp.sstr(value) else f"{shown} = {plain}"


def _answer_text(ex) -> str:
    last = ex.records[-1]
    if len(last.after) == 1:
        out = f"x_{last.t} = {_num(last.after[0])}"
    else:
        out = f"x_{last.t}: " + ", ".join(
            f"{lab} = {_num(v)}" for lab, v in zip(_labels(ex), last.after))
    if last.value is not None:
        out += f"; f(x_{last.t}) = {_num(last.value)}"
    return out


def _mark(check) -> str:
    if check.passed:
        return "ok"
    return "FAIL" if check.kind == "check" else "no"


def _rounding(ex) -> list[tuple[str, sp.Expr]]:
    """The inputs that float64 cannot hold exactly."""
    out = [(h.name, v) for h, v in _used_hypers(ex) if not representable(v)]
    out += [(f"x0[{lab}]", v) for lab, v in zip(_labels(ex), ex.x0) if not representable(v)]
    out += [(label, v) for label, v in ex.given_values if not representable(v)]
    return out


# ---- LaTeX --------------------------------------------------------------------------------------
def _tex_short(value: sp.Expr) -> str:
    if exact_short(value):
        return tex_exact(value)
    return rf"\approx {tex_decimal(value)}"


def _tex_is(values) -> str:
    """`` = (1, 2)``, or `` \\approx (0.9000000005, 0.9)`` when an entry is rounded (the
    relation once, before the vector, not ``= (\\approx a, \\approx b)``)."""
    if all(exact_short(v) for v in values):
        return " = " + _tex_vec(values)
    entries = [tex_exact(v) if exact_short(v) else tex_decimal(v) for v in values]
    body = entries[0] if len(entries) == 1 else r"\left(" + ", ".join(entries) + r"\right)"
    return r" \approx " + body


def _tex_vec(values) -> str:
    if len(values) == 1:
        return _tex_short(values[0])
    return r"\left(" + ", ".join(_tex_short(v) for v in values) + r"\right)"


def _problem_tex(ex) -> str:
    if ex.objective is not None:
        return ex.objective.latex()
    if ex.grad_seq is not None:
        return ", ".join(rf"g_{{{k}}} = {_tex_vec(gk)}" for k, gk in enumerate(ex.grad_seq, 1))
    return rf"g = {_tex_vec(ex.constant_grad)} \text{{ (constant)}}"


def _tex_title(ex) -> str:
    what = ex.alias.title if ex.alias is not None else ex.rule.title
    rule = f" ({ex.rule.name})" if ex.alias is not None else ""
    return _tex_text(f"Worked example: {what}{rule} on ") + f"${_problem_tex(ex)}$"


#: a substituted formula holding a number this long is left out (the value follows it)
_LONG_NUMBER = re.compile(r"\d{8,}")


def _tex_eq(formula_tex: str | None, shown: str, value: sp.Expr) -> str:
    """``formula = substituted = value`` (``\\approx value`` when rounded), leaving out what
    repeats and a substitution with long numbers."""
    shown = tens(shown)
    parts = ([] if formula_tex is None else [tens(formula_tex)]) + \
        ([] if _LONG_NUMBER.search(shown) else [shown])
    value_tex = _tex_num(value)
    out: list[str] = []
    for part in parts:
        if part not in out and part != latex(value) and part != tex_exact(value):
            out.append(part)
    if not out:
        return value_tex
    return " = ".join(out) + (" " if value_tex.startswith("\\approx") else " = ") + value_tex


def _rel(value_tex: str) -> str:
    """``&= value`` or ``&\\approx value`` (never ``= \\approx``)."""
    return ("&" if value_tex.startswith("\\approx") else "&= ") + value_tex


def as_latex(ex) -> str:
    """A LaTeX fragment (amsmath) for course notes; wrap it with
    :func:`optsym.derivation.document`."""
    out = [rf"\subsection*{{{_tex_title(ex)}}}"]
    settings = ", ".join(rf"${latex(h.symbol)} = {tex_exact(v)}$" for h, v in _used_hypers(ex))
    flags = _flags(ex)
    out.append(r"\textbf{Problem.} " + ("Minimize " if ex.objective is not None else "Run with ")
               + rf"${_problem_tex(ex)}$ from $x_0 = {_tex_vec(ex.x0)}$, "
               + rf"{ex.steps} step{'s' if ex.steps != 1 else ''}; {settings}"
               + (f"; {_tex_text(', '.join(flags))}" if flags else "") + ". "
               + TEX_NUMBERS)
    if ex.objective is not None:
        grad = r",\ ".join(rf"\frac{{\partial f}}{{\partial {latex(v)}}} = {latex(d)}"
                           for v, d in zip(ex.objective.variables, ex.objective.gradient()))
        out.append(rf"Gradient: ${grad}$.")
    out.append("\n" + r"\textbf{Method.} " + _tex_text(f"The textbook equations of {ex.rule.name}, "
                                                "in order, at each step t ")
               + r"($\theta$ is the point $x$, $g$ the gradient there):")
    out.append(r"\begin{align*}")
    out.append(" \\\\\n".join(update(eq.target, eq.expr, constants_of(ex.rule), r"&\leftarrow")
                              for eq in ex.equations))
    out.append(r"\end{align*}")
    labels = _labels(ex)
    for rec in ex.records:
        before = rf"$x_{{{rec.t - 1}}}{_tex_is(rec.before)}$"
        out.append(rf"\paragraph{{Step {rec.t}}} ($t = {rec.t}$, {before})")
        rows = []
        if ex.objective is not None:
            rows.append(rf"g &= \nabla f(x_{{{rec.t - 1}}}){_tex_is(rec.grad)}")
        for u in rec.updates:
            if u.scalar or len(u.results) == 1:
                rows.append(latex(u.target) + " "
                            + _rel(_tex_eq(latex(u.formula), u.shown[0][1], u.results[0])))
                continue
            for label, shown, value in zip(labels, u.shown, u.results):
                rows.append(rf"{latex(u.target)}[{label}] " + _rel(_tex_eq(None, shown[1], value)))
        rows.append(rf"x_{{{rec.t}}} &" + _tex_is(rec.after).lstrip())
        if rec.value is not None:
            rows.append(rf"f(x_{{{rec.t}}}) " + _rel(_tex_num(rec.value)))
        out.append(r"\begin{align*}")
        out.append(" \\\\\n".join(rows))
        out.append(r"\end{align*}")
    out.append(r"\paragraph{Checks.}")
    out.append(r"\begin{itemize}")
    for c in ex.checks:
        out.append(rf"\item [{_mark(c)}] {prose(c.description)}"
                   + (f": {prose(c.detail)}" if c.detail else ""))
    for note in ex.notes:
        out.append(rf"\item {prose(note)}")
    for name, value in _rounding(ex):
        out.append(rf"\item {_tex_text(name)} $= {tex_exact(value)}$ is "
                   rf"${tex_float64(value)}$ in float64 (exactly)")
    out.append(r"\end{itemize}")
    return "\n".join(out)


def as_mathjax(ex) -> str:
    """One ``aligned`` block for Jupyter (MathJax): the problem, each step's updates and
    iterate."""
    what = ex.alias.title if ex.alias is not None else ex.rule.title
    rule = f" ({ex.rule.name})" if ex.alias is not None else ""
    rows = ["&" + mathjax_prose(f"Worked example: {what}{rule}"),
            rf"&{_problem_tex(ex)},\quad x_0 = {_tex_vec(ex.x0)}"]
    labels = _labels(ex)
    for rec in ex.records:
        rows.append(rf"&\textbf{{Step {rec.t}}}")
        for u in rec.updates:
            if u.scalar or len(u.results) == 1:
                rows.append(latex(u.target) + " "
                            + _rel(_tex_eq(None, u.shown[0][1], u.results[0])))
            else:
                for label, shown, value in zip(labels, u.shown, u.results):
                    rows.append(rf"{latex(u.target)}[{label}] "
                                + _rel(_tex_eq(None, shown[1], value)))
        row = rf"x_{{{rec.t}}} &" + _tex_is(rec.after).lstrip()
        if rec.value is not None:
            value = _tex_num(rec.value)
            row += rf",\quad f(x_{{{rec.t}}}) " + _rel(value)[1:]
        rows.append(row)
    checks = "; ".join(f"{_mark(c)}: {c.description}" for c in ex.checks)
    rows.append("&" + mathjax_prose(checks))
    return "$$\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}$$"


# ---- JSON ---------------------------------------------------------------------------------------
def _value_dict(value: sp.Expr) -> dict[str, Any]:
    return {"exact": sp.sstr(value) if is_exact(value) else None, "float": float(sp.N(value, 30)),
            "latex": latex(value)}


def as_dict(ex) -> dict[str, Any]:
    labels = _labels(ex)
    steps = []
    for rec in ex.records:
        steps.append({
            "t": rec.t,
            "x_before": [sp.sstr(v) for v in rec.before],
            "grad": [sp.sstr(v) for v in rec.grad],
            "updates": [{"target": str(u.target), "formula": sp.sstr(u.formula),
                         "latex": latex(u.formula), "note": u.note, "scalar": u.scalar,
                         "values": [{"coordinate": None if u.scalar else labels[i],
                                     "substituted": u.shown[i][0],
                                     "substituted_latex": u.shown[i][1],
                                     **_value_dict(u.results[i])}
                                    for i in range(len(u.results))],
                         "remarks": u.remarks} for u in rec.updates],
            "x": [sp.sstr(v) for v in rec.after],
            "x_float": [float(sp.N(v, 30)) for v in rec.after],
            "f": None if rec.value is None else sp.sstr(rec.value),
            "f_float": None if rec.value is None else float(sp.N(rec.value, 30)),
        })
    return {
        "method": ex.method, "rule": ex.rule.name,
        "gradient_point": None if ex.gradient_point is None else sp.sstr(ex.gradient_point),
        "alias": None if ex.alias is None else ex.alias.title,
        "objective": None if ex.objective is None else {
            "name": ex.objective.name, "expr": sp.sstr(ex.objective.expr),
            "latex": ex.objective.latex(), "variables": labels,
            "gradient": [sp.sstr(d) for d in ex.objective.gradient()],
            "description": ex.objective.description},
        "constant_grad": None if ex.constant_grad is None
        else [sp.sstr(v) for v in ex.constant_grad],
        "grad_seq": None if ex.grad_seq is None
        else [[sp.sstr(v) for v in gk] for gk in ex.grad_seq],
        "x0": [sp.sstr(v) for v in ex.x0],
        "hypers": {h.name: {"exact": sp.sstr(v), "float": float(v),
                            "float64_exact": representable(v)}
                   for h, v in _used_hypers(ex)},
        "flags": {h.name: ex.config[h.name] for h in ex.rule.hypers if h.is_flag},
        "equations": [{"target": str(eq.target), "expr": sp.sstr(eq.expr),
                       "latex": latex(eq.expr), "note": eq.note} for eq in ex.equations],
        "steps": steps,
        "iterates": [[sp.sstr(v) for v in x] for x in ex.iterates],
        "values": [sp.sstr(v) for v in ex.values],
        "values_float": [float(sp.N(v, 30)) for v in ex.values],
        "generated": [[float(v) for v in x] for x in ex.generated],
        "exact_steps": ex.exact_steps,
        "diverged_at": ex.diverged_at,
        "checks": [c.as_dict() for c in ex.checks],
        "checked": ex.checked,
        "notes": ex.notes + [f"{n} = {sp.sstr(v)} is {float64_text(v)} in float64"
                             for n, v in _rounding(ex)],
    }


__all__ = ["as_text", "as_latex", "as_dict", "as_mathjax"]
