r"""The behaviour chapter: every claim of :mod:`optsym.dynamics.claims` (its registry, so a
claim added there becomes a section here), each run once when the course is exported: the
statement, the setting it was measured in, the verdict of its check, the numbers it measured,
its notes on the regime, and its figure where it has one (stacked at print size,
:func:`optsym.export.printsize.claim_figure`).  The numbers are typeset from the claim's
``measured`` record, whatever its shape (:func:`measured_latex`)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from optsym.export import latex as tex
from optsym.export.context import Context
from optsym.export.printsize import claim_figure, natural_width
from optsym.export.steps import breakable
from optsym.export.topics import Topic

#: significant digits of a measured number
DIGITS = 4
#: the most columns of one table (a wider record is split, its first column repeated)
COLUMNS = 6
#: the most numbers of a list shown in one cell
LIST_ITEMS = 8


def claim_label(name: str) -> str:
    """The LaTeX label of claim ``name``'s section."""
    return f"sec:claim:{name}"


def claim_ref(ctx: Context, name: str) -> str:
    """A reference to claim ``name``: its section where the claims chapter is in this
    document, otherwise the command that measures it."""
    if ctx.has(Topic("chapter", "claims", "")):
        return rf"Section~\ref{{{claim_label(name)}}}"
    return tex.texttt(f"optsym claims {name}")


def words(text: str) -> str:
    """A claim's sentence as LaTeX: its `backquoted` commands as code (``--best`` keeps its
    hyphens), the rest through :func:`optsym.export.latex.prose`, long code breakable."""
    pieces = text.split("`")
    if len(pieces) % 2 == 0:  # an unmatched backquote: all prose
        return breakable(tex.prose(text))
    return breakable("".join(tex.texttt(p) if i % 2 else tex.prose(p)
                             for i, p in enumerate(pieces)))


def claim_title(name: str) -> str:
    """``momentum-regime`` as "Momentum regime"."""
    words = name.replace("-", " ")
    return words[:1].upper() + words[1:]


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str))


def _cell_ok(v: Any) -> bool:
    return _scalar(v) or (isinstance(v, (list, tuple)) and all(_scalar(x) for x in v))


def value_latex(v: Any) -> str:
    """A measured value as LaTeX: a number to :data:`DIGITS` significant digits (never
    e-notation), a list as a tuple, a string as text."""
    from optsym.examples.texnum import tex_decimal

    if v is None:
        return "--"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"${v}$"
    if isinstance(v, float):
        if v != v:
            return "NaN"
        if v in (float("inf"), float("-inf")):
            return r"$\infty$" if v > 0 else r"$-\infty$"
        return f"${tex_decimal(v, DIGITS)}$"
    if isinstance(v, (list, tuple)):
        shown = ", ".join(value_latex(x).strip("$") for x in v[:LIST_ITEMS])
        more = r", \dots" if len(v) > LIST_ITEMS else ""
        return f"$({shown}{more})$"
    return tex.prose(str(v))


def key_latex(key: str) -> str:
    """A record's key as a column head: ``rate_gd`` as "rate gd"."""
    return tex.text(str(key).replace("_", " "))


def _flatten(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row's cells, a nested mapping of cells flattened one level (``derived gd``)."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        if isinstance(v, Mapping) and all(_cell_ok(x) for x in v.values()):
            out.update({f"{k} {kk}": vv for kk, vv in v.items()})
        elif _cell_ok(v):
            out[k] = v
    return out


def _grid(head: Sequence[str], rows: Sequence[Sequence[Any]], caption: str) -> list[str]:
    """``rows`` under ``head`` as tables of at most :data:`COLUMNS` columns."""
    out = []
    rest = list(range(1, len(head)))
    chunks = [rest[i:i + COLUMNS - 1] for i in range(0, len(rest), COLUMNS - 1)] or [[]]
    for n, chunk in enumerate(chunks):
        cols = [0, *chunk]
        part = f" ({n + 1} of {len(chunks)})" if len(chunks) > 1 else ""
        out.append(tex.table("@{}l" + "r" * len(chunk) + "@{}",
                             [key_latex(head[c]) for c in cols],
                             [[value_latex(r[0])] + [value_latex(r[c]) for c in chunk]
                              for r in rows], caption + part))
    return out


def measured_latex(measured: Mapping[str, Any], what: str) -> str:
    """A claim's ``measured`` record as LaTeX: its single numbers in one table, each list of
    rows (or mapping of rows) as a table of its own; a mapping of numbers as a table."""
    singles = [(k, v) for k, v in measured.items() if _cell_ok(v)]
    out = []
    if singles:
        half = (len(singles) + 1) // 2 if len(singles) > 6 else len(singles)
        left, right = singles[:half], singles[half:]
        rows = []
        for i, (k, v) in enumerate(left):
            row = [key_latex(k), value_latex(v)]
            if right:
                row += ([key_latex(right[i][0]), value_latex(right[i][1])] if i < len(right)
                        else ["", ""])
            rows.append(row)
        out.append(tex.table("@{}lr" + ("@{\\hspace{2em}}lr" if right else "") + "@{}",
                             ["measured", "value"] + (["measured", "value"] if right else []),
                             rows, f"{what}: the numbers"))
    records = {k: v for k, v in measured.items()
               if isinstance(v, Mapping) and v and all(_cell_ok(x) for x in v.values())}
    if len(records) > 1:  # runs side by side (plain, clipped, ...): one table, a row each
        head = list(dict.fromkeys(h for v in records.values() for h in v))
        out += _grid(["run", *head], [[tex.text(str(k).replace("_", " ")),
                                       *(v.get(h) for h in head)] for k, v in records.items()],
                     f"{what}: " + ", ".join(key_latex(k) for k in records))
    for k, v in measured.items():
        if _cell_ok(v) or (len(records) > 1 and k in records):
            continue
        if isinstance(v, Mapping) and all(_cell_ok(x) for x in v.values()):
            out.append(tex.table("@{}lr@{}", [key_latex(k), "value"],
                                 [[key_latex(kk), value_latex(vv)] for kk, vv in v.items()],
                                 f"{what}: {key_latex(k)}"))
        elif isinstance(v, Mapping) and all(isinstance(x, Mapping) for x in v.values()):
            flat = {kk: _flatten(vv) for kk, vv in v.items()}
            head = list(dict.fromkeys(h for row in flat.values() for h in row))
            out += _grid([k, *head], [[tex.text(str(kk)), *(row.get(h) for h in head)]
                                      for kk, row in flat.items()], f"{what}: {key_latex(k)}")
        elif isinstance(v, Sequence) and v and all(isinstance(x, Mapping) for x in v):
            flat_rows = [_flatten(x) for x in v]
            head = list(dict.fromkeys(h for row in flat_rows for h in row))
            out += _grid(head, [[row.get(h) for h in head] for row in flat_rows],
                         f"{what}: {key_latex(k)}")
    return "\n\n".join(out)


def _section(name: str, ctx: Context, figures: bool) -> tuple[str, float]:
    from optsym.dynamics.claim_figures import has_figure
    from optsym.dynamics.claims import run

    started = time.perf_counter()
    (claim,) = run(name)
    seconds = time.perf_counter() - started
    verdict = (r"\textbf{The check holds.}" if claim.holds else
               r"\textbf{The check FAILS}: the behaviour measured here is not the statement's.")
    out = [rf"\section{{{tex.text(claim_title(name))}}}\label{{{claim_label(name)}}}",
           rf"\textbf{{Statement.}} {words(claim.statement)}.",
           rf"\textbf{{Setting.}} {words(claim.setting)}.",
           rf"{verdict} Measured when this document was made ({seconds:.1f} s; "
           rf"{tex.texttt('optsym claims ' + name)} runs it again).",
           measured_latex(claim.measured, tex.text(claim_title(name)))]
    if claim.notes:
        out.append(r"\textbf{Regime.}" + "\n" + r"\begin{itemize}" + "\n"
                   + "\n".join(rf"\item {words(n)}" for n in claim.notes)
                   + "\n" + r"\end{itemize}")
    if figures and has_figure(name) and claim.data is not None:
        path, rel = ctx.figure(f"claim-{name}")
        claim_figure(path, claim)
        out.append(tex.figure(rel, f"{tex.text(claim_title(name))}: what the claim measured, "
                                   "drawn against what was derived "
                                   f"({tex.texttt(f'optsym claims {name} -o FILE')} draws it "
                                   "side by side).", f"fig:claim:{name}",
                              natural_width(path)))
    return "\n\n".join(out), seconds


def claims_chapter(topic: Topic, ctx: Context, figures: bool = True) -> str:
    from optsym.dynamics.claims import names

    sections, total = [], 0.0
    for name in names():
        text, seconds = _section(name, ctx, figures)
        sections.append(text)
        total += seconds
    return "\n\n".join([
        rf"\chapter{{{tex.text(topic.title)}}}\label{{{topic.label}}}",
        r"Course notes teach optimizers through their behaviour: ``a large learning rate "
        r"oscillates'', ``momentum damps narrow valleys'', ``Adam wants warmup''. Each section "
        r"below is one such statement, run on optsym's generated code when this document was "
        r"made, with a check that fails when the behaviour is reversed. Several hold only in a "
        r"regime; the setting and the notes say which, with the numbers. "
        rf"The {len(sections)} claims took {total:.1f} s to measure "
        r"(\texttt{optsym claims} prints them all).", *sections])
