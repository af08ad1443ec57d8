r"""Which named variant of the spec the target is: a search of :mod:`optsym.check.variants`.

Each variant is a rule derived from the spec (its textbook equations rewritten: bias correction
dropped, eps moved inside the square root, ...), so a diagnosis is checked exactly as the spec
is: the variant's generated code must reproduce the target's recording within the rounding bound
(:func:`optsym.check.compare.compare`).  The search runs on the first configuration where the
target left the spec: single variants first, then pairs; a match is then confirmed on every
recorded run.  When nothing matches, the report is the smallest reproducer instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from optsym.check.compare import Comparison, compare
from optsym.check.variants import Variant, for_rule, variant_rule

#: at most this many pairs are tried (the candidates' pairs, in catalogue order)
MAX_PAIRS = 60


@dataclass
class Diagnosis:
    """The variant (or pair) that reproduces the target on every run, or none."""

    variants: tuple[Variant, ...]
    comparison: Comparison | None
    tried: int

    @property
    def name(self) -> str:
        return " + ".join(v.name for v in self.variants)

    @property
    def description(self) -> str:
        return "; and ".join(v.description for v in self.variants)


def _matches(rule: Any, chosen: tuple[Variant, ...], overrides: Mapping[str, Any],
             run: Mapping[str, Any], rec: Mapping[str, Any]) -> Comparison | None:
    try:
        c = compare(variant_rule(rule, chosen), overrides, run, rec, bitwise=False)
    except Exception:  # noqa: BLE001 - a rewrite that does not apply to this form: no match
        return None
    return c if c.equal else None


def _confirmed(rule: Any, chosen: tuple[Variant, ...], runs: Sequence[Mapping[str, Any]],
               recs: Mapping[int, Mapping[str, Any]]) -> bool:
    return all(_matches(rule, chosen, runs[i]["config"], runs[i], rec) is not None
               for i, rec in recs.items() if rec.get("fault") is None)


def diagnose(rule: Any, runs: Sequence[Mapping[str, Any]], recs: Mapping[int, Mapping[str, Any]],
             first: int) -> Diagnosis:
    """Search the catalogue on run ``first`` (where the target left the spec), confirm on all."""
    run, rec = runs[first], recs[first]
    cfg = rule.config(run["config"])
    candidates = [v for v in for_rule(rule) if v.needs(cfg)]
    tried = 0
    singles = [(v,) for v in candidates]
    pairs = list(itertools.combinations(candidates, 2))[:MAX_PAIRS]
    for group in (singles, pairs):
        for chosen in group:
            tried += 1
            hit = _matches(rule, chosen, run["config"], run, rec)
            if hit is not None and _confirmed(rule, chosen, runs, recs):
                return Diagnosis(chosen, hit, tried)
    return Diagnosis((), None, tried)
