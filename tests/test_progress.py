"""optsym.progress: a bar on a terminal only, silenced by --quiet, erased at the end."""

from __future__ import annotations

import io

from click.testing import CliRunner

from optsym import progress
from optsym.cli import cli


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_draws_on_a_terminal_and_erases_at_the_end():
    term = Terminal()
    with progress.Progress("work", 3, stream=term) as bar:
        for _ in range(3):
            bar.advance()
    text = term.getvalue()
    assert "work [" in text and "3/3" in text
    last = text.rsplit("\r", 2)
    assert last[-1] == "" and last[-2].strip() == ""   # the line is blanked at the end


def test_silent_off_a_terminal_and_when_quiet():
    pipe = io.StringIO()
    with progress.Progress("work", 2, stream=pipe) as bar:
        bar.advance(2)
    assert pipe.getvalue() == ""
    term = Terminal()
    with progress.Progress("work", 2, stream=term, quiet=True) as bar:
        bar.advance(2)
    assert term.getvalue() == ""
    progress.set_quiet(True)
    try:
        with progress.Progress("work", 2, stream=term) as bar:
            bar.advance(2)
        assert term.getvalue() == ""
    finally:
        progress.set_quiet(False)


def test_a_nested_bar_stays_silent_and_the_count_is_restored():
    outer_t, inner_t = Terminal(), Terminal()
    with progress.Progress("outer", 1, stream=outer_t) as outer:
        with progress.Progress("inner", 5, stream=inner_t) as inner:
            inner.advance(5)
        outer.advance(note="done")
    assert inner_t.getvalue() == "" and "done" in outer_t.getvalue()
    later = Terminal()
    with progress.Progress("later", 1, stream=later) as bar:
        bar.advance()
    assert "later" in later.getvalue()


def test_render_and_track():
    assert progress.render("x", 5, 10, 1.25, width=10) == "x [#####.....] 5/10 1.2s"
    assert list(progress.track(iter(range(4)), "t")) == [0, 1, 2, 3]


def test_quiet_option_sets_and_resets_the_flag(monkeypatch):
    seen = []
    monkeypatch.setattr(progress, "set_quiet", lambda v: seen.append(bool(v)))
    res = CliRunner().invoke(cli, ["--quiet", "claims", "newton-saddle"])
    assert res.exit_code == 0, res.output
    assert True in seen
    res = CliRunner().invoke(cli, ["claims", "newton-saddle", "--json"])
    assert seen[-1] is False
    assert "[" not in res.output.split("{", 1)[0]      # no bar text on stdout


def test_export_counts_its_chapters(tmp_path, monkeypatch):
    """``export`` advances one tick per chapter made (in this process or a worker's)."""
    import optsym.progress as progress
    from optsym.export import find
    from optsym.export.context import Context
    from optsym.export.course import chapters

    ticks = []

    class Counting(progress.Progress):
        def advance(self, n: int = 1, note: str | None = None) -> None:
            ticks.append(n)
            super().advance(n, note)

    monkeypatch.setattr(progress, "Progress", Counting)
    topics = [find("step"), find("ema")]
    for jobs in (1, 2):
        ticks.clear()
        chapters(Context(tmp_path, frozenset(t.key for t in topics)), topics, figures=False,
                 jobs=jobs)
        assert ticks == [1, 1], jobs
