r"""The verdict of ``optsym check``: what the command prints, what ``--json`` prints.

``verdict`` is one of ``bitwise`` (same bits as torch's order at every step), ``equal`` (within
the rounding bound of the spec), ``different`` (with the first step and element, the gap after
the last step, and the named variant that reproduces the target, or a reproducer), or
``fault`` (the target raised, hung, exited or returned a wrong shape: the step, and the
user's own traceback).  ``passed`` is True for the first two; the exit status is 0 or 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VERDICT_TEXT = {
    "bitwise": "EQUAL, bitwise: the same bits as torch's operation order at every step",
    "equal": "EQUAL within the rounding bound of the spec's textbook form",
    "different": "DIFFERENT",
    "fault": "FAULT",
}


@dataclass
class CheckReport:
    target: str
    spec: str
    domain: str  # rule | schedule
    verdict: str
    kind: str = ""
    mapping: str = ""
    runs: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    first: dict[str, Any] | None = None
    diagnosis: dict[str, Any] | None = None
    fault: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    steps: int = 0

    @property
    def passed(self) -> bool:
        return self.verdict in ("bitwise", "equal")

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "spec": self.spec, "domain": self.domain,
                "kind": self.kind, "mapping": self.mapping, "verdict": self.verdict,
                "passed": self.passed, "steps": self.steps, "first_difference": self.first,
                "diagnosis": self.diagnosis, "fault": self.fault, "runs": self.runs,
                "skipped_configs": self.skipped, "notes": self.notes}

    def _head(self) -> list[str]:
        out = [f"target: {self.target} ({self.kind})" if self.kind else
               f"target: {self.target}", f"spec: {self.spec}"]
        if self.mapping:
            out.append(f"mapped: {self.mapping}")
        if self.runs:
            configs = {_label(r["config"]) for r in self.runs}
            dtypes = sorted({r["dtype"] for r in self.runs if r.get("dtype")})
            what = f"{len(configs)} configuration(s)"
            if dtypes:
                what += f" x {', '.join(dtypes)}"
            out.append(f"ran: {what}, {self.steps} steps each")
        if self.skipped:
            why = ("an optax transformation is one configuration: give its hyperparameters as "
                   "options" if self.kind == "optax" else "the target takes no such option")
            out.append(f"not run ({why}): " + "; ".join(_label(s) for s in self.skipped))
        return out

    def lines(self) -> list[str]:
        text = VERDICT_TEXT[self.verdict]
        if self.domain == "schedule":
            text = text.replace("textbook form", "closed form").replace("every step", "every k")
        out = self._head() + [f"verdict: {text}"]
        if self.fault is not None:
            out.append("  " + fault_line(self.fault))
            tb = self.fault.get("traceback")
            if tb:
                out += ["  the target's traceback:"] + ["    " + x for x in tb.splitlines()]
            return out + [f"note: {n}" for n in self.notes]
        if self.first is not None:
            out.append("  first difference: " + difference_line(self.first))
            if self.first.get("diverged"):
                out.append("  differing first: " + ", ".join(self.first["diverged"]))
            out.append(f"  largest |target - spec| over the {self.steps} learning rates: "
                       f"{self.first['gap']:.6g}" if self.domain == "schedule" else
                       f"  gap after {self.steps} steps: {self.first['gap']:.6g} (largest "
                       "|target - spec| over the parameters, the spec run freely)")
        if self.diagnosis is not None:
            d = self.diagnosis
            if d.get("variant"):
                out.append(f"diagnosis: {d['variant']}: {d['description']}")
                out.append(f"  {d['evidence']}")
            else:
                out.append(f"diagnosis: none of the {d['tried']} catalogue variants (and pairs) "
                           "reproduces the target")
                out.append(f"  reproducer: {d['reproducer']}")
        elif self.passed and self.runs:
            worst = max((r.get("worst_ratio") or 0.0) for r in self.runs)
            modes = sorted({r["mode"] for r in self.runs})
            out.append(f"  compared: {', '.join(modes)}; worst error/bound {worst:.3g}")
        return out + [f"note: {n}" for n in self.notes]


def _label(config: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in config.items()) or "defaults"


def difference_line(first: dict[str, Any]) -> str:
    where = f"{_label(first.get('config', {}))}"
    if first.get("dtype"):
        where += f", {first['dtype']}"
    at = f"k = {first['step']}" if first.get("schedule") else \
        f"step {first['step']}, {first['tensor']}"
    bound = "" if first.get("bound") is None else f", bound {first['bound']:.3g}"
    nan = " (NaN in the target)" if first["target"] != first["target"] else ""
    return f"{where}, {at}: target {first['target']!r} vs spec {first['spec']!r}{bound}{nan}"


def fault_line(fault: dict[str, Any]) -> str:
    what = {"raises": "raised", "hangs": "hung", "exits": "exited",
            "wrong-shape": "returned a wrong shape", "nan": "returned NaN", "wrong-dtype": "changed the dtype"
            }.get(fault["kind"], fault["kind"])
    where = f" at step {fault['step']}" if fault.get("step") else " while loading"
    cfg = "" if fault.get("config") is None else f" ({_label(fault['config'])}, " \
        f"{fault.get('dtype', '')})"
    return f"the target {what}{where}{cfg}: {fault['message']}"
