"""Never lose a user's file: no overwrite without --force, no write through a symbolic link, and
a failed command leaves its folder as it was (each test compares the folder before and after)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from optsym.output import STAGING, Output, OutputRefused


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: a file's hash, a link's target, a folder's mark."""
    seen = {}
    for p in sorted(folder.rglob("*")):
        key = str(p.relative_to(folder))
        if p.is_symlink():
            seen[key] = "link -> " + os.readlink(p)
        elif p.is_dir():
            seen[key] = "dir"
        else:
            seen[key] = hashlib.sha256(p.read_bytes()).hexdigest()
    return seen


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A folder holding a user's file, a link to a file outside, and a sub-folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.txt").write_text("the user's work\n")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("outside\n")
    (tmp_path / "link.py").symlink_to(outside)
    (tmp_path / "sub").mkdir()
    yield tmp_path
    outside.unlink()


# -- the writer itself ---------------------------------------------------------------------------

def test_a_file_is_written_only_at_commit(here):
    before = snapshot(here)
    out = Output()
    staged = out.file("new.txt")
    staged.write_text("x")
    assert "new.txt" not in snapshot(here)
    assert out.commit() == [Path("new.txt")]
    assert (here / "new.txt").read_text() == "x"
    assert snapshot(here) == {**before, "new.txt": snapshot(here)["new.txt"]}


@pytest.mark.parametrize("target, message", [
    ("", "needs a name"), ("  ", "needs a name"), ("mine.txt", "exists already; pass --force"),
    ("link.py", "symbolic link"), ("sub", "is a directory"), ("nowhere/x.txt", "cannot write there, the folder nowhere does not exist")])
def test_a_file_target_is_refused_before_any_work(here, target, message):
    before = snapshot(here)
    with pytest.raises(OutputRefused, match=message):
        Output().file(target)
    assert snapshot(here) == before


def test_force_replaces_a_file_but_never_a_link(here):
    out = Output(force=True)
    out.file("mine.txt").write_text("new\n")
    out.commit()
    assert (here / "mine.txt").read_text() == "new\n"
    with pytest.raises(OutputRefused, match="symbolic link"):
        Output(force=True).file("link.py")


def test_a_failure_inside_the_block_leaves_the_folder_as_it_was(here):
    before = snapshot(here)
    with pytest.raises(RuntimeError):
        with Output(force=True) as out:
            out.file("mine.txt").write_text("half")
            folder = out.folder("made")
            (folder / "a.tex").write_text("a")
            raise RuntimeError("the command failed after writing")
    assert snapshot(here) == before


def test_a_folder_is_created_at_commit_and_its_staging_removed(here):
    with Output() as out:
        folder = out.folder("deep/made", ("a.tex",))
        (folder / "figures").mkdir()
        (folder / "figures" / "f.pdf").write_bytes(b"%PDF")
        (folder / "a.tex").write_text("a")
        assert not (here / "deep").exists()
    assert (here / "deep/made/a.tex").read_text() == "a"
    assert (here / "deep/made/figures/f.pdf").read_bytes() == b"%PDF"
    assert not [p for p in here.rglob("*") if p.name.startswith(STAGING)]


def test_a_name_found_only_at_commit_is_checked_too(here):
    """A folder's files not named up front (a figure) are checked before anything moves."""
    (here / "sub" / "figures").mkdir()
    (here / "sub" / "figures" / "f.pdf").write_text("the user's figure")
    before = snapshot(here)
    with pytest.raises(OutputRefused, match="f.pdf: exists already"):
        with Output() as out:
            folder = out.folder("sub", ("a.tex",))
            (folder / "a.tex").write_text("a")
            (folder / "figures").mkdir()
            (folder / "figures" / "f.pdf").write_text("new")
    assert snapshot(here) == before


def test_a_linked_folder_inside_the_output_is_refused(here):
    (here / "sub" / "figures").symlink_to(here.parent)
    before = snapshot(here)
    with pytest.raises(OutputRefused, match="symbolic link"):
        Output().folder("sub", ("figures/f.pdf",))
    assert snapshot(here) == before


# -- every command that writes -----------------------------------------------------------------

#: (command, what it writes where) -- each writes ``TARGET`` (a file or a folder) quickly
WRITERS = {
    "codegen": (["codegen", "sgd", "--out", "TARGET"], "file"),
    "schedule": (["schedule", "step", "--step-size", "3", "--plot", "TARGET.png"], "file"),
    "plot": (["plot", "stability", "--mu", "1", "--L", "10", "-o", "TARGET.png"], "file"),
    "plot-curves": (["plot", "curves", "--steps", "5", "-o", "TARGET.svg"], "file"),
    "exercises": (["exercises", "gd-quadratic", "--n", "1", "--out", "TARGET"], "folder"),
    "export": (["export", "step", "--no-figures", "--out", "TARGET"], "folder"),
}


def _args(cmd: list[str], target: str) -> list[str]:
    return [a.replace("TARGET", target) for a in cmd]


@pytest.mark.parametrize("name", WRITERS)
def test_no_command_replaces_a_file_without_force(run_cli, here, name):
    cmd, _ = WRITERS[name]
    first = run_cli(*_args(cmd, "out"))
    assert first.exit_code == 0, first.output
    victim = sorted(p for p in here.rglob("*") if p.is_file() and not p.is_symlink()
                    and p.name != "mine.txt")[0]
    victim.write_bytes(b"the user edited this")
    before = snapshot(here)
    again = run_cli(*_args(cmd, "out"))
    assert again.exit_code == 2, again.output
    assert "exists already; pass --force" in again.output
    assert len(again.output.strip().splitlines()) == 1
    assert snapshot(here) == before
    forced = run_cli(*_args(cmd, "out"), "--force")
    assert forced.exit_code == 0, forced.output
    assert victim.read_bytes() != b"the user edited this"


@pytest.mark.parametrize("name", ["codegen", "schedule", "plot"])
def test_no_command_writes_through_a_link(run_cli, here, name):
    cmd, _ = WRITERS[name]
    target = "link.py" if name == "codegen" else "shot"
    if name != "codegen":
        (here / "shot.png").symlink_to(here / "mine.txt")
    before = snapshot(here)
    for extra in ([], ["--force"]):
        result = run_cli(*_args(cmd, target.removesuffix(".png")), *extra)
        assert result.exit_code == 2, result.output
        assert "symbolic link" in result.output
    assert snapshot(here) == before
    assert (here / "mine.txt").read_text() == "the user's work\n"


@pytest.mark.parametrize("name", ["exercises", "export"])
def test_an_empty_folder_name_is_a_usage_error(run_cli, here, name):
    cmd, _ = WRITERS[name]
    before = snapshot(here)
    result = run_cli(*[a if a != "TARGET" else "" for a in cmd])
    assert result.exit_code == 2, result.output
    assert snapshot(here) == before


def test_a_failed_schedule_leaves_no_figure(run_cli, here):
    """The figure used to be drawn first and stayed although the command failed."""
    before = snapshot(here)
    result = run_cli("schedule", "exponential", "--gamma", "1.5", "--at", "10000000",
                     "--plot", "fig.png")
    assert result.exit_code == 2, result.output
    assert snapshot(here) == before


def test_exercises_that_cannot_write_one_sheet_write_neither(run_cli, here):
    (here / "sheets" / "solutions.tex").mkdir(parents=True)
    before = snapshot(here)
    result = run_cli("exercises", "gd-quadratic", "--n", "1", "--out", "sheets")
    assert result.exit_code == 2, result.output
    assert "solutions.tex: is a directory" in result.output
    assert snapshot(here) == before


def test_an_export_that_cannot_write_its_tex_leaves_no_figure(run_cli, here):
    (here / "notes" / "schedule-step.tex").mkdir(parents=True)
    before = snapshot(here)
    result = run_cli("export", "step", "--out", "notes")
    assert result.exit_code == 2, result.output
    assert snapshot(here) == before


def test_an_export_failing_midway_leaves_the_folder_as_it_was(here, monkeypatch):
    """A failure after the figures are drawn (here: in the document's last step)."""
    from optsym.export import course, export_topic

    def broken(topic, ctx, figures=True):
        course.chapter(topic, ctx, figures)
        raise RuntimeError("failed after drawing the figures")

    monkeypatch.setattr(course, "topic_tex", broken)
    (here / "notes").mkdir()
    before = snapshot(here)
    with pytest.raises(RuntimeError):
        export_topic("step", "notes")
    assert snapshot(here) == before
