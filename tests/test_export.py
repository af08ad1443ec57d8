"""``optsym export``: the whole course compiles with pdflatex with no error and no undefined
reference, in under a minute of CPU time; its table of contents has a chapter per topic, its
cross-references resolve, page 1 renders; one topic compiles alone; the LaTeX log checks catch
errors and undefined references; the command's errors are one line, exit 2."""

from __future__ import annotations

import json
import re
import resource
import shutil
import subprocess
import time

import pytest

from optsym.export import all_topics, export_course, export_topic, find
from optsym.export.pdf import LatexFailed, LatexMissing, compile_pdf
from optsym.spec import SpecError

needs_pdflatex = pytest.mark.skipif(
    shutil.which("pdflatex") is None,
    reason="pdflatex is not installed (Debian: texlive-latex-base texlive-latex-recommended)")

#: the course, figures and PDF included, must take less than this much CPU time (this process
#: and pdflatex, the chapters made in this process: jobs=1): the issue's "under a minute on
#: this 2-core machine", measured without the noise of other processes' load (the default
#: makes the chapters in two processes, which takes less wall time)
CPU_BUDGET_S = 60.0


def _cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (Debian: texlive-latex-base "
                    "texlive-latex-recommended)")
    out = tmp_path_factory.mktemp("course")
    cpu = _cpu()
    result = export_course(out, pdf=True, jobs=1)
    return result, _cpu() - cpu


def _labels(aux: str) -> dict[str, tuple[str, str]]:
    """label -> (number, page) from the .aux file."""
    return {m.group(1): (m.group(2), m.group(3))
            for m in re.finditer(r"\\newlabel\{([^}]*)\}\{\{([^}]*)\}\{([^}]*)\}", aux)}


@needs_pdflatex
def test_course_pdf_compiles_cleanly_in_time(course):
    result, cpu = course
    assert result.pdf is not None and result.pdf.read_bytes()[:5] == b"%PDF-"
    log = result.tex.with_suffix(".log").read_text(encoding="latin-1")
    assert not re.search(r"^!", log, re.M)
    assert "undefined" not in log.lower().replace("undefined control", "")
    assert "There were undefined references" not in log
    assert "Output written on course.pdf" in log
    assert result.pages and result.pages > 50
    assert cpu < CPU_BUDGET_S, f"the course took {cpu:.1f} s of CPU time"


@needs_pdflatex
def test_toc_has_a_chapter_per_topic(course):
    result, _ = course
    toc = result.tex.with_suffix(".toc").read_text(encoding="latin-1")
    chapters = re.findall(r"\\contentsline \{chapter\}\{\\numberline \{(\d+)\}", toc)
    topics = all_topics()
    assert len(chapters) == len(topics) + 1  # and the introduction
    assert [int(c) for c in chapters] == list(range(1, len(topics) + 2))
    labels = _labels(result.tex.with_suffix(".aux").read_text(encoding="latin-1"))
    numbers = [labels[t.label][0] for t in topics]
    assert len(set(numbers)) == len(topics) and all(n.isdigit() for n in numbers)
    kinds = {t.kind for t in topics}
    assert kinds == {"rule", "schedule", "derivation", "chapter"}
    for name in ("sgd", "adam", "rmsprop", "adagrad"):
        assert f"ch:rule:{name}" in labels
    assert "ch:derivation:heavy-ball" in labels and "ch:schedule:cosine" in labels


@needs_pdflatex
def test_cross_references_resolve(course):
    """The Adam chapter refers to the adam-constant-gradient chapter by number."""
    result, _ = course
    tex = result.tex.read_text()
    adam = tex.split(r"\label{ch:rule:adam}", 1)[1].split(r"\chapter{", 1)[0]
    assert r"\ref{ch:derivation:adam-constant-gradient}" in adam
    labels = _labels(result.tex.with_suffix(".aux").read_text(encoding="latin-1"))
    number = labels["ch:derivation:adam-constant-gradient"][0]
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(result.pdf), "-"], check=True,
                              capture_output=True, text=True).stdout
        assert f"Chapter {number} (Adam under a constant gradient" in " ".join(text.split())
        assert "??" not in text


@needs_pdflatex
def test_course_content(course):
    """The pieces each chapter promises: an algorithm, a booktabs table, a worked example, a
    figure; the figures exist."""
    result, _ = course
    tex = result.tex.read_text()
    assert r"\tableofcontents" in tex and r"\documentclass[11pt,a4paper]{report}" in tex
    from optsym import rules
    from optsym.reading import constants_of, update

    adam = rules.get("adam")
    for a in adam.textbook(adam.config()):
        assert update(a.target, a.expr, constants_of(adam)) in tex
    # reading order, written out by hand: the parameter first, eps last
    assert r"\theta \gets \theta - \frac{\eta \hat m}{\sqrt{\hat v} + \epsilon}" in tex
    assert tex.count(r"\begin{algorithm}") >= len(rules.names())
    assert tex.count(r"\toprule") >= len(all_topics())
    assert "Worked example" in tex and r"\includegraphics" in tex
    for f in result.figures:
        assert f.exists() and f.read_bytes()[:5] == b"%PDF-"
    assert len(result.figures) >= len(rules.names()) + 14


@needs_pdflatex
def test_page_renders(course, tmp_path):
    import matplotlib.image as mpimg
    import numpy as np

    result, _ = course
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    for page in (1, 8):
        subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", str(page), "-l", str(page),
                        "-singlefile", str(result.pdf), str(tmp_path / f"p{page}")], check=True)
        img = mpimg.imread(str(tmp_path / f"p{page}.png"))
        assert img.shape[0] > 300 and img.shape[1] > 200
        assert float(np.std(img)) > 0.01


@needs_pdflatex
def test_one_topic_alone_compiles(tmp_path, run_cli):
    result = run_cli("export", "heavy-ball", "--out", str(tmp_path), "--pdf", "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["topics"] == ["derivation:heavy-ball"] and out["pdf"].endswith(".pdf")
    tex = (tmp_path / "derivation-heavy-ball.tex").read_text()
    # the other chapters are not in this document: no \ref to them, their commands instead
    assert r"\ref{ch:rule:" not in tex and "optsym export rule:sgd" in tex
    log = (tmp_path / "derivation-heavy-ball.log").read_text(encoding="latin-1")
    assert "undefined" not in log.lower() and not re.search(r"^!", log, re.M)
    assert (tmp_path / "figures" / "derivation-heavy-ball.pdf").exists()


def test_chapters_in_two_processes_are_the_same(tmp_path):
    """The default export makes the chapters in worker processes: the same text as in this
    process (here for a few topics, without figures to keep it short)."""
    from optsym.export.context import Context
    from optsym.export.course import chapters

    topics = [find("cosine"), find("step"), find("ema"), find("adam")]
    keys = frozenset(t.key for t in topics)
    here = chapters(Context(tmp_path, keys), topics, figures=False, jobs=1)
    there = chapters(Context(tmp_path, keys), topics, figures=False, jobs=2)
    assert list(there) == topics
    assert [here[t] for t in topics] == [there[t] for t in topics]
    assert r"\label{ch:rule:adam}" in there[topics[3]]


def test_one_topic_tex_without_figures(tmp_path, run_cli):
    result = run_cli("export", "schedule:cosine", "--out", str(tmp_path), "--no-figures")
    assert result.exit_code == 0, result.stderr
    assert f"wrote {tmp_path / 'schedule-cosine.tex'} (1 chapter, 0 figures)" in result.stdout
    tex = (tmp_path / "schedule-cosine.tex").read_text()
    assert r"\begin{document}" in tex and tex.rstrip().endswith(r"\end{document}")
    assert r"\label{ch:schedule:cosine}" in tex


# ---- the LaTeX log checks -------------------------------------------------------------------
def _doc(body: str) -> str:
    return "\n".join([r"\documentclass{article}", r"\begin{document}", body,
                      r"\end{document}", ""])


@needs_pdflatex
def test_undefined_reference_fails(tmp_path):
    tex = tmp_path / "bad.tex"
    tex.write_text(_doc(r"See \ref{nowhere}."))
    with pytest.raises(LatexFailed, match="Reference `nowhere' on page 1 undefined"):
        compile_pdf(tex)


@needs_pdflatex
def test_latex_error_fails_with_the_log_line(tmp_path):
    tex = tmp_path / "bad.tex"
    tex.write_text(_doc(r"\undefinedmacro"))
    with pytest.raises(LatexFailed, match="! Undefined control sequence"):
        compile_pdf(tex)


@needs_pdflatex
def test_clean_document_compiles(tmp_path):
    tex = tmp_path / "good.tex"
    tex.write_text(_doc(r"\section{A}\label{a} See Section~\ref{a}."))
    compiled = compile_pdf(tex)
    assert compiled.pdf.exists() and compiled.pages == 1 and compiled.runs >= 2


@needs_pdflatex
def test_a_broken_chapter_fails_the_export_with_exit_1(run_cli, tmp_path, monkeypatch):
    """Mutation: a chapter with a LaTeX error (or an undefined reference) makes --pdf fail with
    the log line, exit status 1."""
    from optsym.export import schedule

    real = schedule.schedule_chapter
    monkeypatch.setattr(schedule, "schedule_chapter",
                        lambda *a, **k: real(*a, **k) + "\n\nSee \\ref{no-such-label}.")
    result = run_cli("export", "cosine", "--out", str(tmp_path), "--pdf", "--no-figures")
    assert result.exit_code == 1
    assert result.stderr.startswith("optsym: error: LaTeX failed (nothing written): LaTeX "
                                    "Warning: Reference `no-such-label' on page")
    assert list(tmp_path.iterdir()) == []  # the failed export left nothing
    monkeypatch.setattr(schedule, "schedule_chapter",
                        lambda *a, **k: real(*a, **k) + "\n\n\\undefinedmacro")
    result = run_cli("export", "cosine", "--out", str(tmp_path), "--pdf", "--no-figures")
    assert result.exit_code == 1
    assert "! Undefined control sequence." in result.stderr


def test_missing_pdflatex_is_exit_2(run_cli, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(LatexMissing, match="texlive-latex-base texlive-latex-recommended"):
        compile_pdf(tmp_path / "x.tex")
    result = run_cli("export", "adam", "--out", str(tmp_path / "o"), "--pdf")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("optsym: error: pdflatex not found: install the Debian "
                                      "packages texlive-latex-base texlive-latex-recommended "
                                      "(apt-get install) to build PDFs")
    assert not (tmp_path / "o").exists()


# ---- topics and the command's errors ---------------------------------------------------------
def test_topics_follow_the_registries(run_cli):
    from optsym import derivations, rules, schedules
    from optsym.export import chapters

    keys = [t.key for t in all_topics()]
    assert keys == ([f"rule:{n}" for n in rules.names()]
                    + [f"schedule:{n}" for n in schedules.names()]
                    + [f"derivation:{n}" for n in derivations.names()]
                    + [f"chapter:{n}" for n in chapters.names()])
    result = run_cli("export", "--list", "--json")
    assert result.exit_code == 0
    assert [t["topic"] for t in json.loads(result.stdout)] == keys
    assert find("adam").key == "rule:adam"
    assert find("derivation:nesterov").key == "derivation:nesterov"
    assert find("Cosine").key == "schedule:cosine"


def test_find_errors():
    with pytest.raises(SpecError, match="unknown topic 'adamm'; did you mean 'adam'"):
        find("adamm")
    with pytest.raises(SpecError, match="unknown topic kind 'rules'"):
        find("rules:adam")
    with pytest.raises(SpecError, match="unknown topic 'schedule:adam'"):
        find("schedule:adam")


BAD = [
    (["export", "--out", "o"], "missing TOPIC"),
    (["export", "adam", "--all", "--out", "o"], "not both"),
    (["export", "adam"], "--out DIR is required"),
    (["export", "adamm", "--out", "o"], "did you mean 'adam'"),
    (["export", "adam", "--out", "afile"], "not a directory"),
    (["export", "adam", "--bogus"], "No such option '--bogus'"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_export_bad_input_is_one_line_exit_2(run_cli, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    result = run_cli(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optsym: error:"), result.stderr
    assert message in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_export_topic_library_errors(tmp_path):
    with pytest.raises(SpecError, match="unknown topic"):
        export_topic("nope", tmp_path)
    assert not list(tmp_path.iterdir())
