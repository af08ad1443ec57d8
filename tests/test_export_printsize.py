"""Figure text >= 8 pt at print size (issue 14): every kind of figure the course includes is
drawn as the export draws it, and the sizes of its text, read back from the PDF's ``Tf``
operators, are scaled by the width the LaTeX includes it at (read from the chapter's
``\\includegraphics``).  Mathtext's superscripts (70 % of their base, 10^{-5} on a log axis)
are allowed when their base is >= 8 pt.  The reader itself is checked on a figure of known
font sizes, and a mutation (a 6 pt label) must fail."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from optsym.export import find
from optsym.export.context import Context
from optsym.export.printsize import MIN_PT, TEXT_WIDTH_IN, font_sizes, printed_sizes

_INCLUDE = re.compile(r"\\includegraphics\[width=([\d.]+)in\]\{([^}]*)\}")


def too_small(sizes: list[float], minimum: float = MIN_PT) -> list[float]:
    """The sizes below ``minimum`` that are not a superscript (0.7 x a size >= minimum)."""
    bases = [s for s in sizes if s >= minimum - 1e-6]
    return sorted({round(s, 2) for s in sizes if s < minimum - 1e-6
                   and not any(abs(s / 0.7 - b) < 0.05 for b in bases)})


def _figures(tex: str, out: Path) -> list[tuple[Path, float]]:
    found = [(out / rel, float(w)) for w, rel in _INCLUDE.findall(tex)]
    assert found, "no figure included at a width in inches"
    return found


def _check(tex: str, out: Path) -> None:
    for path, width in _figures(tex, out):
        assert width <= TEXT_WIDTH_IN + 1e-6, (path.name, width)
        printed = printed_sizes(path, width)
        assert printed, path.name
        assert too_small(printed) == [], (path.name, too_small(printed))


def test_reader_finds_the_sizes_of_a_known_figure(tmp_path):
    from optsym.figures._common import pyplot, save

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_title("title", fontsize=11)
    ax.set_xlabel("x", fontsize=6)
    ax.tick_params(labelsize=9)
    path = save(fig, tmp_path / "known.pdf")
    width, sizes = font_sizes(path)
    assert width == pytest.approx(4.0)
    assert {11.0, 6.0, 9.0} <= set(sizes)
    # included at 2 in (half its width), every size halves
    assert min(printed_sizes(path, 2.0)) == pytest.approx(3.0)
    assert too_small(printed_sizes(path, 4.0)) == [6.0]  # the mutation: a 6 pt label fails


def test_intro_figures_print_at_8pt_or_more(tmp_path):
    from optsym.export.course import _race, _schedules

    ctx = Context(tmp_path)
    _check(_race(ctx) + _schedules(ctx), tmp_path)


@pytest.mark.parametrize("name", ["rule:sgd", "schedule:onecycle", "derivation:heavy-ball",
                                  "derivation:gd-quadratic"])
def test_chapter_figures_print_at_8pt_or_more(tmp_path, name):
    from optsym.export.course import chapter

    ctx = Context(tmp_path, frozenset({name}))
    _check(chapter(find(name), ctx), tmp_path)


def test_claim_figures_print_at_8pt_or_more(tmp_path):
    """A claim's figure stacked at the page's width (each drawing function of the claims
    that have one; newton-saddle is fast)."""
    from optsym.dynamics.claims import run
    from optsym.export.printsize import PRINT_WIDTH_IN, claim_figure

    (claim,) = run("newton-saddle")
    path = claim_figure(tmp_path / "claim.pdf", claim)
    width, sizes = font_sizes(path)
    assert width == pytest.approx(PRINT_WIDTH_IN)
    assert too_small(sizes) == []
