r"""LaTeX building blocks for the course notes: the preamble, escaped text, the algorithm block,
tables and figures.

Only packages from Debian's ``texlive-latex-base`` and ``texlive-latex-recommended`` are used
(amsmath, mathtools, booktabs, float, graphicx, xcolor, lmodern, microtype, hyperref).  That set
has no ``algorithm``/``algorithmicx``/``algorithm2e``, so an algorithm is a ``float``-package
float in the ``ruled`` style (what ``algorithm.sty`` itself is built on) around a tabular with
numbered lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from optsym.derivation import _tex_text
from optsym.mathtext import scientific, to_latex

#: the LaTeX packages the notes need, all in texlive-latex-base + texlive-latex-recommended
PACKAGES = ("amsmath", "amssymb", "mathtools", "booktabs", "float", "graphicx", "xcolor",
            "lmodern", "microtype", "array")

#: the page: A4 (21.0 cm wide) with this margin on each side
PAGE_WIDTH_CM, MARGIN_CM = 21.0, 2.3


def preamble(title: str, author: str = "") -> str:
    """A ``report`` document's preamble up to ``\\begin{document}`` (hyperref last)."""
    return "\n".join([
        r"\documentclass[11pt,a4paper]{report}",
        r"\usepackage[T1]{fontenc}",
        *(rf"\usepackage{{{p}}}" for p in PACKAGES),
        rf"\usepackage[margin={MARGIN_CM}cm]{{geometry}}",
        r"\floatstyle{ruled}",
        r"\newfloat{algorithm}{tbp}{loa}[chapter]",
        r"\floatname{algorithm}{Algorithm}",
        r"\floatstyle{plain}",
        r"\restylefloat{figure}",
        r"\setlength{\parindent}{0pt}",
        r"\setlength{\parskip}{0.5\baselineskip}",
        r"\newcommand{\optsym}{\textsf{optsym}}",
        # a displayed formula, shrunk to the line's width when it is wider
        r"\newcommand{\fitmath}[1]{\begin{center}\resizebox{\ifdim\width>\linewidth"
        r"\linewidth\else\width\fi}{!}{$\displaystyle #1$}\end{center}}",
        r"\usepackage[colorlinks=true,linkcolor=blue!50!black,urlcolor=blue!50!black,"
        r"pdfusetitle]{hyperref}",
        rf"\title{{{text(title)}}}",
        rf"\author{{{text(author)}}}",
        r"\date{}",
        r"\begin{document}",
    ])


def text(s: str) -> str:
    """Plain text for LaTeX: special characters escaped, ``$...$`` math kept."""
    return _tex_text(s)


def prose(s: str) -> str:
    """A sentence with formulas typed in ASCII (``1e-7``, ``sqrt(v) + eps``) as LaTeX text
    with ``$...$`` formulas (:func:`optsym.mathtext.to_latex`)."""
    return to_latex(s)


_ROLE = re.compile(r":math:`([^`]*)`")
_LITERAL = re.compile(r"``([^`]*)``")


def rst(s: str) -> str:
    r"""A paragraph of reStructuredText (a docstring's) as LaTeX: ``:math:`x``` becomes
    ``$x$``, double-backquoted literals become ``\texttt``, the rest is escaped text."""
    out = []
    pos = 0
    pattern = re.compile(f"{_ROLE.pattern}|{_LITERAL.pattern}")
    for m in pattern.finditer(s):
        out.append(text(s[pos:m.start()].replace("$", "")))
        if m.group(1) is not None:
            out.append(f"${m.group(1)}$")
        else:
            out.append(r"\texttt{" + text(m.group(2).replace("$", "")) + "}")
        pos = m.end()
    out.append(text(s[pos:].replace("$", "")))
    return "".join(out)


def first_paragraph(doc: str) -> str:
    """A docstring's first paragraph, joined into one line."""
    para = doc.strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in para.splitlines())


_DISPLAY = re.compile(r"\\\[ (.*?) \\\]", re.S)
_ALIGN = re.compile(r"\\begin\{align\*\}\n(.*?)\n\\end\{align\*\}", re.S)


def fit_displays(body: str) -> str:
    r"""``\[ x \]`` displays and the rows of ``align*`` blocks as ``\fitmath`` (each shrunk
    to the text width when wider: derivations have long closed forms)."""
    body = _DISPLAY.sub(lambda m: "\\fitmath{" + m.group(1) + "}", body)

    def rows(m: re.Match) -> str:
        return "\n".join("\\fitmath{" + row.replace(r"&\quad", r"\quad", 1) + "}"
                         for row in m.group(1).split(" \\\\\n"))
    return _ALIGN.sub(rows, body)


def texttt(s: str) -> str:
    """Code as typed: ``--rule`` keeps its two hyphens (no en dash ligature)."""
    return r"\texttt{" + text(s).replace("--", "-{}-") + "}"


def algorithm(caption: str, label: str, head: Sequence[str], lines: Sequence[tuple[str, str]],
              loop: str = r"\textbf{for} $t = 1, 2, \dots$ \textbf{do}") -> str:
    """A numbered algorithm: ``head`` lines (input, state), then ``lines`` of (LaTeX math,
    comment) inside ``loop``."""
    rows = [rf" & \multicolumn{{2}}{{@{{}}p{{0.93\linewidth}}@{{}}}}{{{h}}} \\" for h in head]
    rows.append(rf" & {loop} & \\")
    for i, (math, comment) in enumerate(lines, 1):
        note = rf"{{\small\textcolor{{black!60}}{{{prose(comment)}}}}}" if comment else ""
        # a displayed fraction gets room above and below (no collision with the next line)
        strut = r"\rule[-2.4ex]{0pt}{6ex}" if r"\frac" in math else ""
        rows.append(rf"{{\scriptsize {i}}} & \quad $\displaystyle {math}${strut} & {note} \\")
    rows.append(r" & \textbf{end for} & \\")
    body = "\n".join(rows)
    return "\n".join([
        r"\begin{algorithm}[H]",
        rf"\caption{{{caption}}}\label{{{label}}}",
        r"\begin{tabular}{@{}r@{\hspace{0.8em}}>{\raggedright\arraybackslash}p{0.6\linewidth}"
        r"@{\hspace{0.6em}}>{\raggedright\arraybackslash}p{0.3\linewidth}@{}}",
        body,
        r"\end{tabular}",
        r"\end{algorithm}",
    ])


def table(columns: str, header: Sequence[str], rows: Sequence[Sequence[str]],
          caption: str = "", label: str = "") -> str:
    """A booktabs table (cells are LaTeX already)."""
    out = [r"\begin{table}[H]", r"\centering", r"\small"]
    if caption:
        out.append(rf"\caption{{{caption}}}" + (rf"\label{{{label}}}" if label else ""))
    out += [rf"\begin{{tabular}}{{{columns}}}", r"\toprule", " & ".join(header) + r" \\",
            r"\midrule"]
    out += [" & ".join(r) + r" \\" for r in rows]
    out += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(out)


def figure(path: str, caption: str, label: str, width: str = r"0.9\linewidth") -> str:
    """A figure float with the graphic at ``path`` (relative to the .tex file)."""
    return "\n".join([r"\begin{figure}[H]", r"\centering",
                      rf"\includegraphics[width={width}]{{{path}}}",
                      rf"\caption{{{caption}}}\label{{{label}}}", r"\end{figure}"])


def number(v) -> str:
    """A hyperparameter value as LaTeX: booleans as words, floats short."""
    if isinstance(v, bool):
        return r"\texttt{True}" if v else r"\texttt{False}"
    if isinstance(v, float):
        return f"${scientific(f'{v:g}')}$"
    if isinstance(v, tuple):
        return "$" + ", ".join(map(str, v)) + "$"
    return f"${v}$" if isinstance(v, int) else texttt(str(v))
