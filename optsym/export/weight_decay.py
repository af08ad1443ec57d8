r"""The weight-decay chapter: L2 on the gradient (coupled) against the decoupled decay of AdamW,
for SGD without and with momentum and for Adam (:func:`optsym.weight_decay.compare`, what
``optsym weight-decay RULE`` prints): the unrolled steps with free symbols until the two part,
the difference where they do, and the exact examples replayed through torch.optim."""

from __future__ import annotations

from optsym.export import latex as tex
from optsym.export.claims import claim_ref
from optsym.export.context import Context
from optsym.export.steps import diff_text, steps_latex
from optsym.export.topics import Topic, find
from optsym.spec import latex

#: the comparisons of the chapter: (rule, momentum), as ``optsym weight-decay`` takes them
CASES = (("sgd", 0), ("sgd", "9/10"), ("adam", 0))


def _command(rule: str, momentum) -> str:
    return tex.texttt(f"optsym weight-decay {rule}"
                      + (f" --momentum {_number(momentum):g}" if momentum else ""))


def _number(text) -> float:
    """``"9/10"`` as 0.9 (a fraction of the chapter's own :data:`CASES`, through
    :func:`optsym.weight_decay_forms.exact_number`)."""
    from optsym.weight_decay_forms import exact_number

    return float(exact_number(text))


def _example(e) -> str:
    cells = []
    for k, (c, d, tc, td) in enumerate(zip(e.coupled, e.decoupled, e.torch_coupled,
                                           e.torch_decoupled), 1):
        mark = r" $\leftarrow$ first difference" if k == e.first_differing_step else ""
        cells.append([f"${k}$", f"${_inline(c)}$", f"${tc:.15g}$", f"${_inline(d)}$",
                      f"${td:.15g}$", mark])
    given = ", ".join(f"{tex.prose(k)} $= {v}$" for k, v in e.as_dict()["inputs"].items())
    agree = "agree" if e.agrees_with_torch else r"\textbf{disagree}"
    return tex.table(r"@{}rlrlrl@{}", ["step", "coupled, exact", "torch", "decoupled, exact",
                                       "torch", ""], cells,
                     f"{given}: exact values and {tex.text(e.torch)} (they {agree})")


def _inline(x) -> str:
    """An exact value for a table cell: fractions as ``a/b`` (no stacked fractions between
    the rows)."""
    import sympy as sp

    return sp.latex(x, fold_short_frac=True) if x.is_Rational else latex(x)


def _verdict(c) -> str:
    if c.equal:
        return ("The one-step maps are identical, so by induction the two forms give the same "
                "parameters at every step: for this rule coupled and decoupled weight decay are "
                "the same method.")
    first = c.first_differing_step
    agree = (r"The parameters differ already at step $1$" if first == 1 else
             rf"The parameters agree up to step ${first - 1}$ and differ at step ${first}$")
    return (rf"{agree} by \[ {latex(c.difference)} \] "
            r"(the difference is non-zero at random points in 50-digit arithmetic; the "
            r"symbolic difference agrees with the unrolled forms there within "
            rf"{diff_text(c.numeric_max_diff)}).")


def _section(rule: str, momentum) -> str:
    from optsym.weight_decay import compare

    c = compare(rule, momentum)
    return "\n\n".join([
        rf"\section{{{tex.text(c.title)}}}"
        rf"\label{{sec:weight-decay:{rule}-{c.first_differing_step or 0}}}",
        f"{_command(rule, momentum)} unrolls both forms from $\\theta_0$ with free gradients "
        "$g_1, g_2, \\dots$ and a zero state:",
        steps_latex(c.steps), _verdict(c),
        *(_example(e) for e in c.examples)])


def _refs(ctx: Context) -> str:
    return ("Over many steps the difference grows with the gradient's scale: "
            + claim_ref(ctx, "weight-decay-retention")
            + " measures how much of a weight each form keeps. AdamW's own chapter is "
            + ctx.ref(find("rule:adamw")) + ".")


def weight_decay_chapter(topic: Topic, ctx: Context, figures: bool = True) -> str:
    return "\n\n".join([
        rf"\chapter{{{tex.text(topic.title)}}}\label{{{topic.label}}}",
        r"Weight decay is added to a rule in one of two ways. \emph{Coupled} (an $L_2$ "
        r"penalty on the gradient, torch's \texttt{weight\_decay} in SGD and Adam): "
        r"$g_t \leftarrow g_t + \lambda\theta_{t-1}$, then the rule's step. \emph{Decoupled} "
        r"(AdamW): $\theta_{t-1} \leftarrow (1 - \eta\lambda)\,\theta_{t-1}$, then the rule's "
        r"step without decay. Both pieces are written once and composed with each rule's "
        r"textbook form; nothing below is assumed. Each section unrolls the two compositions "
        r"step by step with free symbols until the parameters differ (or proves by induction "
        r"that they never do), then replays exact examples and the same numbers through "
        r"\texttt{torch.optim} in float64.",
        _refs(ctx), *(_section(rule, m) for rule, m in CASES)])
