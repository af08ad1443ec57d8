r"""A schedule's chapter: the closed form, torch's computation (and the proof obligation that
they agree), the parameters and the learning rate over the horizon (generated closed form)."""

from __future__ import annotations

from optsym.export import latex as tex
from optsym.export.context import Context
from optsym.export.printsize import PANEL_SIZE, natural_width
from optsym.export.topics import Topic
from optsym.spec import latex


def _display(expr) -> str:
    r"""A formula for a display: a piecewise one as ``dcases`` (its fractions full size, not
    the script size of ``cases``)."""
    return latex(expr).replace(r"\begin{cases}", r"\begin{dcases}").replace(
        r"\end{cases}", r"\end{dcases}")


def _param_table(spec, cfg, topic: Topic) -> str:
    rows = []
    for p in spec.params:
        symbol = f"${latex(p.symbol)}$" if p.symbol is not None else "--"
        rows.append([tex.texttt(p.flag), symbol, tex.number(cfg[p.name]), tex.prose(p.doc)])
    return tex.table(r"@{}lll>{\raggedright\arraybackslash}p{0.55\linewidth}@{}",
                     ["option", "symbol", "default", "meaning"], rows,
                     f"{tex.text(spec.title)}: parameters",
                     f"tab:{topic.kind}:{topic.name}:params")


def schedule_chapter(topic: Topic, ctx: Context, figures: bool = True) -> str:
    from optsym.schedules.spec import LR, k

    spec = topic.spec()
    cfg = spec.config()
    torch_form = spec.torch(cfg)
    out = [rf"\chapter{{{tex.text(spec.title)}}}\label{{{topic.label}}}",
           tex.rst(tex.first_paragraph(spec.doc)),
           r"\section{Closed form}",
           r"$k$ counts the \texttt{scheduler.step()} calls made so far: $\eta_0$ is the "
           r"learning rate of the first optimizer step. At the default parameters:",
           rf"\[ \eta_k = {_display(spec.closed_form(cfg))} \]",
           _param_table(spec, cfg, topic),
           r"\section{What torch computes}",
           r"{\raggedright torch: "
           + tex.texttt("torch.optim.lr_scheduler." + spec.reference(cfg)) + r".\par}"]
    if torch_form.closed:
        out.append("torch evaluates a closed form at each step.")
    else:
        out += [rf"torch recurses on the previous learning rate ${latex(LR)}$: $\eta_0 = "
                rf"{latex(torch_form.initial)}$ and for $k \ge 1$",
                rf"\[ \eta_k = {_display(torch_form.lr_step())} \]",
                "optsym proves by induction that the recursion computes the closed form "
                rf"({tex.texttt('optsym schedule ' + spec.name)}), and checks every step in "
                "50-digit arithmetic."]
    if spec.note(cfg):
        out.append(rf"\textbf{{Note.}} {tex.prose(spec.note(cfg))}")
    if figures:
        from optsym.figures.schedules import schedule_figure

        path, rel = ctx.figure(topic.slug)
        schedule_figure(path, spec, cfg, size=PANEL_SIZE)
        out += [r"\section{The learning rate over the steps}",
                tex.figure(rel, rf"{tex.text(spec.title)} at its default parameters: "
                                rf"$\eta_k$ from optsym's code generated from the closed form "
                                rf"(variable ${latex(k)}$).",
                           f"fig:{topic.kind}:{topic.name}", natural_width(path))]
    return "\n\n".join(out)
