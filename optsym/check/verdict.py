r"""From the comparisons of every run to one verdict, a first difference and a diagnosis.

The verdict is the weakest over the runs: ``bitwise`` only if every run is bitwise, ``equal``
if every run is within its bound, else ``different``.  The run the difference is reported from
(and the catalogue searched on) is the first differing float64 run, else the first differing
one: in float64 a slip stands further above rounding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from optsym.check.report import CheckReport, _label


def _pick(differing: list[int], runs: Sequence[Mapping[str, Any]]) -> int:
    wide = [i for i in differing if runs[i].get("dtype") == "float64"]
    return (wide or differing)[0]


def _row(run: Mapping[str, Any], c: Any) -> dict[str, Any]:
    return {"config": run["config"], "dtype": run.get("dtype", ""), **c.as_dict()}


def judge_rule(report: CheckReport, spec: Any, runs: Sequence[Mapping[str, Any]],
               recs: Mapping[int, Mapping[str, Any]], diagnose: bool) -> CheckReport:
    from optsym.check.compare import compare

    comps = {i: compare(spec, runs[i]["config"], runs[i], rec) for i, rec in recs.items()}
    report.runs = [_row(runs[i], c) for i, c in comps.items()]
    if any(not rec.get("lr_changed", True) for rec in recs.values()):
        report.notes.append("the target exposes no learning rate a training loop could change "
                            "(no param_groups, no lr attribute): it ran at a constant lr")
    states = sorted({n for c in comps.values() for n in c.compared if n != "param"})
    report.notes.append("compared: the parameters" + (
        f" and the state {', '.join(states)}" if states else " (no state exposed under a "
        "name optsym knows)"))
    differing = [i for i, c in comps.items() if not c.equal]
    if not differing:
        report.verdict = "bitwise" if all(c.mode == "bitwise" for c in comps.values()) \
            else "equal"
        return report
    report.verdict = "different"
    i = _pick(differing, runs)
    c = comps[i]
    report.first = {**(c.first or {}), "config": runs[i]["config"], "dtype": runs[i]["dtype"],
                    "diverged": c.diverged, "gap": c.gap}
    if diagnose:
        from optsym.check.diagnose import diagnose as search

        d = search(spec, runs, recs, i)
        if d.variants:
            report.diagnosis = {
                "variant": d.name, "description": d.description, "tried": d.tried,
                "evidence": (f"this variant of the spec, generated and run as the spec is, "
                             f"reproduces the target on all {len(recs)} runs "
                             f"({d.comparison.mode}, worst error/bound "
                             f"{d.comparison.worst_ratio:.3g})")}
        else:
            report.diagnosis = {"variant": None, "tried": d.tried, "reproducer": (
                f"{_label(runs[i]['config'])}, {runs[i]['dtype']}, step {c.first['step']}, "
                f"{c.first['tensor']}; first to differ: {', '.join(c.diverged)}")}
    return report


def judge_schedule(report: CheckReport, spec: Any, runs: Sequence[Mapping[str, Any]],
                   recs: Mapping[int, Mapping[str, Any]], diagnose: bool) -> CheckReport:
    from optsym.check.schedule_check import compare_schedule, diagnose_schedule

    comps = {i: compare_schedule(spec, runs[i]["config"], rec["lrs"]) for i, rec in recs.items()}
    report.runs = [_row(runs[i], c) for i, c in comps.items()]
    differing = [i for i, c in comps.items() if not c.equal]
    if not differing:
        report.verdict = "bitwise" if all(c.mode == "bitwise" for c in comps.values()) \
            else "equal"
        return report
    report.verdict = "different"
    i = differing[0]
    c = comps[i]
    report.first = {**(c.first or {}), "config": runs[i]["config"], "schedule": True,
                    "diverged": [], "gap": c.gap}
    if diagnose:
        hit = diagnose_schedule(spec, runs[i]["config"], recs[i]["lrs"])
        if hit is not None:
            v, vc = hit
            report.diagnosis = {"variant": v.name, "description": v.description, "tried": 0,
                                "evidence": "this variant of the spec's closed form, generated "
                                            f"as the spec is, reproduces every lr (worst "
                                            f"error/bound {vc.worst_ratio:.3g})"}
        else:
            report.diagnosis = {"variant": None, "tried": len(recs), "reproducer": (
                f"{_label(runs[i]['config'])}, k = {c.first['step']}")}
    return report
