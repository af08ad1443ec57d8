r"""``optsym check``: the user's own optimizer or scheduler against optsym's spec.

>>> from optsym.check import check
>>> report = check("tests/check_corpus/adam_no_bias_correction.py:MyAdam", "adam")  # doctest: +SKIP
>>> report.verdict, report.diagnosis["variant"]                                    # doctest: +SKIP
('different', 'no-bias-correction')

The target (a file path or module, ``:NAME``) is loaded and run in a child process with a time
limit (:mod:`optsym.check.sandbox`); a Python object (``optsym.testing.assert_matches``) runs in
this process.  Its recording is compared with the spec's generated code
(:mod:`optsym.check.compare`, :mod:`optsym.check.schedule_check`); a difference is explained by
a variant of the spec (:mod:`optsym.check.diagnose`).  Bad input raises
:class:`~optsym.spec.SpecError` with one line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from optsym.check.report import CheckReport
from optsym.spec import SpecError


def _spec(name: str) -> tuple[str, Any]:
    from optsym import api

    t = api.resolve(name)
    if t.kind not in ("rule", "schedule"):
        raise SpecError(f"optsym check compares optimizer rules and schedules; {name!r} is "
                        f"{'a rule over an objective' if t.kind == 'objective' else t.kind}")
    return t.kind, t.spec


def _execute(request: dict[str, Any], obj: Any, timeout: float) -> dict[str, Any]:
    if obj is not None:
        from optsym.check.child import execute

        return execute(request, obj)
    from optsym.check.sandbox import run_child

    return run_child(request, timeout)


def _fault_report(base: CheckReport, fault: dict[str, Any], run: dict[str, Any] | None
                  ) -> CheckReport:
    base.verdict = "fault"
    base.fault = {**fault, **({} if run is None else {"config": run["config"],
                                                      "dtype": run.get("dtype", "")})}
    return base


def _nan_explained(report: CheckReport, spec: Any, runs: list[dict[str, Any]],
                   recs: dict[int, dict[str, Any]], faults: list[int]) -> CheckReport | None:
    """A target whose parameters became NaN, judged on the steps it made (the NaN step
    included): when a variant of the spec reproduces every run there, NaN where the target is
    NaN and within the bound elsewhere, that is the diagnosis; else None (a fault verdict)."""
    from optsym.check.verdict import judge_rule

    runs, recs = list(runs), dict(recs)
    first = dict(recs[faults[0]]["fault"])
    for i in faults:
        k = recs[i]["fault"]["step"]
        runs[i] = {**runs[i], "grads": runs[i]["grads"][:k], "lrs": runs[i]["lrs"][:k]}
        recs[i] = {**recs[i], "fault": None}
    judged = judge_rule(report, spec, runs, recs, True)
    if judged.diagnosis is None or judged.diagnosis.get("variant") is None:
        return None
    judged.steps = max(len(run["grads"]) for run in runs)
    judged.notes.append(
        f"the target's parameters became NaN at step {first['step']} ({first['message']}) on "
        f"{len(faults)} of {len(recs)} runs; those runs are compared up to that step, and the "
        "variant is NaN exactly where the target is")
    return judged


def _head(target: str, name: str, domain: str, result: dict[str, Any]) -> CheckReport:
    if "usage" in result:
        raise SpecError(result["usage"])
    if "skip" in result:
        raise SpecError(result["skip"])
    return CheckReport(target, name, domain, "equal", result.get("kind", ""),
                       result.get("mapping", ""))


def check(target: str | Any, name: str, options: Mapping[str, Any] | None = None, *,
          steps: int | None = None, dtypes: Sequence[str] | None = None, seed: int = 0,
          timeout: float = 60.0, explicit_map: Mapping[str, str] | None = None,
          diagnose: bool = True) -> CheckReport:
    """Run ``target`` against the spec ``name`` (a rule or a schedule) and say what differs.

    ``options``: one configuration (spec names, typed); none = the spec's sweep, restricted
    to the options the target takes.  ``explicit_map``: ``{target_argument: spec_name}``.
    """
    from optsym.check import runs as R

    domain, spec = _spec(name)
    obj = None if isinstance(target, str) else target
    label = target if isinstance(target, str) else getattr(target, "__qualname__", repr(target))
    if isinstance(target, str):
        from optsym.check.target import TargetError, split_target

        try:
            split_target(target)
        except TargetError as exc:
            raise SpecError(str(exc)) from None
    configs = (R.configurations(spec, options or {}) if domain == "rule"
               else [dict(options or {})])
    if domain == "rule":
        runs = R.rule_runs(spec, configs, steps or R.DEFAULT_STEPS, seed,
                           tuple(dtypes or R.DTYPES))
    else:
        runs = R.schedule_runs(spec, configs, steps)
    request = R.request(spec, "rule" if domain == "rule" else "schedule", label, runs,
                        explicit_map)
    if obj is None:
        request["target"] = target
    result = _execute(request, obj, timeout)
    if "sandbox_fault" in result:
        f = result["sandbox_fault"]
        base = CheckReport(label, spec.name, domain, "fault")
        return _fault_report(base, f, None if f.get("run") is None else runs[f["run"]])
    if "load_fault" in result:
        return _fault_report(CheckReport(label, spec.name, domain, "fault"),
                             result["load_fault"], None)
    report = _head(label, spec.name, domain, result)
    report.steps = (steps or R.DEFAULT_STEPS) if domain == "rule" else runs[0]["steps"]
    report.skipped = [runs[i]["config"] for i in result["skipped"]
                      if runs[i].get("dtype", "float32") == runs[0].get("dtype", "float32")]
    recs = result["runs"]
    if not recs:
        raise SpecError("no configuration of the sweep fits the target's arguments "
                        f"({report.mapping}); give the options with --OPTION VALUE")
    faults = [i for i, rec in recs.items() if rec["fault"] is not None]
    if faults:
        if domain == "rule" and diagnose and all(recs[i]["fault"]["kind"] == "nan"
                                                 for i in faults):
            explained = _nan_explained(report, spec, runs, recs, faults)
            if explained is not None:
                return explained
        return _fault_report(report, recs[faults[0]]["fault"], runs[faults[0]])
    if domain == "rule":
        from optsym.check.verdict import judge_rule

        return judge_rule(report, spec, runs, recs, diagnose)
    from optsym.check.verdict import judge_schedule

    return judge_schedule(report, spec, runs, recs, diagnose)


__all__ = ["check", "CheckReport"]
