r"""A rule's chapter: the textbook update as a numbered algorithm (from the rule's ``textbook``
assignments, printed by :func:`optsym.spec.latex`), the reference's operation order, the
hyperparameters, the conventions other sources use (:mod:`optsym.conventions`), a worked example
in exact arithmetic (:mod:`optsym.examples`) and the rule's trajectories (generated code)."""

from __future__ import annotations

import importlib.util

import sympy as sp

from optsym.examples.texnum import tex_decimal
from optsym.export import latex as tex
from optsym.export.context import Context
from optsym.export.printsize import PAIR_SIZE, natural_width
from optsym.export.related import derivations_of
from optsym.export.topics import Topic, all_topics
from optsym.reading import constants_of, update
from optsym.rules.docmath import richest_config
from optsym.spec import Assign, Rule, latex

#: the start of every trajectory figure (the seeds' race start)
START = (-1.5, 2)
#: the objectives of a rule's trajectory figure
OBJECTIVES = ("rosenbrock", "narrow-valley")
#: learning rates of a rule's trajectory figure, as multiples of its default lr
LR_FACTORS = (1, 10, 100)
STEPS = 200


def _assign_line(a: Assign, constants: frozenset = frozenset()) -> tuple[str, str]:
    """An update in reading order (:mod:`optsym.reading`) and its note."""
    return update(a.target, a.expr, constants), a.note


def _richest(rule: Rule) -> dict | None:
    """The sweep configuration that shows the options (:func:`richest_config`), or None when
    it adds no line to the defaults."""
    best = richest_config(rule)
    return best if len(rule.textbook(best)) > len(rule.textbook(rule.config())) else None


def _inputs(rule: Rule, cfg: dict) -> str:
    shown = [f"${latex(h.symbol)}$ ({tex.texttt(h.name)} $= {_value(cfg[h.name])}$)"
             for h in rule.hypers if h.symbol is not None]
    return r"\textbf{input:} " + ", ".join(shown) + r"; initial parameters $\theta$"


def _value(v) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return rf"\text{{{tex.text(str(v))}}}"
    return sp.latex(sp.Float(v, 6)) if v and abs(v) < 1e-3 else f"{v:g}"


def _states(rule: Rule, cfg: dict) -> str:
    states = rule.states(cfg)
    if not states:
        return r"\textbf{state:} none"
    return r"\textbf{state:} " + ", ".join(
        rf"${latex(s.symbol)} \gets {latex(s.init)}$ ({tex.texttt(s.name)})" for s in states)


def _block(rule: Rule, cfg: dict, caption: str, label: str) -> str:
    lines = [(r"g \gets \nabla f(\theta)", "the gradient at the current parameters")]
    lines += [_assign_line(a, constants_of(rule)) for a in rule.textbook(cfg)]
    return tex.algorithm(caption, label, [_inputs(rule, cfg), _states(rule, cfg)], lines)


def _options(rule: Rule, cfg: dict) -> str:
    """The options as typed in Python: ``lr=0.01, maximize=True``."""
    return ", ".join(f"{k}={v}" for k, v in rule.non_default(cfg).items())


def _options_tex(rule: Rule, cfg: dict) -> str:
    """The options as mathematics for a caption: ``$\\eta = 0.01$, $\\epsilon = 10^{-6}$,
    maximize`` (a flag by its name, a value without Python's e-notation)."""
    symbols = {h.name: h.symbol for h in rule.hypers}
    out = []
    for name, value in rule.non_default(cfg).items():
        symbol = symbols.get(name)
        if isinstance(value, bool):
            out.append(tex.texttt(name) if value else tex.texttt(f"{name}=False"))
        elif symbol is not None and isinstance(value, (int, float)):
            out.append(f"${latex(symbol)} = {tex_decimal(value, 6)}$")
        else:
            out.append(tex.texttt(f"{name}={value}"))
    return ", ".join(out)


def _reference_name(rule: Rule) -> str:
    """Who the reference is, in a sentence: ``torch'' or ``pytorch_optimizer.Lion''."""
    ref = rule.reference
    return "torch" if ref.kind == "torch.optim" else ref.qualified


def _hyper_table(rule: Rule, topic: Topic) -> str:
    rows = []
    for h in rule.hypers:
        symbol = f"${latex(h.symbol)}$" if h.symbol is not None else "--"
        rows.append([tex.texttt(h.reference_argument), symbol, tex.number(h.default),
                     tex.prose(h.domain), tex.prose(h.doc)])
    who = _reference_name(rule)
    return tex.table(r"@{}llll>{\raggedright\arraybackslash}p{0.4\linewidth}@{}",
                     [f"{tex.text(who)} argument", "symbol", "default", "domain", "meaning"],
                     rows, f"{tex.text(rule.title)}: hyperparameters ({tex.text(who)}'s names "
                           "and defaults)", f"tab:{topic.kind}:{topic.name}:hypers")


def _implementation(rule: Rule) -> str:
    """The reference's single-tensor operation order, one line per assignment (its call where
    the spec records it)."""
    rows = []
    for a in rule.implementation(rule.config()):
        what = tex.texttt(a.note) if a.note else f"${latex(a.expr)}$"
        rows.append(rf"${latex(a.target)}$ & {what} \\")
    return "\n".join([r"\begin{center}\small",
                      r"\begin{tabular}{@{}l>{\raggedright\arraybackslash}p{0.8\linewidth}@{}}",
                      r"\toprule", rf"writes & {tex.text(_reference_name(rule))}'s operation \\",
                      r"\midrule", *rows,
                      r"\bottomrule", r"\end{tabular}", r"\end{center}"])


def _conventions(rule: Rule) -> str:
    """The conventions of the rule's families (:mod:`optsym.conventions`), where it exists."""
    if importlib.util.find_spec("optsym.conventions") is None:
        return ""
    from optsym import conventions

    if not hasattr(conventions, "for_rule"):
        return ""
    out = []
    for name in conventions.for_rule(rule.name):
        family = conventions.get(name)
        cfg = family.cfg()
        out.append(rf"\subsection{{{tex.text(family.title)}}}")
        rows = []
        for c in family.conventions:
            eqs = r" \\ ".join(update(a.target, a.expr, constants_of(rule), r"&\gets")
                               for a in c.equations(cfg))
            note = f" {tex.prose(c.note)}." if c.note else ""
            mapping = family.mappings.get(c.name)
            how = f" Change of variables: {tex.prose(mapping.words)}." if mapping and \
                mapping.words else ""
            rows.append(rf"\item[{tex.text(c.name)}] {tex.prose(c.source)}.{note}{how}"
                        "\n" + rf"\[ \begin{{aligned}} {eqs} \end{{aligned}} \]")
        out += [r"\begin{description}", *rows, r"\end{description}"]
        out.append(rf"{tex.texttt('optsym compare ' + family.name)} proves which change of "
                   "variables makes these conventions agree, and shows where they differ.")
    return "\n".join(out)


def _worked_example(rule: Rule) -> str:
    """The first steps in exact arithmetic (:func:`optsym.examples.worked_example`), where that
    module provides it."""
    from optsym import examples

    if not hasattr(examples, "worked_example"):
        return ""
    from optsym.objective import parse_objective

    objective = parse_objective("narrow-valley")
    example = examples.worked_example(rule.name, objective, (1, 1), {"lr": sp.Rational(1, 10)},
                                      2)
    return "\n".join([rf"Two steps on {tex.texttt(objective.name)}, "
                      rf"${objective.latex()}$, from $\theta_0 = (1, 1)$ with "
                      r"$\eta = 1/10$ and the other hyperparameters at their defaults, in "
                      "exact arithmetic:", example.as_latex()])


def trajectory_figure(rule: Rule, ctx: Context, topic: Topic) -> str:
    """The rule at three learning rates on Rosenbrock and the narrow valley (generated code)."""
    from optsym.figures.race import Racer, race_figure
    from optsym.objective import parse_objective

    default = float(rule.defaults().get("lr", 1e-3))
    racers = [Racer(f"lr={default * f:g}", rule.name, {"lr": default * f})
              for f in LR_FACTORS]
    path, rel = ctx.figure(topic.slug)
    race_figure(path, [parse_objective(o) for o in OBJECTIVES], START, racers, STEPS,
                size=PAIR_SIZE, legend_below=True)
    return tex.figure(rel, rf"{tex.text(rule.title)}: {STEPS} steps of optsym's generated "
                           rf"code (torch-parity) from $({START[0]}, {START[1]})$ at three "
                           "learning rates, on Rosenbrock's function and the narrow-valley "
                           r"quadratic $x^2 + 10 y^2$.", f"fig:{topic.kind}:{topic.name}",
                      natural_width(path))


def _check_yours(rule: Rule) -> str:
    """How a reader checks an implementation of ``rule`` of their own (``optsym check``)."""
    names = ", ".join(tex.texttt(h.name) for h in rule.hypers)
    return (f"Write {tex.text(rule.title)} as a class built from {tex.texttt('(params, ...)')} "
            f"with the reference's argument names ({names}) whose {tex.texttt('step()')} reads "
            f"{tex.texttt('p.grad')} (a {tex.texttt('torch.optim.Optimizer')} subclass, a "
            "from-scratch class, or a functional step in torch or NumPy), then run "
            + tex.texttt(f"optsym check my_opt.py:MyOpt --rule {rule.name}") + ". It runs "
            "your code and the spec's on the same gradients over the sweep above, in float32 "
            "and float64, for 100 steps with a learning rate that changes between steps, and "
            r"answers \emph{bitwise} (torch's order), \emph{equal within the rounding bound} "
            r"(the textbook form) or \emph{different}: then it names the slip that reproduces "
            "your code (bias correction missing, eps inside the square root, weight decay "
            "coupled, ...), the first step and element where it leaves the rule, and the gap "
            "after the last step. In a test suite, "
            + tex.texttt(f'optsym.testing.assert_matches(MyOpt, "{rule.name}")') + " does the "
            "same.")


def rule_chapter(topic: Topic, ctx: Context, figures: bool = True) -> str:
    rule: Rule = topic.spec()
    cfg = rule.config()
    out = [rf"\chapter{{{tex.text(rule.title)}}}\label{{{topic.label}}}",
           tex.rst(tex.first_paragraph(rule.doc)),
           r"\section{The update}",
           "The textbook form, as optsym's rule spec writes it (each line reads the values the "
           r"lines before it wrote; $t = 1$ on the first step), at the reference's defaults:",
           _block(rule, cfg, f"{tex.text(rule.title)} (textbook form, defaults)",
                  f"alg:{topic.kind}:{topic.name}")]
    rich = _richest(rule)
    if rich is not None:
        out += [f"With options ({tex.texttt(_options(rule, rich))}):",
                _block(rule, rich, f"{tex.text(rule.title)} with "
                                   f"{_options_tex(rule, rich)}",
                       f"alg:{topic.kind}:{topic.name}:options")]
    out += [r"\section{Hyperparameters}", _hyper_table(rule, topic)]
    ref, who = rule.reference, tex.text(_reference_name(rule))
    out += [rf"\section{{{who}'s form and conventions}}"]
    if ref.kind != "torch.optim":
        out.append(rf"The reference is {tex.texttt(ref.qualified)}"
                   + (f" ({tex.text(ref.note)})" if ref.note else "")
                   + f": {tex.text(ref.as_dict()['what'])}.")
    if rule.torch_note:
        out.append(rf"\textbf{{{tex.text(ref.qualified)}:}} {tex.prose(rule.torch_note)}")
    out += [f"{who}'s CPU single-tensor path computes the update in this order; optsym proves "
            "it equal to the textbook form symbolically and generates code from it that "
            rf"matches {who} bit for bit ({tex.texttt('optsym verify ' + rule.name)}):",
            _implementation(rule), _conventions(rule)]
    example = _worked_example(rule)
    if example:
        out += [r"\section{Worked example}", example]
    out += [r"\section{Checking your own implementation}", _check_yours(rule)]
    if figures:
        out += [r"\section{Trajectories}", trajectory_figure(rule, ctx, topic)]
    related = derivations_of(rule.name, all_topics())
    if related:
        out += [r"\section{Related derivations}", r"\begin{itemize}"]
        out += [rf"\item {ctx.ref(t)}" for t in related]
        out.append(r"\end{itemize}")
    return "\n\n".join(p for p in out if p)
