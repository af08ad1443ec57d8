r"""The course's appendix: every exercise topic's sheet (:mod:`optsym.exercises`), the problems
in one chapter and the solutions, with their working, in the next (the problems are not
followed by their answers, as on a printed sheet).  Each solution was checked against
optsym's generated code before it was written (the sheet's own checks)."""

from __future__ import annotations

#: problems per topic and the seed of the course's sheets
PROBLEMS = 3
SEED = 0


def _body(document: str) -> str:
    """The part of a sheet's complete document between ``\\maketitle`` and ``\\end{document}``."""
    return document.split("\\maketitle", 1)[1].rsplit("\\end{document}", 1)[0].strip()


def appendix() -> str:
    """``\\appendix``, a chapter of exercises and a chapter of their solutions."""
    from optsym import exercises

    sheets = [exercises.sheet(name, PROBLEMS, SEED) for name in exercises.names()]
    problems = [r"\chapter{Exercises}\label{ch:exercises}",
                rf"Each section is a sheet of {PROBLEMS} problems drawn by "
                rf"\texttt{{optsym exercises TOPIC --seed {SEED}}}; the answers are in "
                r"Appendix~\ref{ch:solutions}."]
    solutions = [r"\chapter{Solutions to the exercises}\label{ch:solutions}",
                 "Each solution is exact and was checked numerically by optsym's generated "
                 "code before this document was written."]
    for sheet in sheets:
        label = f"sec:exercises:{sheet.topic.name}"
        title = sheet.topic.title
        problems += [rf"\section{{{_text(title)}}}\label{{{label}}}",
                     _body(sheet.problems_tex())]
        solutions += [rf"\section{{{_text(title)}}}",
                      rf"The problems of Section~\ref{{{label}}}, solved.",
                      _body(sheet.solutions_tex())]
    return "\n\n".join([r"\appendix", *problems, *solutions])


def _text(s: str) -> str:
    from optsym.export.latex import text

    return text(s)
