r"""What :func:`optsym.conventions.compare.compare` returns: the verdict, the proofs, the first
parting of the exact runs and the float64 check, with ``to_json()`` and the printed lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy as sp

from optsym.conventions.proof import Condition, Proof, mapping_dict
from optsym.conventions.spec import ChangeOfVariables, Convention, base_lr, eta_prev
from optsym.conventions.run import Problem
from optsym.spec import SpecError, theta

def exact_number(text: str | float | int) -> sp.Rational:
    """``"0.1"`` or ``0.1`` -> 1/10 (the decimal as written), ``"1/2"`` -> 1/2."""
    try:
        return sp.Rational(str(text))
    except (TypeError, ValueError):
        raise SpecError(f"expected a number, got {text!r}") from None


#: an exact rational with more digits than this is shown by its value to 10 digits
SHOWN_DIGITS = 1000


def _show(x: sp.Expr) -> str:
    """``x`` exactly, or (a rational too long to print: momentum 1e30 over 200 steps gives
    6,000 digits) its 10-digit value and its length."""
    if isinstance(x, sp.Rational) and max(abs(x.p), x.q).bit_length() * 0.30103 > SHOWN_DIGITS:
        digits = int(max(abs(x.p), x.q).bit_length() * 0.30103) + 1
        return f"{sp.sstr(sp.N(x, 10))} (an exact rational of about {digits} digits)"
    return sp.sstr(x)


def _float(x: sp.Expr) -> float:
    return float(sp.N(x, 30))


@dataclass(frozen=True)
class Parting:
    """Where two exact runs part, and how far apart they are after the last step."""

    step: int | None
    a_value: sp.Expr | None
    b_value: sp.Expr | None
    last_a: sp.Expr
    last_b: sp.Expr
    exact_until: int | None
    #: the first step at which a mapped state variable differs (None: the state map holds at
    #: every step)
    state_step: int | None = None

    @property
    def gap(self) -> sp.Expr:
        return self.last_b - self.last_a

    def as_dict(self) -> dict:
        return {"step": self.step,
                "a": None if self.a_value is None else _show(self.a_value),
                "b": None if self.b_value is None else _show(self.b_value),
                "a_float": None if self.a_value is None else _float(self.a_value),
                "b_float": None if self.b_value is None else _float(self.b_value),
                "last_a": _show(self.last_a), "last_b": _show(self.last_b),
                "gap": _show(self.gap), "gap_float": _float(self.gap),
                "exact_until": self.exact_until, "state_step": self.state_step}


@dataclass(frozen=True)
class FloatCheck:
    """The float64 runs of the generated code against the exact runs."""

    first_parting: int | None
    max_rel_diff: float
    max_rel_vs_exact: float
    agrees: bool
    what: str

    def as_dict(self) -> dict:
        return {"first_parting": self.first_parting, "max_rel_diff": self.max_rel_diff,
                "max_rel_vs_exact": self.max_rel_vs_exact, "agrees": self.agrees,
                "what": self.what}


@dataclass(frozen=True)
class Comparison:
    family: str
    a: Convention
    b: Convention
    mapping: ChangeOfVariables
    proof: Proof
    #: the proof with the literal same hyperparameter values (None: the mapping keeps them)
    proof_same: Proof | None
    equal: bool
    reason: str
    lr_text: str
    problem: Problem
    values: Mapping[str, sp.Rational]
    steps: int
    parting: Parting
    mapped_parting: Parting | None
    floats: FloatCheck
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: ``--defaults``: b's values (each side its library's defaults); None: b takes ``values``
    values_b: Mapping[str, sp.Rational] | None = None

    @property
    def same_values_proof(self) -> Proof:
        return self.proof_same or self.proof

    @property
    def consistent(self) -> bool:
        """Every numeric cross-check backs the symbolic verdict."""
        ok = self.proof.consistent and self.same_values_proof.consistent and self.floats.agrees
        if self.equal:
            ok &= self.parting.step is None and self.parting.state_step is None
        else:
            ok &= self.parting.step is not None or self.parting.exact_until is not None
        if self.mapped_parting is not None:
            ok &= self.mapped_parting.step is None
        return ok

    @property
    def verdict(self) -> str:
        return "equal" if self.equal else "not equal"

    def as_dict(self) -> dict:
        return {"family": self.family, "conventions": [self.a.name, self.b.name],
                "verdict": self.verdict, "equal": self.equal, "reason": self.reason,
                "lr": self.lr_text, "problem": self.problem.as_dict(),
                "values": {k: str(v) for k, v in self.values.items()}, "steps": self.steps,
                "library_defaults": self.values_b is not None,
                "values_b": None if self.values_b is None
                else {k: str(v) for k, v in self.values_b.items()},
                "a": _conv_dict(self.a), "b": _conv_dict(self.b),
                "mapping": mapping_dict(self.mapping), "proof": self.proof.as_dict(),
                "proof_same_values": None if self.proof_same is None
                else self.proof_same.as_dict(),
                "parting": self.parting.as_dict(),
                "mapped_parting": None if self.mapped_parting is None
                else self.mapped_parting.as_dict(),
                "float64": self.floats.as_dict(), "consistent": self.consistent,
                "notes": list(self.notes)}

    def as_text(self) -> str:
        a, b = self.a.name, self.b.name
        out = [f"{self.family}: {a} vs {b} ({self.lr_text})",
               f"  {a:<11} {self.a.summary}   [{self.a.source}]",
               f"  {b:<11} {self.b.summary}   [{self.b.source}]", ""]
        out.append("change of variables (" + (self.mapping.words or "identity") + "):")
        out += [f"  {line}" for line in _mapping_lines(self.mapping)]
        out += _proof_lines("proof by induction", self.proof)
        if self.proof_same is not None:
            out += _proof_lines("with the same hyperparameter values", self.proof_same)
        out += ["", f"verdict: {self.verdict.upper()}: {self.reason}"]
        values = ", ".join(f"{k} = {v}" for k, v in self.values.items())
        if self.values_b is not None:
            values_b = ", ".join(f"{k} = {v}" for k, v in self.values_b.items())
            values = f"{a}'s defaults {values}; {b}'s defaults {values_b}"
        out += ["", f"exact run: {self.problem.describe()}; {values}; {self.steps} steps"]
        p = self.parting
        lhs = a if self.mapping.param == theta else f"Theta({a})"
        if p.step is None:
            out.append(f"  the parameters never part (theta_{self.steps}: {lhs} "
                       f"{_short(p.last_a)}, {b} {_short(p.last_b)})")
        else:
            out.append(f"  first parting at step {p.step}: {lhs} theta = {_short(p.a_value)}"
                       f" ~ {_float(p.a_value):.12g}, {b} theta = {_short(p.b_value)} ~ "
                       f"{_float(p.b_value):.12g}")
            out.append(f"  after {self.steps} steps: {a} {_float(p.last_a):.12g}, {b} "
                       f"{_float(p.last_b):.12g}, gap {_float(p.gap):.6g}")
        if self.mapping.state:
            out.append("  state map " + ", ".join(f"{s}_b = {_show(e)}" for s, e in
                                                  self.mapping.state.items())
                       + (": holds at every step" if p.state_step is None
                          else f": first fails at step {p.state_step}"))
        if p.exact_until is not None:
            out.append(f"  (exact to step {p.exact_until - 1}, then 60-digit arithmetic)")
        if self.mapped_parting is not None:
            mp = self.mapped_parting
            out.append("  with the mapped hyperparameters: "
                       + ("never part" if mp.step is None else f"part at step {mp.step}"))
        f = self.floats
        out += ["", f"float64 run ({f.what}): "
                + ("never part (max relative difference "
                   f"{f.max_rel_diff:.2g}: rounding)" if f.first_parting is None
                   else f"part at step {f.first_parting}")
                + f"; max relative difference from the exact values {f.max_rel_vs_exact:.2g}"
                + ("" if f.agrees else "  DISAGREES with the exact run")]
        out += [f"note: {n}" for n in self.notes]
        return "\n".join(out)


def _short(x: sp.Expr, limit: int = 60) -> str:
    text = _show(x)
    return text if len(text) <= limit else f"{text[:limit]}..."


def _conv_dict(c: Convention) -> dict:
    return {"name": c.name, "summary": c.summary, "source": c.source, "note": c.note}


def _mapping_lines(m: ChangeOfVariables) -> list[str]:
    lines = []
    if m.param != theta:
        lines.append(f"param_b = {_show(m.param)}")
    lines += [f"{s}_b = {_show(e)}" for s, e in m.state.items()]
    lines += [f"{s}_b = {_show(e)}" for s, e in m.hypers.items()]
    return lines or ["the same parameter, state and hyperparameters"]


def _proof_lines(title: str, proof: Proof) -> list[str]:
    out = ["", f"{title}:"]
    for o in proof.obligations:
        mark = "holds" if o.holds else f"differs by {_short(o.difference, 90)}"
        out.append(f"  [{o.case}] {o.output}: {mark} (numeric max |diff| "
                   f"{o.numeric_max_diff:.1e})")
    if proof.holds:
        out.append("  => proved for every step and every learning-rate sequence")
    elif proof.conditions:
        out.append("  => holds when " + " or ".join(condition_text(c) for c in proof.conditions))
    else:
        out.append("  => no hyperparameter condition makes it hold")
    return out


def condition_text(c: Condition) -> str:
    if c.symbol == eta_prev:
        return "the lr does not change between steps (eta_{t-1} = eta_t)"
    if c.symbol == base_lr and c.value != 1:
        return "the lr stays at its base value (base_lr = lr)"
    return c.text()
