r"""A derivation's chapter: its steps and results (:meth:`Derivation.as_latex`), the results'
values at the default parameters, a figure where there is one (the heavy-ball stability region,
gradient descent's convergence), and the rules it belongs to."""

from __future__ import annotations

from collections.abc import Callable

from optsym.export import latex as tex
from optsym.export.context import Context
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


def _body(derivation) -> str:
    """``as_latex()`` without its own starred heading (the chapter has the title), its displays
    shrunk to the text width where wider."""
    body = derivation.as_latex()
    first, _, rest = body.partition("\n")
    return tex.fit_displays(rest if first.startswith(r"\subsection*{") else body)


def _values(derivation) -> str:
    cfg = derivation.config()
    values = derivation.instantiate(cfg)
    rows = [[tex.texttt(r.key), tex.text(r.description),
             f"${values[r.key]:.8g}$" if values.get(r.key) is not None else "--"]
            for r in derivation.sheet().results]
    shown = ", ".join(f"{p.name} = {cfg[p.name]:g}" for p in derivation.params
                      if isinstance(cfg[p.name], (int, float)))
    return tex.table(r"@{}l>{\raggedright\arraybackslash}p{0.6\linewidth}r@{}",
                     ["result", "what", "value"], rows,
                     f"{tex.text(derivation.title)}: the results at {tex.text(shown)}")


def derivation_chapter(topic: Topic, ctx: Context, figures: bool = True) -> str:
    d = topic.spec()
    out = [rf"\chapter{{{tex.text(d.title)}}}\label{{{topic.label}}}",
           rf"The derivation {tex.texttt(d.name)}: every step is a SymPy computation and every "
           "result has a numeric cross-check computed another way "
           rf"({tex.texttt('optsym derive ' + d.name)} runs them).",
           _body(d), r"\section*{Values}", _values(d)]
    draw = FIGURES.get(d.name)
    if figures and draw is not None:
        path, rel = ctx.figure(topic.slug)
        out.append(tex.figure(rel, draw(path), f"fig:{topic.kind}:{topic.name}",
                              r"0.85\linewidth"))
    related = rules_of(d.name, all_topics())
    if related:
        out.append("Optimizers this derivation is about: "
                   + "; ".join(ctx.ref(t) for t in related) + ".")
    return "\n\n".join(out)
