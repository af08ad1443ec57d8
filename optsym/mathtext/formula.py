"""A run of formula tokens as LaTeX: Greek letters, scripts, square roots, stars, powers of
ten, short fractions."""

from __future__ import annotations

import re

from optsym.mathtext.names import FUNCTIONS, GREEK, NAMES, OPERATORS, SCRIPTED
from optsym.mathtext.split import Token

def _atom_end(toks: list[Token], i: int) -> int:
    """The end (exclusive) of the atom starting at ``i``: a bracketed group, a name with its
    subscripts, a number, a signed atom."""
    if i >= len(toks):
        return i
    t = toks[i]
    if t.kind == "open":
        depth = 0
        for j in range(i, len(toks)):
            if toks[j].kind == "open":
                depth += 1
            elif toks[j].kind == "close":
                depth -= 1
                if depth == 0:
                    return j + 1
        return len(toks)
    if t.kind == "op" and t.text in ("-", "+"):
        return _atom_end(toks, i + 1)
    if t.kind == "word" and t.text in FUNCTIONS and i + 1 < len(toks) and \
            toks[i + 1].text == "(":
        return _atom_end(toks, i + 1)
    return i + 1


def _strip_parens(toks: list[Token]) -> list[Token]:
    if len(toks) >= 2 and toks[0].kind == "open" and toks[-1].kind == "close" and \
            _atom_end(toks, 0) == len(toks) and toks[0].text in "({":
        return toks[1:-1]
    return toks


def scientific(text: str) -> str:
    """A number as Python prints it, as LaTeX: ``1.5e-08`` is ``1.5 \\cdot 10^{-8}``,
    ``1e-06`` is ``10^{-6}``; other numbers as they are."""
    if "e" in text:
        mantissa, exp = text.split("e")
        power = rf"10^{{{int(exp)}}}"
        return power if mantissa in ("1", "1.0") else rf"{mantissa} \cdot {power}"
    return text


def _word(w: str) -> str:
    if w in GREEK:
        return GREEK[w]
    if w in NAMES:
        return NAMES[w]
    if w in SCRIPTED:
        return SCRIPTED[w]
    if w in FUNCTIONS:
        return FUNCTIONS[w]
    m = re.fullmatch(r"([A-Za-z]+?)(\d+)", w)
    if m and (m.group(1) in GREEK or len(m.group(1)) == 1):
        return rf"{_word(m.group(1))}_{{{m.group(2)}}}"
    return w if len(w) <= 2 else rf"\mathrm{{{w}}}"


def formula(toks: list[Token], top: bool = True) -> str:
    """The LaTeX of a run of formula tokens (``top``: the whole formula, whose short numeric
    fractions become ``\\tfrac``; a script keeps ``1/2``)."""
    out: list[str] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == "space":
            out.append(" ")
        elif t.kind == "word" and t.text == "sqrt" and i + 1 < len(toks) and \
                toks[i + 1].text == "(":
            end = _atom_end(toks, i + 1)
            out.append(r"\sqrt{" + formula(toks[i + 2:end - 1], False) + "}")
            i = end
            continue
        elif t.kind == "word" and t.text == "x" and 0 < i < len(toks) - 2 and \
                toks[i - 1].kind == toks[i + 1].kind == "space" and \
                toks[i - 2].kind in ("word", "number") and \
                toks[i + 2].kind in ("word", "number") and \
                len(toks[i - 2].text) == len(toks[i + 2].text) == 1 and \
                (i < 3 or toks[i - 3].kind != "word"):
            out.append(r"\times")  # "an n x d matrix"
        elif t.kind == "word":
            out.append(_word(t.text))
            if i + 1 < len(toks) and toks[i + 1].kind == "word":
                out.append(" ")
        elif t.kind == "number":
            out.append(scientific(t.text))
            if i + 1 < len(toks) and toks[i + 1].kind == "word":
                out.append(" ")
        elif t.kind == "op" and t.text in ("^", "**", "_"):
            end = _atom_end(toks, i + 1)
            inner = _strip_parens(toks[i + 1:end])
            mark = "_" if t.text == "_" else "^"
            script = formula(inner, False).replace("/", "\0")
            out.append(mark + "{" + script + "}")
            i = end
            continue
        elif t.kind == "op" and t.text == "*":
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if i > 0 and toks[i - 1].kind != "space" and (
                    nxt is None or nxt.kind not in ("word", "number", "open")):
                out.append("^*")  # x*, beta*), ||x_0 - x*||
            elif out and out[-1][-1:].isdigit() and nxt.kind == "number":
                out.append(r" \cdot ")
            else:
                out.append(" ")
        elif t.kind == "op" and t.text == "...":
            out.append(r"\dots")
        elif t.kind == "op" and t.text == "'":
            out.append("'")
        elif t.kind == "op":
            out.append(OPERATORS.get(t.text, t.text) + (" " if t.text in ("~",) else ""))
            if OPERATORS.get(t.text, "").startswith("\\") and i + 1 < len(toks) and \
                    toks[i + 1].kind not in ("space",):
                out.append(" ")
        elif t.text in ("⟨", "⟩"):
            out.append(r"\langle " if t.text == "⟨" else r"\rangle ")
        elif t.kind in ("open", "close"):
            out.append(t.text)
        else:
            out.append(t.text)
        i += 1
    text = "".join(out)
    if not top:
        return text
    text = re.sub(r"(?<![\w{}.])(\d+)/(\d+)(?![\w{(^])", r"\\tfrac{\1}{\2}", text)
    return text.replace("\0", "/")
