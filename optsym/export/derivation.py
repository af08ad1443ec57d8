r"""A derivation's chapter: its steps and results (:meth:`Derivation.as_latex`), the results'
values at the default parameters, a figure where there is one (the heavy-ball stability region,
gradient descent's convergence), and the rules it belongs to."""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from optsym.examples.texnum import tex_decimal, tex_exact
from optsym.export import latex as tex
from optsym.export.context import Context
from optsym.export.printsize import natural_width
from optsym.export.related import rules_of
from optsym.export.topics import Topic, all_topics


def _stability(path) -> str:
    from optsym.figures.stability import stability_figure

    stability_figure(path)
    return (r"The stable region of heavy-ball momentum at $\mu = 0.01$, $L = 1$: Jury's "
            r"conditions at $\lambda = \mu$ and $\lambda = L$ (shaded), contours of the derived "
            r"spectral radius $\rho(\eta, \beta)$, the bound $\eta_{\max}(\beta)$ and the "
            r"optimum $(\eta^*, \beta^*)$, all lambdified from this derivation.")


def _convergence(path) -> str:
    from optsym.figures.convergence import convergence_figure

    convergence_figure(path)
    return (r"Gradient descent at $\eta^* = 2/(\mu + L)$ and heavy ball at its optimal "
            r"$(\eta^*, \beta^*)$ on $\frac12(\mu x^2 + L y^2)$, $\mu = 1$, $L = 10$: the "
            "error of optsym's generated code (solid) against the derived rates (dashed).")


#: derivation name -> a function drawing its figure at a path and returning the caption
FIGURES: dict[str, Callable] = {"heavy-ball": _stability, "gd-quadratic": _convergence}


def _heavy_ball_note() -> str:
    from optsym.export.heavy_ball_note import note

    return note()


#: derivation name -> a section after its values (what its results do not cover)
NOTES: dict[str, Callable[[], str]] = {"heavy-ball": _heavy_ball_note}


def _body(derivation) -> str:
    """``as_latex()`` without its own starred heading (the chapter has the title), its displays
    shrunk to the text width where wider."""
    body = derivation.as_latex()
    first, _, rest = body.partition("\n")
    return tex.fit_displays(rest if first.startswith(r"\subsection*{") else body)


#: significant digits of a derivation's values in the course
VALUE_DIGITS = 8


def _value(exact, value) -> str:
    """A result's value as LaTeX: exact where it is short, else to :data:`VALUE_DIGITS`
    significant digits (``1.5 \\cdot 10^{-8}``, never ``1.5e-08``)."""
    if exact is not None and len(sp.sstr(exact)) <= 16:
        return f"${tex_exact(exact)}$"
    if value is None:
        return "--"
    return f"${tex_decimal(value, VALUE_DIGITS)}$"


def _setting(value) -> str:
    return tex_decimal(value, VALUE_DIGITS) if isinstance(value, float) else str(value)


def _values(derivation) -> str:
    cfg = derivation.config()
    values = derivation.instantiate(cfg)
    exact = derivation.exact_results(cfg)
    rows = [[tex.texttt(r.key), tex.prose(r.description), _value(exact.get(r.key),
                                                                 values.get(r.key))]
            for r in derivation.sheet().results]
    shown = ", ".join(f"${_symbol(p.name)} = {_setting(cfg[p.name])}$"
                      for p in derivation.params if isinstance(cfg[p.name], (int, float)))
    return tex.table(r"@{}l>{\raggedright\arraybackslash}p{0.6\linewidth}r@{}",
                     ["result", "what", "value"], rows,
                     f"{tex.prose(derivation.title)}: the results at {shown} (exact where "
                     f"short, else to {VALUE_DIGITS} significant digits)")


def _symbol(name: str) -> str:
    """A parameter's name as a formula (``beta1`` is :math:`\\beta_1`)."""
    from optsym.mathtext import segments

    pieces = segments(name)
    return pieces[0].text if len(pieces) == 1 and pieces[0].kind == "math" \
        else rf"\mathrm{{{tex.text(name)}}}"


def _title(title: str) -> str:
    r"""A chapter title with formulas: ``\texorpdfstring`` keeps the PDF bookmark plain."""
    body = tex.prose(title)
    return body if body == tex.text(title) else rf"\texorpdfstring{{{body}}}{{{tex.text(title)}}}"


def derivation_chapter(topic: Topic, ctx: Context, figures: bool = True) -> str:
    d = topic.spec()
    out = [rf"\chapter{{{_title(d.title)}}}\label{{{topic.label}}}",
           rf"The derivation {tex.texttt(d.name)}: every step is a SymPy computation and every "
           "result has a numeric cross-check computed another way "
           rf"({tex.texttt('optsym derive ' + d.name)} runs them).",
           _body(d), r"\section*{Values}", _values(d)]
    note = NOTES.get(d.name)
    if note is not None:
        out.append(note())
    draw = FIGURES.get(d.name)
    if figures and draw is not None:
        path, rel = ctx.figure(topic.slug)
        caption = draw(path)
        out.append(tex.figure(rel, caption, f"fig:{topic.kind}:{topic.name}",
                              natural_width(path)))
    related = rules_of(d.name, all_topics())
    if related:
        out.append("Optimizers this derivation is about: "
                   + "; ".join(ctx.ref(t) for t in related) + ".")
    return "\n\n".join(out)
