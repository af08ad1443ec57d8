r"""Steps of a derivation-like computation (:class:`optsym.derivation.Step`: a statement, its
SymPy expression, why it holds) as a LaTeX list, in reading order, as the derivation chapters
print them; and a proof's obligations (:class:`optsym.proof.Obligation`) as a table."""

from __future__ import annotations

import re
from collections.abc import Sequence

from optsym.export import latex as tex
from optsym.reading import reading


#: Python's ``0.0e+00`` (a difference that is exactly 0) in a justification
_ZERO = re.compile(r"\b0\.0e\+00\b")


def steps_latex(steps: Sequence, verified: Sequence[bool | None] | None = None) -> str:
    """``steps`` as a numbered list (``verified[k]``: SymPy confirmed step k, shown as a mark;
    None: a definition)."""
    marks = {True: r" \hfill{\small(checked by SymPy)}", False: r" \hfill\textbf{(not shown)}",
             None: ""}
    out = [r"\begin{enumerate}"]
    for k, s in enumerate(steps):
        why = _ZERO.sub("0", s.justification)
        item = rf"\item {tex.prose(s.statement)}"
        if verified is not None:
            item += marks[verified[k]]
        if s.expr is not None:
            item += "\n" + tex.fit_displays(rf"\[ {reading(s.expr)} \]")
        if why:
            item += "\n" + rf"\textit{{{tex.prose(why)}}}"
        out.append(item)
    out.append(r"\end{enumerate}")
    return "\n".join(out)


def breakable(s: str) -> str:
    r"""LaTeX text whose ``\texttt{...}`` code may break after ``.``, ``(``, ``,``, ``=`` and
    ``_`` (a long call such as ``keras.optimizers.SGD(nesterov=True)`` in a narrow column)."""
    import re

    def allow(m: re.Match) -> str:
        body = m.group(1)
        for mark in (r"\_", ".", "(", ",", "="):
            body = body.replace(mark, mark + r"\allowbreak{}")
        return r"\texttt{" + body + "}"
    return re.sub(r"\\texttt\{((?:[^{}]|\{\})*)\}", allow, s)


def diff_text(value: float) -> str:
    """A numeric check's largest difference as LaTeX (``0``, ``2.7 \\cdot 10^{-51}``)."""
    from optsym.examples.texnum import tex_decimal

    return "$0$" if value == 0 else f"${tex_decimal(value, 2)}$"


def obligations_table(obligations: Sequence, caption: str, label: str = "") -> str:
    """One row per obligation: the induction case, what is proved, how SymPy showed the
    difference is 0 (or the difference), and the 50-digit check's largest difference."""
    from optsym.spec import latex

    cases = any(o.case for o in obligations)
    rows = []
    for o in obligations:
        how = tex.prose(o.method) if o.holds else \
            r"differs by \(" + latex(o.difference) + r"\)"
        rows.append(([tex.prose(o.case)] if cases else [])
                    + [tex.prose(o.output), how, diff_text(o.numeric_max_diff)])
    wide = r">{\raggedright\arraybackslash}p{%s\linewidth}"
    columns = ("@{}" + (wide % "0.11" if cases else "") + wide % ("0.27" if cases else "0.3")
               + wide % ("0.4" if cases else "0.5") + "r@{}")
    return tex.table(columns, (["case"] if cases else [])
                     + ["proved", "how (or the difference)", "50-digit check"], rows,
                     caption, label)
