"""``optsym export``: the course notes as LaTeX, one topic or all of them, optionally as PDF.

A topic is a rule, a schedule, a derivation or a chapter (clipping, weight decay, the
conventions, the claims; ``optsym export --list``); ``optsym export adam --out notes/``
writes ``notes/rule-adam.tex`` and its figures, ``optsym export --all --out course/ --pdf``
the whole course (``course/course.tex``, ``course/figures/``,
``course/course.pdf``).  ``--pdf`` runs pdflatex (latexmk where installed) and fails with exit
status 1 on a LaTeX error or an undefined reference, printing the log line; without pdflatex it
says which Debian packages to install (exit 2).
"""

from __future__ import annotations

import json

import click

from optsym.cli.errors import UsageFailure


def _list(as_json: bool) -> None:
    from optsym.export import all_topics

    topics = all_topics()
    if as_json:
        click.echo(json.dumps([{"topic": t.key, "kind": t.kind, "name": t.name,
                                "title": t.title} for t in topics], indent=2))
        return
    for t in topics:
        click.echo(f"{t.key:<34} {t.title}")


@click.command()
@click.argument("topic", required=False, metavar="[TOPIC]")
@click.option("--out", "out", default=None, metavar="DIR",
              help="Directory to write into (created if missing; its files are new, or "
                   "--force).")
@click.option("--all", "everything", is_flag=True, help="Export the whole course.")
@click.option("--pdf", is_flag=True, help="Compile the .tex to PDF with pdflatex.")
@click.option("--list", "list_topics", is_flag=True, help="List the topics.")
@click.option("--no-figures", is_flag=True, help="Leave the figures out (faster).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--force", is_flag=True,
              help="Replace files that exist already (never through a link).")
@click.pass_context
def export(ctx: click.Context, topic: str | None, out: str | None, everything: bool, pdf: bool,
           list_topics: bool, no_figures: bool, as_json: bool, force: bool) -> None:
    """LaTeX course notes: one TOPIC (a rule, schedule, derivation or chapter), or --all.

    TOPIC is a name (adam, cosine, heavy-ball) or KIND:NAME where a name is ambiguous.  Exit
    status 1 when LaTeX fails or a reference is undefined.
    """
    if list_topics:
        _list(as_json)
        return
    if everything and topic:
        raise UsageFailure("give a TOPIC or --all, not both")
    if not everything and not topic:
        raise UsageFailure("missing TOPIC (see optsym export --list) or --all")
    if out is None or not out.strip():
        raise UsageFailure("--out DIR is required (the directory to write into)")

    from optsym.export import export_course, export_topic
    from optsym.export.pdf import LatexFailed

    try:
        if everything:
            result = export_course(out, pdf=pdf, figures=not no_figures, force=force)
        else:
            result = export_topic(topic, out, pdf=pdf, figures=not no_figures, force=force)
    except LatexFailed as exc:
        click.echo(f"optsym: error: LaTeX failed (nothing written): {exc.line}", err=True)
        ctx.exit(1)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
        return
    chapters = len(result.topics)
    click.echo(f"wrote {result.tex} ({chapters} chapter{'s' if chapters != 1 else ''}, "
               f"{len(result.figures)} figure{'s' if len(result.figures) != 1 else ''})")
    if result.pdf is not None:
        pages = f"{result.pages} pages, " if result.pages else ""
        click.echo(f"wrote {result.pdf} ({pages}{result.engine}, {result.latex_runs} runs, no "
                   "errors, no undefined references)")
    click.echo(f"took {result.seconds:.1f} s")
