r"""What ``optsym verify`` returns to a Python caller: the checks, the proofs and one verdict.

Four kinds of report, each with ``passed``, ``to_json()`` (the JSON object ``--json`` prints)
and ``lines()`` (the text the command prints):

* :class:`RuleVerdict`: a rule's checks against its reference (:mod:`optsym.verify.runner`),
  with the equivalence proofs of each distinct configuration when asked for, and the schedule
  and clipping it was composed with;
* :class:`ScheduleVerdict`: a schedule's generated learning rates against torch's scheduler,
  with the induction proofs and the exact every-step check, which always run;
* :class:`ConventionVerdict`: a named convention's generated code against exact arithmetic.
* :class:`TransformVerdict`: a transform over the list of gradients (clipping, a user's own)
  against its torch reference (:mod:`optsym.transforms.verify`).

A rule over an objective reports with :class:`optsym.objective_rules.ObjectiveReport`, which has
the same three members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from optsym.spec import Rule


def config_label(config: dict) -> str:
    """``amsgrad lr=0.05`` (``defaults`` for an empty configuration)."""
    if not config:
        return "defaults"
    return " ".join(k if v is True else f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in config.items())


@dataclass
class ProofSection:
    """The equivalence proofs of each distinct configuration: torch's order == textbook."""

    path: str
    #: (label, [obligation, ...]) per distinct configuration
    groups: list[tuple[str, dict[str, Any], list[Any]]] = field(default_factory=list)
    assumptions: tuple[str, ...] = ()

    @property
    def holds(self) -> bool:
        return all(ob.holds for _, _, obs in self.groups for ob in obs)

    def records(self) -> list[dict[str, Any]]:
        return [{"config": cfg, **ob.as_dict()} for _, cfg, obs in self.groups for ob in obs]

    def lines(self) -> list[str]:
        out = []
        for label, _, obs in self.groups:
            out.append(f"proof [{label}]: torch's {self.path} operation order == textbook "
                       "equations")
            for ob in obs:
                mark = "holds" if ob.holds else "FAILS"
                out.append(f"  {ob.output}: {mark} ({ob.method or 'no symbolic reduction'}; "
                           f"numeric check at {ob.points} points, max |diff| = "
                           f"{ob.numeric_max_diff:.1e})")
                out.append(f"    torch order : {ob.implementation}")
                out.append(f"    textbook    : {ob.textbook}")
        if self.assumptions:
            out.append("  assumptions: " + "; ".join(self.assumptions))
        return out


def prove_configs(rule: Rule, configs: list[dict[str, Any]], path: str) -> ProofSection:
    """Prove each configuration whose equations differ from those already proved."""
    from optsym.proof import prove_rule

    section = ProofSection(path, assumptions=tuple(rule.proof_assumptions))
    seen = set()
    for overrides in configs:
        cfg = rule.config(overrides)
        key = (rule.textbook(cfg), rule.implementation_for(path)(cfg))
        if key in seen:
            continue
        seen.add(key)
        section.groups.append((config_label(rule.non_default(cfg)), rule.non_default(cfg),
                               prove_rule(rule, cfg, path=path)))
    return section


@dataclass
class RuleVerdict:
    """A rule's checks (:class:`optsym.verify.runner.Report`), proofs and composition."""

    rule: Rule
    report: Any
    proofs: ProofSection | None = None
    #: (schedule spec, its configuration) and (kind, threshold) it was composed with
    schedule: tuple[Any, dict[str, Any]] | None = None
    clip: tuple[str, float] | None = None
    #: remarks for the user (``no CUDA device on this machine; checking cpu only``)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.report.passed and (self.proofs is None or self.proofs.holds)

    @property
    def results(self) -> list[Any]:
        return self.report.results

    def to_json(self) -> dict[str, Any]:
        from optsym.verify.composition import CLIP_REFERENCE, schedule_reference

        out = self.report.as_dict()
        out["passed"] = self.passed
        if self.schedule is not None:
            spec, cfg = self.schedule
            out["schedule"] = {"name": spec.name, "config": cfg,
                               "torch": schedule_reference(spec, cfg)}
        if self.clip is not None:
            out["clip"] = {"kind": self.clip[0], "threshold": self.clip[1],
                           "torch": CLIP_REFERENCE[self.clip[0]]}
        if self.proofs is not None:
            out["proofs"] = self.proofs.records()
        return out

    def table(self) -> list[str]:
        head = ("config", "backend", "dtype", "device", "steps", "max_abs", "max_rel", "max_ulp",
                "verdict")
        rows = [head]
        for r in self.report.results:
            rows.append((config_label(r.overrides), r.backend, r.dtype, r.device, str(r.steps),
                         f"{r.max_abs:.3g}", f"{r.max_rel:.3g}", str(r.max_ulp),
                         "SKIP" if r.skipped else "PASS" if r.passed else "FAIL"))
        widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
        return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]

    def lines(self) -> list[str]:
        rule, report, impl = self.rule, self.report, self.report.path
        out = [*self.proofs.lines(), ""] if self.proofs is not None else []
        out += self.table()
        n_ok = sum(r.passed and not r.skipped for r in report.results)
        parity = ("torch-parity: bitwise over a free trajectory" if impl not in rule.inexact
                  else "torch-parity: a model of the fused kernel, one step at a time within "
                       "the rounding bound")
        out += ["", f"{rule.name} ({impl} path) vs {report.reference}: "
                    f"{n_ok}/{len(report.results)} checks passed ({parity}; torch/numpy: one "
                    "step at a time within the first-order rounding bound)"]
        if impl in rule.inexact:
            out.append(f"note: the torch-parity form of the {impl} path is checked within the "
                       f"rounding bound in {', '.join(rule.inexact[impl][0])}: "
                       f"{rule.inexact[impl][1]}")
        for r in report.results:
            if not r.passed:
                out.append(f"FAIL [{config_label(r.overrides)}] {r.backend} {r.dtype} "
                           f"{r.device}: first divergence at {r.failure}")
        skipped = [r for r in report.results if r.skipped]
        if skipped:
            out.append(f"SKIP: {len(skipped)} textbook check(s) not run, outside the textbook "
                       f"form's domain ({'; '.join(sorted({r.skipped for r in skipped}))}): only "
                       "the parity form is checked there")
        for r in report.results:
            if r.outside_domain:
                out.append(f"outside the bound's domain [{config_label(r.overrides)}] "
                           f"{r.backend} {r.dtype} {r.device}: {r.outside_domain} element(s) "
                           f"where torch's value or an input of the step is not finite, or "
                           f"an intermediate overflows the dtype, and ours differs (first: "
                           f"{r.outside_first}); real arithmetic was left "
                           "there (an inf or NaN gradient, an overflow, 0/0, or a square root "
                           "of a value rounded below 0), where a rounding bound says nothing")
        if self.proofs is not None and not self.proofs.holds:
            out.append("FAIL: an equivalence proof does not hold (see above)")
        return out


@dataclass
class ScheduleVerdict:
    """A schedule's checks against torch's scheduler, its induction proofs and the exact
    every-step check (the verdict needs all three)."""

    spec: Any
    report: Any
    induction: list[Any]
    every_step: Any
    steps: int

    @property
    def passed(self) -> bool:
        return (self.report.passed and self.every_step.holds
                and all(p.holds for p in self.induction))

    def to_json(self) -> dict[str, Any]:
        out = self.report.as_dict()
        out.update(passed=self.passed, steps=self.steps, proofs={
            "induction": [p.as_dict() for p in self.induction],
            "every_step": self.every_step.as_dict()})
        return out

    def lines(self) -> list[str]:
        out = [f"{self.spec.title}: generated learning rates vs {self.report.reference}, "
               f"{self.steps} steps"]
        for c in self.report.checks:
            out.append(f"  {c.form:<13} {'PASS' if c.passed else 'FAIL'}  parted at "
                       f"{c.parted}/{c.steps} steps, max {c.max_ulp} ULP, max rel "
                       f"{c.max_rel:.2g}"
                       + (f", worst error/tolerance {c.worst_ratio:.2g}" if c.worst_ratio
                          else ""))
            out.append(f"                criterion: {c.criterion}")
            if c.divergences:
                shown = ", ".join(f"k={d['k']} ({d['ulp']} ULP)" for d in c.divergences[:8])
                more = c.parted - min(c.parted, 8)
                out.append(f"                parts at: {shown}"
                           + (f" and {more} more" if more else ""))
            if c.failure:
                out.append(f"                FAIL: first at {c.failure}")
        for p in self.induction:
            out.append(f"  proof: induction step [{p.case}] on {p.phase}: "
                       f"{'holds' if p.holds else 'FAILS'} ({p.method})")
        e = self.every_step
        out.append(f"  proof: every step k < {e.steps}, 50 digits ({e.what}): max |diff| "
                   f"{e.max_diff:.1e} [{'holds' if e.holds else 'FAILS'}]")
        return out


EXACT_REFERENCE = "exact arithmetic (SymPy) of the same equations"


@dataclass
class ConventionVerdict:
    """A convention no installed framework runs: its generated code against exact arithmetic."""

    family: Any
    convention: Any
    checks: list[Any]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {"family": self.family.name, "convention": self.convention.name,
                "reference": EXACT_REFERENCE, "passed": self.passed,
                "results": [c.as_dict() for c in self.checks]}

    def lines(self) -> list[str]:
        conv = self.convention
        out = [f"{self.family.name}, {conv.name} convention: {conv.summary}  [{conv.source}]",
               f"reference: {EXACT_REFERENCE} on a rational gradient stream (no framework "
               "implements this convention here)"]
        for c in self.checks:
            out.append(f"  {c.backend:<6} {c.dtype:<8} {c.steps} steps  max rel error "
                       f"{c.max_rel:.2g} (bound {c.tolerance:.2g})  "
                       f"{'PASS' if c.passed else 'FAIL'}")
            if c.failure:
                out.append(f"    FAIL: {c.failure}")
        return out


@dataclass
class TransformVerdict:
    """A transform's generated code (every target, every dtype) against its reference."""

    #: the record of :func:`optsym.transforms.verify.verify`
    record: dict[str, Any]
    #: the configuration as given (``defaults`` when empty)
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.record["passed"])

    def to_json(self) -> dict[str, Any]:
        return dict(self.record)

    def lines(self) -> list[str]:
        r = self.record
        label = config_label(self.overrides)
        out = [f"{'config':<{max(6, len(label))}}  backend       dtype    steps  max_abs    "
               "max_ulp  verdict"]
        for target, per in r["results"].items():
            for dtype, rec in per.items():
                out.append(f"{label:<{max(6, len(label))}}  {target:<13} {dtype:<8} "
                           f"{r['steps']:<6} {rec.get('max_abs', 0):<10.3g} "
                           f"{rec.get('max_ulp', 0)!s:<8} {'PASS' if rec['passed'] else 'FAIL'}")
                if rec.get("failure"):
                    out.append(f"    FAIL: {rec['failure']}")
        total = sum(len(per) for per in r["results"].values())
        good = sum(rec["passed"] for per in r["results"].values() for rec in per.values())
        out += ["", f"{r['transform']} vs {r['reference']}: {good}/{total} checks passed"]
        return out
