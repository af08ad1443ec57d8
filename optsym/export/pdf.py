"""Compile a .tex file to PDF with a real LaTeX engine and read its log.

``latexmk -pdf`` where it is installed, otherwise ``pdflatex``: in draft mode (no PDF, no
images read) until the cross-references settle, then once more to write the PDF (at most
:data:`MAX_RUNS` runs); always with ``-interaction=nonstopmode -halt-on-error``.
Afterwards the log is read: an error (a line starting with ``!``), an undefined reference or
citation, or a missing file fails the build with that log line.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from optsym.spec import SpecError

MAX_RUNS = 4
TIMEOUT_S = 120
#: the Debian packages that provide pdflatex and the packages the notes use
DEBIAN_PACKAGES = "texlive-latex-base texlive-latex-recommended"

_RERUN = re.compile(r"Rerun to get|Label\(s\) may have changed|There were undefined references"
                    r"|Rerun LaTeX")
_PROBLEMS = (
    re.compile(r"^!.*$", re.M),
    re.compile(r"^LaTeX Warning: Reference .* undefined.*$", re.M),
    re.compile(r"^LaTeX Warning: Citation .* undefined.*$", re.M),
    re.compile(r"^LaTeX Warning: There were undefined references.*$", re.M),
    re.compile(r"^LaTeX Warning: .*multiply defined.*$", re.M),
    re.compile(r"^Package \w+ Warning: .*undefined.*$", re.M),
    re.compile(r"^LaTeX Error: .*$", re.M),
    re.compile(r"^.*File `.*' not found.*$", re.M),
)


class LatexMissing(SpecError):
    """No LaTeX engine: a usage problem (exit 2), naming the packages to install."""


class LatexFailed(Exception):
    """The document did not compile cleanly: the first problem's log line (exit 1)."""

    def __init__(self, line: str, log: Path) -> None:
        super().__init__(f"{line} (see {log})")
        self.line = line
        self.log = log


@dataclass(frozen=True)
class Compiled:
    pdf: Path
    log: Path
    engine: str
    runs: int
    #: the page count pdflatex reports ("Output written on x.pdf (125 pages, ...)")
    pages: int | None = None


_OUTPUT = re.compile(r"Output written on .*?\((\d+) pages?")


def engine() -> str:
    """``latexmk`` or ``pdflatex``; :class:`LatexMissing` when neither is installed."""
    if shutil.which("pdflatex") is None:
        raise LatexMissing(f"pdflatex not found: install the Debian packages {DEBIAN_PACKAGES} "
                           "(apt-get install) to build PDFs")
    return "latexmk" if shutil.which("latexmk") else "pdflatex"


def problems(log_text: str) -> list[str]:
    """The log lines that make the build fail, in the order of :data:`_PROBLEMS`."""
    out = []
    for pattern in _PROBLEMS:
        out += [m.group(0).strip() for m in pattern.finditer(log_text)]
    return out


def _run(cmd: list[str], cwd: Path) -> None:
    try:
        subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise LatexFailed(f"{cmd[0]} ran longer than {TIMEOUT_S} s", cwd) from None


def compile_pdf(tex: str | Path) -> Compiled:
    """``tex`` compiled to a PDF next to it; :class:`LatexFailed` on an error or an undefined
    reference, :class:`LatexMissing` without pdflatex."""
    tex = Path(tex).resolve()
    which = engine()
    log = tex.with_suffix(".log")
    flags = ["-interaction=nonstopmode", "-halt-on-error"]
    runs = 0
    if which == "latexmk":
        _run(["latexmk", "-pdf", "-silent", *flags, tex.name], tex.parent)
        runs = 1
    else:
        # draft runs (no PDF written, no image read: fast) until the references settle, then
        # one run that writes the PDF
        for runs in range(1, MAX_RUNS):
            _run(["pdflatex", "-draftmode", *flags, tex.name], tex.parent)
            text = _read(log)
            if problems_fatal(text) or (runs > 1 and not _RERUN.search(text)):
                break
        if not problems_fatal(_read(log)):
            _run(["pdflatex", *flags, tex.name], tex.parent)
            runs += 1
    text = _read(log)
    found = problems(text)
    if found:
        raise LatexFailed(found[0], log)
    pdf = tex.with_suffix(".pdf")
    if not pdf.exists():
        raise LatexFailed(f"{which} wrote no PDF", log)
    pages = _OUTPUT.search(text.replace("\n", ""))
    return Compiled(pdf, log, which, runs, int(pages.group(1)) if pages else None)


def problems_fatal(log_text: str) -> bool:
    """An error (a ``!`` line): no point in running again."""
    return bool(_PROBLEMS[0].search(log_text))


def _read(log: Path) -> str:
    try:
        return log.read_text(encoding="latin-1")
    except FileNotFoundError:
        return ""
