r"""The clipping chapter: gradient clipping by global norm and by value, from the transforms'
specs (:mod:`optsym.clipping`): the textbook form, torch's operation order, the proof that the
two agree, the three properties of norm clipping with their steps and numeric checks, one
gradient clipped exactly (``optsym clip norm --g 3,4 --threshold 1``) and the generated code
against ``torch.nn.utils`` (``optsym clip norm``), all computed when the course is exported."""

from __future__ import annotations

import sympy as sp

from optsym.export import latex as tex
from optsym.export.claims import claim_ref
from optsym.export.context import Context
from optsym.export.steps import diff_text, obligations_table, steps_latex
from optsym.export.topics import Topic
from optsym.spec import latex

#: the thresholds of the verification (``optsym clip``'s defaults: not powers of two)
THRESHOLDS = {"norm": 0.7, "value": 0.3}
#: steps of the verification stream (``optsym clip`` runs 50)
VERIFY_STEPS = 20
#: the gradients clipped exactly: kind -> (g, threshold)
EXAMPLES = {"norm": ((3, 4), 1), "value": ((sp.Rational(3, 2), sp.Rational(-1, 5)), 1)}


def _title(kind: str, describe: dict) -> str:
    return describe["title"][0].upper() + describe["title"][1:]


def _implementation(kind: str) -> str:
    """torch's operation order: one framework node per torch call."""
    from optsym import clipping

    rows = [[str(k), f"${latex(e.target)}$", tex.texttt(sp.sstr(e.expr)), tex.prose(e.note)]
            for k, e in enumerate(clipping.implementation(kind), 1)]
    return tex.table(r"@{}rl>{\raggedright\arraybackslash}p{0.42\linewidth}"
                     r">{\raggedright\arraybackslash}p{0.33\linewidth}@{}",
                     ["", "target", "node (one torch call)", "what torch does"], rows,
                     f"{tex.text(clipping.describe(kind)['title'])}: torch's operation order")


def _property(p) -> str:
    checks = [[tex.prose(c.description), diff_text(c.measured), diff_text(c.expected),
               "yes" if c.passed else r"\textbf{no}"] for c in p.numeric]
    return "\n\n".join([
        rf"\subsection{{{tex.prose(p.claim[:1].upper() + p.claim[1:])}}}",
        r"\textit{Assumptions:} " + "; ".join(tex.prose(a) for a in p.assumptions) + ".",
        steps_latex(p.steps, p.verified),
        tex.table(r"@{}>{\raggedright\arraybackslash}p{0.6\linewidth}rrl@{}",
                  ["check against torch", "measured", "tolerance", "passed"], checks,
                  f"{tex.prose(p.claim)}: numeric checks on torch's clipping "
                  f"({tex.text(p.numeric[0].detail) if p.numeric else ''})")])


def _example(kind: str) -> str:
    from optsym.clip_exact import clip_gradient

    g, c = EXAMPLES[kind]
    r = clip_gradient(kind, g, c)
    vec = lambda v: r"\left(" + ", ".join(latex(x) for x in v) + r"\right)"  # noqa: E731
    command = tex.texttt(f"optsym clip {kind} --g " + ",".join(sp.sstr(x) for x in r.g)
                         + f" --threshold {sp.sstr(r.threshold)}")
    out = [rf"\paragraph{{One gradient, exactly.}} {command} clips $g = {vec(r.g)}$ at "
           rf"$c = {latex(r.threshold)}$:"]
    if kind == "norm":
        out.append(rf"\[ \|g\|_2 = {latex(r.norm)}, \qquad s = \min\Big(1, \frac{{c}}"
                   rf"{{\|g\|_2}}\Big) = {latex(r.factor)}, \qquad s\,g = {vec(r.clipped)} \]")
        out.append(r"in the textbook form ($\epsilon = 0$); with torch's $\epsilon = 10^{-6}$ "
                   rf"the result is exactly ${vec(r.torch_exact)}$, and "
                   r"\texttt{torch.nn.utils.clip\_grad\_norm\_} in float64 is within "
                   rf"{diff_text(r.torch_error)} of it.")
    else:
        out.append(rf"\[ \operatorname{{clamp}}(g, -c, c) = {vec(r.clipped)} \]")
        out.append(r"(the direction turns: only the first coordinate was clipped); "
                   r"\texttt{torch.nn.utils.clip\_grad\_value\_} in float64 is within "
                   rf"{diff_text(r.torch_error)} of it.")
    return "\n".join(out)


def _verification(kind: str) -> str:
    from optsym import clipping

    report = clipping.verify_clip(kind, THRESHOLDS[kind], steps=VERIFY_STEPS)
    rows, said = [], ""
    for target, by_dtype in report["results"].items():
        for dtype, r in by_dtype.items():
            rows.append([tex.texttt(target), tex.texttt(dtype),
                         "pass" if r["passed"] else r"\textbf{fail}", f"${r['max_ulp']}$",
                         f"${r['changed_steps']}$ / ${r['unchanged_steps']}$",
                         "" if r["criterion"] == said else tex.prose(r["criterion"])])
            said = r["criterion"]
    name = clipping.threshold_name(kind)
    return tex.table(r"@{}lllrr>{\raggedright\arraybackslash}p{0.42\linewidth}@{}",
                     ["code", "dtype", "", "max ULP", "clipped / not", "criterion"], rows,
                     f"optsym's generated clipping against "
                     f"{tex.texttt(clipping.describe(kind)['torch'])} "
                     f"({tex.texttt(name)} $= {THRESHOLDS[kind]:g}$, {VERIFY_STEPS} steps of "
                     f"random gradient lists, seed {report['seed']}; "
                     f"{tex.texttt(f'optsym clip {kind}')} runs the same with 50)")


def _kind_section(kind: str) -> str:
    from optsym import clipping

    d = clipping.describe(kind)
    proofs = clipping.prove_clip(kind)
    out = [rf"\section{{{tex.text(_title(kind, d))}}}\label{{sec:clipping:{kind}}}",
           rf"{{\raggedright torch: {tex.texttt(d['torch'])}; threshold "
           rf"{tex.texttt(d['threshold'])} $= {d['threshold_latex']}$ "
           rf"({tex.prose(d['domain'])}).\par}}",
           "The textbook form, over a list of gradient tensors $g_i$ with elements $g_{i,j}$:",
           d["latex"],
           rf"\textbf{{Note.}} {tex.prose(d['note'])}.",
           _implementation(kind),
           "The proof that torch's order computes the textbook form, output by output "
           rf"({tex.texttt(f'optsym clip {kind}')} prints it):",
           obligations_table(proofs, f"{tex.text(d['title'])}: torch's order $=$ the textbook "
                                     "form"),
           _example(kind), _verification(kind)]
    if kind == "norm":
        out.append(r"\subsection*{Properties of clipping by norm}")
        out.append("Each property is derived from the textbook form by SymPy (steps marked "
                   "checked), then tested on torch's own clipping of random gradient lists.")
        out += [_property(p) for p in clipping.derivations()]
    return "\n\n".join(out)


def clipping_chapter(topic: Topic, ctx: Context, figures: bool = True) -> str:
    return "\n\n".join([
        rf"\chapter{{{tex.text(topic.title)}}}\label{{{topic.label}}}",
        r"Clipping acts on the gradients between \texttt{loss.backward()} and "
        r"\texttt{optimizer.step()}: by global norm it rescales the whole list of gradients "
        r"when its norm exceeds a threshold $c$ (the direction is kept); by value it clamps "
        r"each element to $[-c, c]$ (the direction may turn). Both are transforms written once "
        r"in SymPy, in the textbook form and in torch's operation order; everything below is "
        r"computed from them when this document is made. What clipping does to a run on a "
        rf"cliff is measured in {claim_ref(ctx, 'clipping-cliff')}.",
        *(_kind_section(kind) for kind in ("norm", "value"))])
