"""``optsym exercises TOPIC``: exercise sheets with exact answers checked by generated code.

``--n`` problems drawn from ``--seed`` (the same seed gives the same sheet, byte for byte);
``--out DIR`` writes ``problems.tex`` and ``solutions.tex`` there, ``--pdf`` compiles both with
pdflatex, ``--json`` prints the problems and their exact answers.  Exit status 0; 1 when an
answer fails its check against optsym's generated code (nothing is written); a usage error is
one line and exit status 2.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import click

from optsym.cli.errors import UsageFailure
from optsym.cli.options import writes_files

LATEX_PACKAGES = "texlive-latex-base texlive-latex-recommended"


def _list(as_json: bool) -> None:
    from optsym import exercises

    table = [{"topic": t.name, "title": t.title} for t in exercises.all_topics()]
    if as_json:
        click.echo(json.dumps({"topics": table}, indent=2))
        return
    for row in table:
        click.echo(f"{row['topic']:<18} {row['title']}")


def _write(folder: Path, files: dict[str, str]) -> list[Path]:
    try:
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageFailure(f"--out: cannot write there ({exc.strerror})") from None
    return [folder / name for name in files]


def _pdflatex(out: Path, stem: str) -> Path:
    """Compile ``stem.tex`` in ``out`` (twice: the second run settles references)."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
    for _ in range(2):
        try:
            run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                                  f"{stem}.tex"], cwd=out, capture_output=True, text=True,
                                 timeout=120, check=False, env=env)
        except subprocess.TimeoutExpired:
            raise click.ClickException(f"pdflatex timed out on {stem}.tex") from None
        if run.returncode != 0:
            lines = [ln for ln in run.stdout.splitlines() if ln.startswith("!")]
            raise click.ClickException(f"pdflatex failed on {stem}.tex (nothing written): "
                                       f"{lines[0] if lines else 'no error line in its log'}")
    for extra in ("aux", "log", "out"):
        (out / f"{stem}.{extra}").unlink(missing_ok=True)
    return out / f"{stem}.pdf"


@click.command()
@click.argument("topic", required=False, metavar="TOPIC")
@click.option("--n", "count", type=int, default=5, show_default=True,
              help="Number of problems (1 to 50).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the draw: the same seed gives the same sheet.")
@click.option("--out", "out_dir", metavar="DIR",
              help="Write problems.tex and solutions.tex here (new files, or --force).")
@click.option("--pdf", is_flag=True, help="Also compile them to PDF with pdflatex (needs --out).")
@click.option("--json", "as_json", is_flag=True, help="Print the problems and exact answers.")
@click.option("--list", "list_all", is_flag=True, help="List the topics.")
@writes_files
def exercises(topic: str | None, count: int, seed: int, out_dir: str | None, pdf: bool,
              as_json: bool, list_all: bool, out) -> None:
    """Exercise sheets for TOPIC (`optsym exercises --list`): problems and solutions in LaTeX,
    every answer checked by optsym's generated code."""
    if list_all:
        _list(as_json)
        return
    if topic is None:
        raise UsageFailure("missing TOPIC (see optsym exercises --list)")
    from optsym import exercises as ex
    from optsym.exercises.topic import check_count, check_seed

    spec = ex.get(topic)
    check_count(count)
    check_seed(seed)
    if pdf and out_dir is None:
        raise UsageFailure("--pdf needs --out DIR (where the PDFs go)")
    if pdf and shutil.which("pdflatex") is None:
        raise UsageFailure(f"--pdf needs pdflatex (Debian: apt-get install {LATEX_PACKAGES})")
    stems = ("problems", "solutions")
    folder = None if out_dir is None else out.folder(
        out_dir, tuple(f"{stem}{ext}" for stem in stems for ext in
                       (".tex", ".pdf") if ext == ".tex" or pdf))
    try:
        sheet = ex.make_sheet(spec, count, seed)
    except ex.SheetRefused as exc:
        raise click.ClickException(str(exc)) from None
    written: list[Path] = []
    if folder is not None:
        written = _write(folder, {"problems.tex": sheet.problems_tex(),
                                  "solutions.tex": sheet.solutions_tex()})
        if pdf:
            written += [_pdflatex(folder, stem) for stem in stems]
        written = [out.target(p) for p in written]
    if as_json:
        click.echo(json.dumps({**sheet.as_dict(), "written": [str(p) for p in written]},
                              indent=2))
        return
    click.echo(sheet.as_text())
    for path in written:
        click.echo(f"wrote {path}")
