"""Prose cut into tokens and the tokens into runs: formulas, code, text (the rules of
:mod:`optsym.mathtext`'s docstring)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from optsym.mathtext.names import BARE, ENGLISH2, FUNCTIONS, GREEK, NAMES

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
ANGLE = re.compile(r"<(?=[^\s=<>-])([^<>]*?[^\s=<>])>(?!=)")
#: "(a) The quadratic ...": an enumeration's label, not a formula
LABEL = re.compile(r"^\([a-z]\) ")


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


def tokenize(s: str) -> list[Token]:
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
                number = _NUMBER.fullmatch(part) is not None  # "2e" in x_2e is no number
                out.append(Token("number" if number else "word", part))
            continue
        out.append(Token(kind, text))
    return out


_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


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


def runs(tokens: list[Token]) -> list[tuple[str, list[Token]]]:
    """Runs of tokens: ("math" | "dollar" | "code" | "text", tokens)."""
    found: list[tuple[str, list[Token]]] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.kind in ("dollar", "code"):
            found.append((t.kind, [t]))
            i += 1
            continue
        keep = _keep(tokens[i:_run_end(tokens, i)]) \
            if t.kind != "close" and _math_token(tokens, i) else 0
        if keep == 0:
            found.append(("text", [t]))
            i += 1
            continue
        found.append(("math", tokens[i:i + keep]))
        i += keep
    out: list[tuple[str, list[Token]]] = []
    for kind, toks in found:
        if out and out[-1][0] == kind == "text":
            out[-1] = (kind, out[-1][1] + toks)
        else:
            out.append((kind, toks))
    return out
