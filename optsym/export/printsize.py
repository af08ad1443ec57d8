r"""Figures at print size: the course includes every figure at the width it was drawn (no
scaling), so a font drawn at 8 pt prints at 8 pt.  :func:`font_sizes` reads the text sizes back
from a figure's PDF (the ``Tf`` operators of its content streams) and :func:`printed_sizes` scales
them to the width the document includes it at: what ``tests/test_export_printsize.py`` checks.

A claim's figure (:mod:`optsym.dynamics.claim_figures`, drawn side by side for a screen) is
drawn here with its panels stacked at the page's width, in :data:`PRINT_FONT`."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

from optsym.export.latex import MARGIN_CM, PAGE_WIDTH_CM

#: the text width of the course's page (its A4 width less both margins), in inches
TEXT_WIDTH_IN = (PAGE_WIDTH_CM - 2 * MARGIN_CM) / 2.54
#: the width figures are drawn at, and included at: a little less than the text width
PRINT_WIDTH_IN = 6.3
#: the smallest font size the course's figures may print at
MIN_PT = 8.0
#: matplotlib's font sizes for a figure drawn at print size (none below :data:`MIN_PT`)
PRINT_FONT = {"font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "legend.fontsize": 8,
              "xtick.labelsize": 8, "ytick.labelsize": 8, "figure.titlesize": 9}
#: the height of one stacked panel, inches
PANEL_HEIGHT_IN = 2.9


#: the size of a figure of two side-by-side panels (the race) at print size, inches
PAIR_SIZE = (PRINT_WIDTH_IN, 4.0)
#: the size of a one-panel figure (a schedule) at print size, inches
PANEL_SIZE = (PRINT_WIDTH_IN, 3.2)


def include_width(width_in: float) -> str:
    r"""The ``\includegraphics`` width of a figure drawn ``width_in`` inches wide."""
    return f"{width_in:.4g}in"


def natural_width(pdf: str | Path) -> str:
    r"""The ``\includegraphics`` width that prints the figure ``pdf`` at the size it was
    drawn (its fonts at their sizes); ``\linewidth`` if it is wider than the text."""
    width, _ = font_sizes(pdf)
    return include_width(width) if width <= TEXT_WIDTH_IN + 1e-9 else r"\linewidth"


_TF = re.compile(rb"/[A-Za-z0-9_.+-]+\s+(-?[\d.]+)\s+Tf")
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_BOX = re.compile(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]")


def font_sizes(pdf: str | Path) -> tuple[float, list[float]]:
    """A single-page figure PDF's width in inches and the size (pt) of every text it sets."""
    data = Path(pdf).read_bytes()
    box = _BOX.search(data)
    if box is None:
        raise ValueError(f"{pdf}: no MediaBox")
    width = (float(box.group(3)) - float(box.group(1))) / 72.0
    sizes = []
    for m in _STREAM.finditer(data):
        raw = m.group(1)
        try:
            raw = zlib.decompress(raw)
        except zlib.error:
            pass
        sizes += [float(s) for s in _TF.findall(raw)]
    return width, sizes


def printed_sizes(pdf: str | Path, included_in: float) -> list[float]:
    """The figure's font sizes as printed when it is included ``included_in`` inches wide."""
    width, sizes = font_sizes(pdf)
    return [s * included_in / width for s in sizes]


class _Stacked:
    """A matplotlib figure whose ``subplots(1, n)`` are stacked (n rows, one column) and which
    grows to :data:`PANEL_HEIGHT_IN` per panel; everything else is the figure's."""

    def __init__(self, fig) -> None:
        self._fig = fig

    def subplots(self, nrows: int = 1, ncols: int = 1, **kwargs):
        n = nrows * ncols
        self._fig.set_size_inches(PRINT_WIDTH_IN, PANEL_HEIGHT_IN * n + 0.4)
        axes = self._fig.subplots(n, 1, squeeze=False, **kwargs)[:, 0]
        return axes[0] if n == 1 else tuple(axes)

    def __getattr__(self, name: str):
        return getattr(self._fig, name)


#: the most characters of a title line at print size (a longer one is wrapped)
TITLE_CHARS = 95


def wrap_titles(fig, width: int = TITLE_CHARS) -> None:
    """Wrap the figure's and the axes' titles that are wider than the page at print size."""
    import textwrap

    titles = [ax.title for ax in fig.axes]
    if getattr(fig, "_suptitle", None) is not None:
        titles.append(fig._suptitle)
    for t in titles:
        text = t.get_text()
        if len(text) > width and "\n" not in text:
            t.set_text(textwrap.fill(text, width))


def claim_figure(path: Path, claim) -> Path:
    """``claim``'s figure (its own drawing function) stacked at print size into ``path``."""
    from optsym.dynamics.claim_figures import FIGURES
    from optsym.figures._common import pyplot, save

    _, draw = FIGURES[claim.name]
    plt = pyplot()
    with plt.rc_context(PRINT_FONT):
        fig = plt.figure(figsize=(PRINT_WIDTH_IN, PANEL_HEIGHT_IN + 0.4), dpi=100)
        try:
            draw(_Stacked(fig), claim)
            wrap_titles(fig)
            fig.tight_layout()
        except BaseException:
            plt.close(fig)
            raise
        return save(fig, path)
