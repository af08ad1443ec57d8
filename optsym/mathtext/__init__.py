r"""Prose with formulas typed in ASCII (a derivation's step, a check's detail) as LaTeX.

Derivations write their sentences once, for the terminal: ``f(x) = 1/2 x^T A x - b^T x``,
``sqrt(a_lambda**2 - 4*beta)``, ``[mu, L]``, ``p = 1e-6``.  Printed as escaped text in LaTeX
they read like code (``x\textasciicircum{}T``).  :func:`segments` splits such a sentence into
text, mathematics and code, without evaluating anything (a tokenizer and a few rules, never
SymPy's parser), and two printers write the pieces:

* :func:`to_latex` for documents: words as escaped text, formulas as ``$...$`` (``\sqrt{}``,
  Greek letters, sub- and superscripts, :math:`\le`, :math:`10^{-6}`), dotted names and
  ``snake_case`` identifiers as ``\texttt``;
* :func:`to_mathjax` for Jupyter's ``_repr_latex_``, which MathJax reads in math mode: words in
  ``\text{...}`` holding no macro at all (MathJax prints a text-mode escape such as ``\_``
  literally, and with its ``textmacros`` extension ``\textasciicircum`` is an error), formulas
  as they are, code as ``\mathtt``.

``$...$`` already in the sentence is kept as it is.  What is a formula: a Greek letter's name
(``beta``, ``eps``), a one-letter name (except the article "a"/"A" before a word), a name with
a subscript, superscript or star (``x_t``, ``x^T``, ``x*``), a function applied
(``sqrt(...)``, ``log(...)``), and the operators, numbers and brackets between them.
"""

from __future__ import annotations

from optsym.mathtext.formula import formula, scientific
from optsym.mathtext.split import ANGLE, LABEL, Segment, runs, tokenize


def segments(s: str) -> list[Segment]:
    """``s`` as text, math (LaTeX) and code pieces."""
    out: list[Segment] = []
    label = LABEL.match(s)
    if label:
        out.append(Segment("text", label.group()))
        s = s[label.end():]
    s = ANGLE.sub(lambda m: f"⟨{m.group(1)}⟩", s)
    for kind, toks in runs(tokenize(s)):
        if kind == "dollar":
            out.append(Segment("math", toks[0].text[1:-1]))
        elif kind == "code":
            out.append(Segment("code", toks[0].text))
        elif kind == "math":
            out.append(Segment("math", formula(toks)))
        else:
            out.append(Segment("text", "".join(t.text for t in toks)))
    return out


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
                "|": r"\textbar{}"}
#: what a character that a MathJax ``\text{}`` cannot hold is written as, in math mode
_MATH_SPECIAL = {"\\": r"\backslash ", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                 "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\sim ", "^": r"\hat{}",
                 "<": "<", ">": ">", "|": "|"}


def escape(s: str) -> str:
    """Text for LaTeX's text mode."""
    return "".join(_TEX_SPECIAL.get(c, c) for c in s)


def to_latex(s: str) -> str:
    """Prose for a LaTeX document: formulas in ``$...$``, code in ``\\texttt``."""
    out = []
    for seg in segments(s):
        if seg.kind == "math":
            out.append(f"${seg.text}$")
        elif seg.kind == "code":
            out.append(r"\texttt{" + escape(seg.text) + "}")
        else:
            out.append(escape(seg.text))
    return "".join(out)


def _mathjax_text(s: str) -> str:
    """Words in ``\\text{}`` without a macro inside; the characters it cannot hold between."""
    out, word = [], []
    for c in s:
        if c in _MATH_SPECIAL:
            if word:
                out.append(r"\text{" + "".join(word) + "}")
                word = []
            out.append(_MATH_SPECIAL[c])
        else:
            word.append(c)
    if word:
        out.append(r"\text{" + "".join(word) + "}")
    return "".join(out)


def to_mathjax(s: str) -> str:
    """Prose for math mode (Jupyter's MathJax, or LaTeX inside ``$$...$$``): words in
    macro-free ``\\text{}``, formulas as they are, code as ``\\mathtt``."""
    out = []
    for seg in segments(s):
        if seg.kind == "math":
            out.append("{" + seg.text + "}")
        elif seg.kind == "code":
            out.append(r"\mathtt{" + "".join(_MATH_SPECIAL.get(c, c) for c in seg.text) + "}")
        else:
            out.append(_mathjax_text(seg.text))
    return "".join(out)


__all__ = ["Segment", "escape", "formula", "scientific", "segments", "to_latex", "to_mathjax"]
