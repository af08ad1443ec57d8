r"""The documents: one topic as a self-contained ``.tex`` (``optsym export adam``), or the whole
course (``optsym export --all``): a ``report`` with a table of contents, an introduction with the
optimizer race, and the parts in teaching order (:data:`TEACHING`), one chapter per topic
(clipping, weight decay, the conventions and the behaviour claims among them),
cross-referenced with ``\label``/``\ref``; figures in ``figures/``."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from optsym import __version__
from optsym.export import latex as tex
from optsym.export.context import Context
from optsym.export.printsize import PAIR_SIZE, PRINT_WIDTH_IN, natural_width
from optsym.export.topics import KINDS, Topic, all_topics, find
from optsym.output import Output
from optsym.spec import SpecError

COURSE_TITLE = "Deep-learning optimizers, derived and verified"
COURSE_FILE = "course.tex"
PARTS = {"rule": "Optimizers", "schedule": "Learning-rate schedules",
         "derivation": "Derivations", "chapter": "More chapters"}
#: the course race: racer -> learning rate (each near its best on these problems)
RACE_LRS = {"gd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3, "rmsprop": 1e-2,
            "adagrad": 0.3, "adam": 3e-2}
RACE_START = (-1.5, 2)
RACE_STEPS = 500


@dataclass
class Exported:
    """What an export wrote."""

    tex: Path
    topics: list[str]
    figures: list[Path] = field(default_factory=list)
    pdf: Path | None = None
    latex_runs: int = 0
    pages: int | None = None
    engine: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"tex": str(self.tex), "pdf": None if self.pdf is None else str(self.pdf),
                "topics": self.topics, "figures": [str(f) for f in self.figures],
                "engine": self.engine, "latex_runs": self.latex_runs, "pages": self.pages,
                "seconds": round(self.seconds, 2)}


def chapter(topic: Topic, ctx: Context, figures: bool = True) -> str:
    """The chapter of ``topic`` (figures drawn into ``ctx.figure_dir``)."""
    from optsym.export.derivation import derivation_chapter
    from optsym.export.rule import rule_chapter
    from optsym.export.schedule import schedule_chapter

    make: dict[str, Callable] = {"rule": rule_chapter, "schedule": schedule_chapter,
                                 "derivation": derivation_chapter}
    if topic.kind == "chapter":
        return topic.spec().write()(topic, ctx, figures)
    return make[topic.kind](topic, ctx, figures)


def _race(ctx: Context) -> str:
    from optsym import rules
    from optsym.figures.race import ALIASES, race_figure, racer
    from optsym.objective import parse_objective

    racers = [racer(n, lr) for n, lr in RACE_LRS.items()
              if n in ALIASES or n in rules.names()]
    path, rel = ctx.figure("race")
    race_figure(path, [parse_objective("rosenbrock"), parse_objective("narrow-valley")],
                RACE_START, racers, RACE_STEPS, size=PAIR_SIZE,
                legend_below=True)
    shown = ", ".join(f"{r.label} ({r.options['lr']:g})" for r in racers)
    return tex.figure(rel, f"The optimizer race: {RACE_STEPS} steps of optsym's generated code "
                           rf"from $({RACE_START[0]}, {RACE_START[1]})$ on Rosenbrock's function "
                           r"and the narrow-valley quadratic $x^2 + 10y^2$; learning rates: "
                           f"{tex.text(shown)}.", "fig:race", natural_width(path))


def _schedules(ctx: Context) -> str:
    from optsym.figures.schedules import DEFAULT_EPOCHS, schedules_figure

    path, rel = ctx.figure("schedules")
    schedules_figure(path, width=PRINT_WIDTH_IN, cols=3)
    return tex.figure(rel, f"Every schedule over {DEFAULT_EPOCHS} epochs at its default "
                           "parameters (optsym's generated closed forms).", "fig:schedules",
                      natural_width(path))


def _parts_sentence(topics: list[Topic]) -> str:
    """What each part holds, in teaching order."""
    what = {"basics": "gradient descent on quadratics and smooth functions, SGD, gradient "
                      "clipping, SGD's noise, heavy-ball momentum and Nesterov's method",
            "adaptive": "AdaGrad, RMSprop, Adam and AdamW, with their constant-gradient "
                        "derivations, weight decay coupled and decoupled, and the "
                        "conventions in which the same methods are written",
            "behaviour": "what the optimizers do over the steps: the common statements "
                         "about behaviour, each measured, with the regime in which it holds",
            "chapter": "the other chapters",
            "rule": "the other optimizers", "schedule": "the learning-rate schedules",
            "derivation": "the other derivations"}
    said = [rf"Part~\ref{{part:{label}}} ({tex.text(title)}) covers {what[label]}"
            for label, title, _ in teaching_parts(topics)]
    return ("The chapters are in teaching order. " + "; ".join(said) + ". Each derivation's "
            "steps are SymPy computations with numeric cross-checks.")


def intro_chapter(ctx: Context, topics: list[Topic]) -> str:
    return "\n\n".join([
        r"\chapter{Introduction}\label{ch:intro}",
        r"These notes are generated by \optsym{} " + tex.text(__version__) + ". Every optimizer, "
        "schedule and theorem is written once, symbolically, in SymPy; the algorithm blocks, "
        "formulas, tables, worked examples and figures below are printed or computed from that "
        "single source. The code that draws the trajectories is optsym's generated code, the "
        "same code that is verified bit for bit against \\texttt{torch.optim}.",
        _parts_sentence(topics),
        "Figure~\\ref{fig:race} races the optimizers from one start; "
        "Figure~\\ref{fig:schedules} shows every schedule. The appendix has exercise sheets "
        "and their solutions.",
        _race(ctx), _schedules(ctx)])


def _job(what: Topic | None, out: Path, chapters: frozenset[str], topics: list[Topic],
         figures: bool) -> tuple[str, list[Path]]:
    """One chapter (``None``: the introduction) and the figures it drew."""
    ctx = Context(out, chapters)
    text = intro_chapter(ctx, topics) if what is None else chapter(what, ctx, figures)
    return text, ctx.figures


#: what the worker processes import once, in the fork server, before they are forked from it
PRELOAD = ["torch", "sympy", "matplotlib.pyplot", "optsym.codegen.module", "optsym.trajectory",
           "optsym.examples", "optsym.export.rule", "optsym.export.schedule",
           "optsym.export.derivation", "optsym.export.clipping", "optsym.export.weight_decay",
           "optsym.export.conventions", "optsym.export.claims", "optsym.figures.race",
           "optsym.figures.schedules",
           "optsym.figures.stability", "optsym.figures.convergence"]


def _pool_context():
    """A ``forkserver`` context: the workers are forked from a fresh server process that has
    imported :data:`PRELOAD` (a plain ``fork`` of a process that has run torch's OpenMP threads
    can hang in the child)."""
    import multiprocessing

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def _cost(what: Topic | None) -> int:
    """A rough order of the work (the largest first, so that two workers finish together)."""
    if what is None:
        return 0
    if what.kind == "chapter":
        return -1  # the claims and the proofs: submitted first
    return {"derivation": 1, "rule": 2, "schedule": 3}[what.kind]


def chapters(ctx: Context, topics: list[Topic], figures: bool = True,
             jobs: int = 1) -> dict[Topic | None, str]:
    """Every chapter's text (``None``: the introduction), in ``jobs`` processes."""
    from optsym.progress import Progress

    work: list[Topic | None] = ([None] if figures else []) + list(topics)
    with Progress("export", len(work)) as bar:  # on stderr, only on a terminal
        if jobs > 1 and len(work) > 1:
            from concurrent.futures import ProcessPoolExecutor, as_completed

            with ProcessPoolExecutor(max_workers=jobs, mp_context=_pool_context()) as pool:
                futures = {pool.submit(_job, w, ctx.out, ctx.chapters, topics, figures): w
                           for w in sorted(work, key=_cost)}
                done = {}
                for f in as_completed(futures):
                    done[futures[f]] = f.result()
                    bar.advance()
        else:
            done = {}
            for w in work:
                done[w] = _job(w, ctx.out, ctx.chapters, topics, figures)
                bar.advance()
    out = {}
    for w in work:
        text, drawn = done[w]
        ctx.figures.extend(drawn)
        out[w] = text
    return out


#: the course's parts in teaching order: (label, title, topic keys); a topic not named here
#: goes to the part for its kind (the rest of the optimizers, the schedules, the derivations)
TEACHING = (
    ("basics", "Gradient descent and momentum",
     ("derivation:gd-quadratic", "derivation:condition-number", "derivation:smooth-convex-gd",
      "rule:sgd", "chapter:clipping", "derivation:sgd-noise", "derivation:saddle-points",
      "derivation:ema",
      "derivation:heavy-ball", "derivation:nesterov")),
    ("adaptive", "Adaptive methods",
     ("rule:adagrad", "derivation:adagrad-constant-gradient", "rule:rmsprop", "rule:adam",
      "derivation:adam-constant-gradient", "rule:adamw", "chapter:weight-decay",
      "chapter:conventions")),
    ("behaviour", "Behaviour, not only formulas", ("chapter:claims",)),
)
#: where the topics that :data:`TEACHING` does not name go, by kind
REST = {"rule": ("rule", "More optimizers"), "schedule": ("schedule", PARTS["schedule"]),
        "derivation": ("derivation", "More derivations"),
        "chapter": ("chapter", PARTS["chapter"])}


def teaching_parts(topics: list[Topic]) -> list[tuple[str, str, list[Topic]]]:
    """``topics`` as (label, title, chapters) in teaching order: gradient descent, SGD,
    momentum, Nesterov, AdaGrad, RMSprop, Adam, AdamW, weight decay, the conventions, the
    behaviour claims, then the other optimizers (registry order), the schedules and any other
    derivation or chapter; empty parts are left out."""
    by_key = {t.key: t for t in topics}
    parts = [(label, title, [by_key[k] for k in keys if k in by_key])
             for label, title, keys in TEACHING]
    named = {t.key for _, _, chosen in parts for t in chosen}
    for kind in KINDS:
        label, title = REST[kind]
        parts.append((label, title, [t for t in topics
                                     if t.kind == kind and t.key not in named]))
    order = ["basics", "adaptive", "behaviour", "rule", "schedule", "derivation", "chapter"]
    parts.sort(key=lambda p: order.index(p[0]))
    return [p for p in parts if p[2]]


def course_tex(ctx: Context, topics: list[Topic], figures: bool = True, jobs: int = 1,
               exercises: bool = True) -> str:
    texts = chapters(ctx, topics, figures, jobs)
    parts = [tex.preamble(f"optsym: {COURSE_TITLE}", f"generated by optsym {__version__}"),
             r"\maketitle", r"\tableofcontents", r"\listof{algorithm}{List of algorithms}",
             texts.get(None, "")]
    for label, title, chosen in teaching_parts(topics):
        parts.append(rf"\part{{{title}}}\label{{part:{label}}}")
        parts += [texts[t] for t in chosen]
    if exercises:
        from optsym.export.exercises import appendix

        parts.append(appendix())
    parts += [r"\end{document}", ""]
    return "\n\n".join(p for p in parts if p)


def default_jobs() -> int:
    """Two processes where the machine has two cores or more and a fork server (Unix), else
    one; ``OPTSYM_EXPORT_JOBS`` overrides it."""
    import multiprocessing

    chosen = os.environ.get("OPTSYM_EXPORT_JOBS", "").strip()
    if chosen:
        if not chosen.isdigit() or int(chosen) < 1:
            raise SpecError(f"OPTSYM_EXPORT_JOBS must be a whole number >= 1, got {chosen!r}")
        return int(chosen)
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(2, os.cpu_count() or 1))


def topic_tex(topic: Topic, ctx: Context, figures: bool = True) -> str:
    """A self-contained document with ``topic``'s chapter."""
    return "\n\n".join([tex.preamble(f"optsym: {topic.title}",
                                     f"generated by optsym {__version__}"),
                        r"\maketitle", chapter(topic, ctx, figures), r"\end{document}", ""])


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot write {path}: {exc.strerror or exc}") from None


def _finish(result: Exported, pdf: bool, started: float) -> Exported:
    if pdf:
        from optsym.export.pdf import compile_pdf

        compiled = compile_pdf(result.tex)
        result.pdf, result.latex_runs, result.engine = compiled.pdf, compiled.runs, \
            compiled.engine
        result.pages = compiled.pages
    result.seconds = time.perf_counter() - started
    return result


def _placed(result: Exported, staging: Output) -> Exported:
    """``result`` with the paths where the staged files go."""
    result.tex = staging.target(result.tex)
    result.figures = [staging.target(f) for f in result.figures]
    if result.pdf is not None:
        result.pdf = staging.target(result.pdf)
    return result


def _export(out: str | Path, stem: str, topics: list[Topic], pdf: bool, force: bool,
            document: Callable[[Context], str]) -> Exported:
    """``document`` written as ``out/stem.tex`` (and compiled), staged: a failure leaves
    ``out`` as it was, and an existing file is replaced only with ``force``."""
    started = time.perf_counter()
    if pdf:
        from optsym.export.pdf import engine

        engine()  # fail before the work when there is no pdflatex
    with Output(force=force) as staging:
        directory = staging.folder(out, (f"{stem}.tex",) + ((f"{stem}.pdf",) if pdf else ()))
        ctx = Context(directory, frozenset(t.key for t in topics))
        path = directory / f"{stem}.tex"
        _write(path, document(ctx))
        result = _placed(_finish(Exported(path, [t.key for t in topics], ctx.figures), pdf,
                                 started), staging)
    return result


def export_course(out: str | Path, pdf: bool = False, figures: bool = True,
                  jobs: int | None = None, force: bool = False) -> Exported:
    """The whole course into ``out`` (``course.tex``, ``figures/``, with ``pdf``
    ``course.pdf``); the chapters are made in ``jobs`` processes (default
    :func:`default_jobs`).  Existing files are replaced only with ``force``."""
    topics = all_topics()
    return _export(out, COURSE_FILE.removesuffix(".tex"), topics, pdf, force,
                   lambda ctx: course_tex(ctx, topics, figures,
                                          default_jobs() if jobs is None else jobs))


def export_topic(name: str, out: str | Path, pdf: bool = False, figures: bool = True,
                 force: bool = False) -> Exported:
    """One topic into ``out`` as ``<kind>-<name>.tex`` (and ``.pdf``)."""
    topic = find(name)
    return _export(out, topic.slug, [topic], pdf, force,
                   lambda ctx: topic_tex(topic, ctx, figures))
