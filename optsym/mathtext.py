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

import re
from dataclasses import dataclass

GREEK = {name: "\\" + name for name in (
    "alpha", "beta", "gamma", "delta", "zeta", "eta", "theta", "iota", "kappa", "lambda",
    "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega")}
GREEK |= {"eps": r"\epsilon", "epsilon": r"\epsilon", "varepsilon": r"\varepsilon",
          "lam": r"\lambda"}
#: big operators: mathematics when a subscript follows (``sum_{j <= T}``), else words
SCRIPTED = {"sum": r"\sum", "prod": r"\prod", "int": r"\int"}
#: functions that may be applied without brackets (``cos phi``)
BARE = ("cos", "sin", "tan", "log", "ln", "exp")
#: functions written name(...) in prose, and how LaTeX writes them
FUNCTIONS = {"log": r"\log", "ln": r"\ln", "exp": r"\exp", "max": r"\max", "min": r"\min",
             "det": r"\det", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan",
             "arctan": r"\arctan", "lim": r"\lim", "sup": r"\sup", "inf": r"\inf",
             "tr": r"\operatorname{tr}", "diag": r"\operatorname{diag}",
             "sign": r"\operatorname{sign}", "erf": r"\operatorname{erf}",
             "artanh": r"\operatorname{artanh}", "Var": r"\operatorname{Var}",
             "grad": r"\nabla"}
#: other names that are mathematics wherever they stand
NAMES = {"oo": r"\infty", "lr": r"\mathrm{lr}", "int": r"\int",
         "Var": r"\operatorname{Var}"}
#: two-letter English words (never a product of two variables)
ENGLISH2 = {"is", "of", "to", "in", "on", "at", "by", "as", "or", "if", "so", "be", "it", "we",
            "an", "no", "do", "up", "us", "me", "my", "he", "am", "go", "ok", "vs"}
OPERATORS = {"<-": r"\gets", "<=": r"\le", ">=": r"\ge", "!=": r"\ne", "->": r"\to", "==": "=", "~": r"\sim",
             "=": "=", "<": "<", ">": ">", "+": "+", "-": "-", "/": "/", "|": "|",
             "||": r"\|", "+-": r"\pm"}

_TOKEN = re.compile(r"""
    (?P<dollar>\$[^$]*\$)
  | (?P<literal>``[^`]*``)
  | (?P<abbr>\b(?:i\.e\.|e\.g\.|cf\.|etc\.|vs\.))
  | (?P<code>[A-Za-z_]\w*(?:\((?:[^()]|\([^()]*\))*\))?
             (?:\.[A-Za-z_]\w*(?:\((?:[^()]|\([^()]*\))*\))?)+)
  | (?P<snake>[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+)
  | (?P<number>\d+(?:\.\d+)?(?:e[-+]?\d+)?)
  | (?P<word>[A-Za-z][A-Za-z0-9]*)
  | (?P<poss>'s\b)
  | (?P<op><-|<=|>=|!=|->|==|\*\*|\|\||\.\.\.|[-+*/^_=<>~|'])
  | (?P<open>[(\[{⟨])
  | (?P<close>[)\]}⟩])
  | (?P<space>\s+)
  | (?P<other>.)
""", re.X)

_PAIRS = {")": "(", "]": "[", "}": "{", "⟩": "⟨"}
#: an inner product typed as <u, v> (no space inside the brackets)
_ANGLE = re.compile(r"<(?=[^\s=<>-])([^<>]*?[^\s=<>])>(?!=)")
#: "(a) The quadratic ...": an enumeration's label, not a formula
_LABEL = re.compile(r"^\([a-z]\) ")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


@dataclass(frozen=True)
class Segment:
    """A piece of prose: ``kind`` is "text", "math" (LaTeX, without dollars) or "code"."""

    kind: str
    text: str


def _snake_is_code(name: str) -> bool:
    """``exp_avg``, ``lr_decay``, ``jury_quadratic`` are code; ``x_t``, ``a_lambda``,
    ``X_ij``, ``beta_1`` are subscripted names."""
    base, *subs = name.split("_")
    if base not in GREEK and base not in NAMES and len(base) > 1:
        return True
    return any(len(s) > 3 and s not in GREEK for s in subs)


def _tokens(s: str) -> list[Token]:
    out: list[Token] = []
    for m in _TOKEN.finditer(s):
        kind, text = m.lastgroup or "other", m.group()
        if kind == "literal":
            out.append(Token("code", text[2:-2]))
            continue
        if kind == "snake":
            if _snake_is_code(text):
                out.append(Token("code", text))
                continue
            for k, part in enumerate(text.split("_")):
                if k:
                    out.append(Token("op", "_"))
                out.append(Token("word" if part[0].isalpha() else "number", part))
            continue
        out.append(Token(kind, text))
    return out


def _solid(tokens: list[Token], i: int) -> int | None:
    """The index of the next token after ``i`` that is not a space."""
    j = i + 1
    while j < len(tokens) and tokens[j].kind == "space":
        j += 1
    return j if j < len(tokens) else None


def _named(w: str) -> bool:
    """A name that is mathematics wherever it stands: ``beta``, ``eps``, ``beta1``, ``x0``."""
    if w in GREEK or w in NAMES:
        return True
    m = re.fullmatch(r"([A-Za-z]+?)(\d+)", w)
    return bool(m) and (m.group(1) in GREEK or len(m.group(1)) == 1)


def _starts_sentence(tokens: list[Token], i: int) -> bool:
    j = i - 1
    while j >= 0 and tokens[j].kind == "space":
        j -= 1
    return j < 0 or tokens[j].text in (".", ":", ";", "(")


def _mathy_word(tokens: list[Token], i: int) -> bool:
    """Whether the word at ``i`` is a mathematical name (see the module docstring)."""
    w = tokens[i].text
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    j = _solid(tokens, i)
    solid = tokens[j] if j is not None else None
    if _named(w):
        return True
    if w in BARE and solid is not None and solid.kind == "word" and \
            (_named(solid.text) or len(solid.text) == 1):
        return True  # cos phi
    if w == "grad" and solid is not None and solid.kind == "word" and len(solid.text) == 1:
        return True  # grad f; "buf + grad" is torch's name
    if (w in FUNCTIONS or w == "sqrt") and nxt is not None and nxt.text == "(":
        return True
    if re.fullmatch(r"d[a-z]", w):
        return True  # a differential: dx, ds
    if nxt is not None and nxt.text in ("_", "^", "**"):
        return True
    if len(w) == 1:
        if w in ("a", "A") and solid is not None and solid.kind == "number":
            return False  # "a 2 x 2 matrix"
        if w in ("a", "A", "I") and solid is not None and solid.kind == "word":
            # the article ("a fixed step", "A direction") or a name ("A x", "A is", "of A
            # lie"): a capital is the article only where a sentence starts
            if w != "a" and not _starts_sentence(tokens, i):
                return True
            return len(solid.text) == 1 or solid.text in ENGLISH2 or _named(solid.text)
        return True
    if len(w) == 2 and w.islower() and w not in ENGLISH2 and solid is not None and \
            (solid.kind == "close" or solid.kind == "op" and
             solid.text in ("=", "<", ">", "<=", ">=", "-", "+", "/")):
        return True  # "ac - b^2"
    return False


def _math_token(tokens: list[Token], i: int) -> bool:
    t = tokens[i]
    if t.kind in ("word", "number") and i > 0 and tokens[i - 1].text in ("_", "^", "**"):
        return True  # a script: X_ij
    if t.kind == "word":
        return _mathy_word(tokens, i)
    if t.kind in ("number", "open", "close"):
        return True
    if t.kind == "op":
        before = tokens[i - 1] if i > 0 else None
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if t.text == "-" and before is not None and after is not None and \
                before.kind == "word" and after.kind == "word":
            return False  # a hyphen: "L-smooth", "Euler-Maclaurin"
        if t.text == "'":  # a prime, f'(t); else a quote
            return before is not None and before.kind == "word" and len(before.text) == 1 \
                and after is not None and after.text == "("
        return True
    return False


def _run_end(tokens: list[Token], i: int) -> int:
    """The end of the formula that starts at ``i``: it goes on over math tokens, spaces
    between them, and commas inside its brackets."""
    j, depth, n = i, [], len(tokens)
    while j < n:
        u = tokens[j]
        if u.kind == "open":
            depth.append(u.text)
        elif u.kind == "close":
            if not depth or depth[-1] != _PAIRS[u.text]:
                break
            depth.pop()
        elif u.kind == "space":
            if not (j + 1 < n and _math_token(tokens, j + 1)) or \
                    (not depth and j > i and _aside(tokens, j + 1)):
                break
        elif u.text in (",", ";"):
            k = _solid(tokens, j)
            if not depth or k is None or not (_math_token(tokens, k) or
                                              tokens[k].text == "..."):
                break
        elif not _math_token(tokens, j):
            break
        j += 1
    return j


def _aside(tokens: list[Token], k: int) -> bool:
    """Whether a bracket at ``k`` (after a space) is a remark, "y (y_t = ...)", "D W D (W =
    ...)": its content has a relation of its own."""
    if tokens[k].kind != "open" or tokens[k].text != "(":
        return False
    depth = 0
    for t in tokens[k:]:
        if t.kind == "open":
            depth += 1
        elif t.kind == "close":
            depth -= 1
            if depth == 0:
                return False
        elif depth == 1 and t.text in ("=", "<", ">", "<=", ">=", "!="):
            return True
    return False


def _keep(run: list[Token]) -> int:
    """How much of ``run`` is a formula: not a trailing operator or space, not from an
    unclosed bracket on, not plain numbers ("Thm 3.1", "2012")."""
    n = len(run)
    while n:
        last = run[n - 1]
        if last.kind == "space" or (last.kind == "op" and last.text not in ("*", "|", "||",
                                                                           "...")):
            n -= 1
            continue
        stack: list[int] = []
        for k, t in enumerate(run[:n]):
            if t.kind == "open":
                stack.append(k)
            elif t.kind == "close" and stack:
                stack.pop()
        if not stack:
            break
        n = stack[0]
    body = run[:n]
    relations = ("<=", ">=", "<", ">", "=", "->", "!=", "^", "**")
    if all(t.kind in ("number", "space", "op", "open", "close") or t.text == ","
           for t in body) and not any("e" in t.text for t in body if t.kind == "number") \
            and not any(t.text in relations for t in body):
        return 0
    return n


def _split(tokens: list[Token]) -> list[tuple[str, list[Token]]]:
    """Runs of tokens: ("math" | "dollar" | "code" | "text", tokens)."""
    runs: list[tuple[str, list[Token]]] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.kind in ("dollar", "code"):
            runs.append((t.kind, [t]))
            i += 1
            continue
        keep = _keep(tokens[i:_run_end(tokens, i)]) \
            if t.kind != "close" and _math_token(tokens, i) else 0
        if keep == 0:
            runs.append(("text", [t]))
            i += 1
            continue
        runs.append(("math", tokens[i:i + keep]))
        i += keep
    out: list[tuple[str, list[Token]]] = []
    for kind, toks in runs:
        if out and out[-1][0] == kind == "text":
            out[-1] = (kind, out[-1][1] + toks)
        else:
            out.append((kind, toks))
    return out


# ---- formulas -------------------------------------------------------------------------------
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


def _number(text: str) -> str:
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
            out.append(_number(t.text))
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


def segments(s: str) -> list[Segment]:
    """``s`` as text, math (LaTeX) and code pieces."""
    out: list[Segment] = []
    label = _LABEL.match(s)
    if label:
        out.append(Segment("text", label.group()))
        s = s[label.end():]
    s = _ANGLE.sub(lambda m: f"⟨{m.group(1)}⟩", s)
    for kind, toks in _split(_tokens(s)):
        if kind == "dollar":
            out.append(Segment("math", toks[0].text[1:-1]))
        elif kind == "code":
            out.append(Segment("code", toks[0].text))
        elif kind == "math":
            out.append(Segment("math", formula(toks)))
        else:
            out.append(Segment("text", "".join(t.text for t in toks)))
    return out


# ---- printers -------------------------------------------------------------------------------
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


__all__ = ["Segment", "escape", "formula", "segments", "to_latex", "to_mathjax"]
