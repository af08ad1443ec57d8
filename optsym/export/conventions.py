r"""The conventions chapter: every family's conventions (torch, the textbooks, optax, Keras)
with the condition under which each equals torch's (``optsym compare --table``), and one
comparison worked in full (``optsym compare nesterov --conventions torch,sutskever``): the
change of variables, its proof by induction, and where the induction needs a constant lr, shown
by the same comparison under a step schedule, where the two part."""

from __future__ import annotations

import sympy as sp

from optsym.export import latex as tex
from optsym.export.context import Context
from optsym.export.steps import breakable, obligations_table
from optsym.export.topics import Topic
from optsym.spec import latex

#: the comparison worked in full: family, the two conventions
WORKED = ("nesterov", "torch", "sutskever")
#: the schedule under which the worked comparison is repeated: name, parameters, steps
SCHEDULED = ("step", {"step_size": 3}, 12)


def updates(conv, family, aligned: bool = True) -> str:
    r"""``conv``'s assignments in reading order (:func:`optsym.reading.update`), the
    hyperparameters that are 0 by default left out (as ``optsym compare --table`` does), the
    gradient's point first where it is not :math:`\theta`; one row each in an ``aligned``."""
    from optsym.reading import constants_of, update
    from optsym.spec import theta

    cfg, rule = family.cfg(), family.base_rule()
    off = {h.symbol: sp.S.Zero for h in rule.hypers
           if h.symbol is not None and h.default == 0 and cfg[h.name] == 0}
    arrow = r"&\leftarrow" if aligned else r"\leftarrow"
    rows = [update(e.target, e.expr.xreplace(off), constants_of(rule), arrow)
            for e in conv.equations(cfg)]
    if conv.gradient_point != theta:
        rows.insert(0, rf"g {arrow} \nabla f({latex(conv.gradient_point.xreplace(off))})")
    if not aligned:
        return r";\ ".join(rows)
    return r"$\begin{aligned}[t]" + r" \\ ".join(rows) + r"\end{aligned}$"


def _family_table(family: str, rows) -> str:
    from optsym import conventions

    fam = conventions.get(family)
    cells = [[tex.texttt(r.convention), updates(fam.get(r.convention), fam),
              breakable(tex.prose(r.source)), breakable(tex.prose(r.vs_torch))] for r in rows]
    return tex.table(r"@{}l>{\raggedright\arraybackslash}p{0.3\linewidth}"
                     r">{\raggedright\arraybackslash}p{0.22\linewidth}"
                     r">{\raggedright\arraybackslash}p{0.3\linewidth}@{}",
                     ["convention", "update", "used in", "equal to torch's"], cells,
                     f"The {tex.text(family)} family: each convention's update and when it "
                     "equals torch's (derived)", f"tab:conventions:{family}")


def _mapping(m) -> str:
    from optsym.spec import theta

    rows = []
    if m.param != theta:
        rows.append(rf"\theta^{{b}} &= {latex(m.param)}")
    rows += [rf"{latex(s)}^{{b}} &= {latex(e)}" for s, e in m.state.items()]
    rows += [rf"{latex(s)}^{{b}} &= {latex(e)}" for s, e in m.hypers.items()]
    if not rows:
        return "the identity"
    return r"\begin{align*}" + r" \\ ".join(rows) + r"\end{align*}"


def _worked() -> str:
    from optsym import conventions, schedules
    from optsym.conventions.compare import compare
    from optsym.conventions.comparison import condition_text

    name, a, b = WORKED
    family = conventions.get(name)
    plain = compare(family, a, b)
    spec = schedules.get(SCHEDULED[0])
    lr = float(sp.Rational(family.example_values["lr"]))
    scheduled = compare(family, a, b, None,
                        (spec, spec.config({**SCHEDULED[1], "eta_max": lr})), SCHEDULED[2])
    conv_a, conv_b = plain.a, plain.b
    proof = plain.proof
    when = " or ".join(tex.prose(condition_text(c)) for c in proof.conditions)
    p = scheduled.parting
    values = ", ".join(f"{tex.prose(k)} $= {sp.latex(v, fold_short_frac=True)}$"
                       for k, v in plain.values.items())
    options = " ".join(f"--schedule-opt {k}={v}" for k, v in SCHEDULED[1].items())
    command = (f"optsym compare {name} --conventions {a},{b} --schedule {spec.name} "
               f"{options} --steps {SCHEDULED[2]}")
    out = [rf"\section{{Worked: {tex.text(name)}, {tex.text(a)} against {tex.text(b)}}}"
           r"\label{sec:conventions:worked}",
           rf"{tex.texttt(f'optsym compare {name} --conventions {a},{b}')} compares",
           r"\begin{itemize}",
           *(rf"\item {tex.texttt(c.name)}: ${updates(c, family, False)}$ "
             rf"({tex.prose(c.source)})" for c in (conv_a, conv_b)),
           r"\end{itemize}",
           rf"The change of variables ({tex.prose(plain.mapping.words)}), from {tex.texttt(a)}'s "
           rf"variables to {tex.texttt(b)}'s:", _mapping(plain.mapping),
           "The proof by induction: at $t = 0$ the mapped initial state is the other's "
           "initial state; at each step, if the mapping holds before the step it holds "
           "after. Each obligation is an equation SymPy reduces to 0, cross-checked at random "
           "points in 50-digit arithmetic:",
           obligations_table(proof.obligations, f"{tex.text(a)} $\\to$ {tex.text(b)}: the "
                             "induction's obligations"),
           ("The induction holds for every learning-rate sequence."
            if proof.holds else
            rf"So the two are the same method when {when}"
            + (r": with a constant learning rate, and not under a schedule." if
               proof.needs_constant_lr else ".")),
           rf"On the quadratic of the exact run ({tex.prose(plain.problem.describe())}; "
           rf"{values}) at a constant lr the parameters "
           + ("never part in " + rf"${plain.steps}$ steps" if plain.parting.step is None
              else rf"part at step ${plain.parting.step}$") + ". "
           + rf"Under the {tex.texttt(spec.name)} schedule "
           rf"({tex.texttt(command)}: "
           rf"{tex.prose(scheduled.lr_text)}) the condition fails when the lr drops, and "]
    if p.step is None:
        out[-1] += "the parameters still never part."
    else:
        out[-1] += (rf"the parameters part at step ${p.step}$: "
                    rf"${sp.latex(p.a_value, fold_short_frac=True)}$ against "
                    rf"${sp.latex(p.b_value, fold_short_frac=True)}$; after "
                    rf"${scheduled.steps}$ steps the gap is "
                    rf"${float(p.gap):.6g}$ (the float64 run of the generated code of both "
                    + ("agrees" if scheduled.floats.agrees else r"\textbf{disagrees}")
                    + ").")
    return "\n\n".join(out)


def conventions_chapter(topic: Topic, ctx: Context, figures: bool = True) -> str:
    from optsym.conventions import table

    rows = table.rows()
    families = list(dict.fromkeys(r.family for r in rows))
    out = [rf"\chapter{{{tex.text(topic.title)}}}\label{{{topic.label}}}",
           r"Textbooks, papers and libraries write the same method differently: the learning "
           r"rate inside or outside the momentum buffer, $\epsilon$ inside or outside the "
           r"square root, Nesterov's look-ahead point or torch's reparametrised form. Each "
           r"convention below is written once in SymPy; \optsym{} derives when it equals "
           r"torch's, through a change of variables proved by induction over the steps "
           r"(\texttt{optsym compare --table} prints the same table). A condition such as "
           r"$\eta_{t-1} = \eta_t$ says that the two are the same method only with a constant "
           r"learning rate.", _worked(),
           r"\section{Every convention}"]
    for family in families:
        out.append(_family_table(family, [r for r in rows if r.family == family]))
    return "\n\n".join(out)
