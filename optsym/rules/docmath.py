r"""The equations in each rule file's docstring, generated from the rule's spec.

A rule's module docstring shows its update as a ``.. math::`` block.  That block is not written
by hand: it is printed from :meth:`Rule.textbook` at the sweep configuration with the most lines
(every option that adds a line is on), below a marker comment that names the rule::

    .. optsym-equations: adam (generated from the spec: python -m optsym.rules.docmath)

    .. math::

        \begin{align*}
        g &\gets - g && \text{maximize: ascend} \\
        ...
        \end{align*}

``python -m optsym.rules.docmath`` rewrites every block from the specs; ``--check`` exits 1
when a file's block differs from its spec (``tests/test_rule_docs.py`` runs that check, so a
changed spec with a stale docstring fails the suite).  Nothing is computed at import time, so
loading a rule costs no SymPy printing.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from optsym.spec import Assign, Rule, latex

MARKER = ".. optsym-equations: {name} (generated from the spec: python -m optsym.rules.docmath)"
_BLOCK = re.compile(r"(?P<marker>\.\. optsym-equations: (?P<name>[\w-]+) \(generated[^\n]*\))"
                    r"\n\n\.\. math::\n\n(?P<body>.*?\\end\{align\*\})", re.S)


def richest_config(rule: Rule) -> dict:
    """The configuration of the rule's sweep whose textbook form has the most lines (the
    defaults when no sweep entry adds one): it shows every option's line."""
    best, lines = rule.config(), len(rule.textbook(rule.config()))
    for overrides in rule.sweep:
        cfg = rule.config(overrides)
        n = len(rule.textbook(cfg))
        if n > lines:
            best, lines = cfg, n
    return best


def _row(a: Assign) -> str:
    note = rf" && \text{{{a.note}}}" if a.note else ""
    return rf"    {latex(a.target)} &\gets {latex(a.expr)}{note}"


def equations(rule: Rule, cfg: dict | None = None) -> str:
    r"""The indented ``align*`` block of ``rule``'s textbook form at ``cfg`` (default:
    :func:`richest_config`)."""
    rows = [_row(a) for a in rule.textbook(richest_config(rule) if cfg is None else cfg)]
    return "\n".join([r"    \begin{align*}", " \\\\\n".join(rows), r"    \end{align*}"])


def refresh(text: str, specs: dict[str, Rule]) -> str:
    """``text`` (a rule file) with each marked block printed again from its spec."""
    def block(m: re.Match) -> str:
        return f"{m['marker']}\n\n.. math::\n\n{equations(specs[m['name']])}"
    return _BLOCK.sub(block, text)


def _files() -> dict[Path, dict[str, Rule]]:
    from optsym import rules

    out: dict[Path, dict[str, Rule]] = {}
    for name, (module, _attr) in rules.RULE_MODULES.items():
        path = Path(importlib.util.find_spec(module).origin)
        out.setdefault(path, {})[name] = rules.get(name)
    return out


def stale() -> list[str]:
    """The rule files whose blocks differ from their specs, or lack a block for a rule."""
    bad = []
    for path, specs in _files().items():
        text = path.read_text()
        marked = {m["name"] for m in _BLOCK.finditer(text)}
        if marked != set(specs) or refresh(text, specs) != text:
            bad.append(f"{path.name}: {sorted(set(specs) - marked) or 'stale equations'}")
    return bad


def main(argv: list[str]) -> int:
    if "--check" in argv:
        bad = stale()
        for line in bad:
            print(line)
        return 1 if bad else 0
    for path, specs in _files().items():
        path.write_text(refresh(path.read_text(), specs))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
