r"""The conventions table: each family's conventions, their equations, who uses them, and under
which condition each equals torch's, every condition derived by :func:`~optsym.conventions.
proof.prove` (nothing here is typed in by hand but the sources).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from optsym.conventions.compare import condition_text, through_torch
from optsym.conventions.proof import Proof, prove
from optsym.conventions.spec import ChangeOfVariables, Convention, Family
from optsym.spec import latex, theta


@dataclass(frozen=True)
class Row:
    family: str
    convention: str
    summary: str
    equations_latex: str
    source: str
    vs_torch: str
    proved: bool

    def as_dict(self) -> dict:
        return {"family": self.family, "convention": self.convention, "summary": self.summary,
                "equations_latex": self.equations_latex, "source": self.source,
                "equal_to_torch": self.vs_torch, "consistent": self.proved}


def equations_latex(conv: Convention, family: Family) -> str:
    """The convention's assignments as ``target \\leftarrow expr`` joined by semicolons."""
    cfg = family.cfg()
    rule = family.base_rule()
    off = {h.symbol: sp.S.Zero for h in rule.hypers
           if h.symbol is not None and h.default == 0 and cfg[h.name] == 0}
    parts = [f"{latex(e.target)} \\leftarrow {latex(e.expr.xreplace(off))}"
             for e in conv.equations(cfg)]
    if conv.gradient_point != theta:  # the gradient is taken elsewhere (a look-ahead point)
        parts.insert(0, f"g \\leftarrow \\nabla f({latex(conv.gradient_point.xreplace(off))})")
    return ";\\ ".join(parts)


def _maps(m: ChangeOfVariables, name: str) -> str:
    items = []
    if m.param != m.__class__().param:
        items.append(f"param_{name} = {sp.sstr(m.param)}")
    items += [f"{s}_{name} = {sp.sstr(e)}" for s, e in m.state.items()]
    items += [f"{s}_{name} = {sp.sstr(e)}" for s, e in m.hypers.items()]
    return ", ".join(items)


def vs_torch(family: Family, conv: Convention) -> tuple[str, bool]:
    """In words: when ``conv`` equals torch's convention (derived), and whether the numeric
    checks back the proofs."""
    if conv.name == "torch":
        return "(torch itself)", True
    rule, cfg = family.base_rule(), family.cfg()
    torch = family.get("torch")
    mapping = through_torch(family, "torch", conv.name)
    proof = prove(rule, cfg, torch, conv, mapping)
    ok = proof.consistent
    via = _maps(mapping, conv.name)
    if mapping.hypers:
        same = prove(rule, cfg, torch, conv, ChangeOfVariables(mapping.param, mapping.state))
        ok &= same.consistent
        text = f"{_when(same)}; with {via}: {_when(proof)}"
    else:
        text = _when(proof) + (f" (with {via})" if via and (proof.holds or proof.conditions)
                               else "")
    return text, ok


def _when(proof: Proof) -> str:
    if proof.holds:
        return "always"
    if proof.conditions:
        return "when " + " or ".join(condition_text(c) for c in proof.conditions)
    return "never"


def rows(families: list[Family] | None = None) -> list[Row]:
    from optsym import conventions

    out = []
    for fam in families or conventions.all_families():
        for conv in fam.conventions:
            text, ok = vs_torch(fam, conv)
            out.append(Row(fam.name, conv.name, conv.summary, equations_latex(conv, fam),
                           conv.source, text, ok))
    return out


def markdown(table: list[Row]) -> str:
    """A GitHub Markdown table (equations as inline math)."""
    lines = ["| family | convention | update | used in | equal to torch |",
             "|---|---|---|---|---|"]
    for r in table:
        eq = r.equations_latex.replace("|", r"\vert ")
        cells = [_plain(c) for c in (r.source, r.vs_torch)]
        lines.append(f"| {r.family} | `{r.convention}` | ${eq}$ | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def _plain(cell: str) -> str:
    """Markdown-safe text: ``*`` and ``_`` would start emphasis, ``|`` a new cell."""
    return cell.replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def text(table: list[Row]) -> str:
    out = []
    for r in table:
        out.append(f"{r.family:<9} {r.convention:<11} {r.summary}")
        out.append(f"{'':<21} used in: {r.source}")
        out.append(f"{'':<21} equal to torch: {r.vs_torch}")
    return "\n".join(out)
