"""The GPU check script's logic, run on the CPU (the real run needs a machine with CUDA)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"


def _module():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_quick_cpu_record(tmp_path):
    out = tmp_path / "record.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--quick",
                           "--rules", "adam", "--steps", "3", "--out", str(out)],
                          capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    record = json.loads(out.read_text())
    assert record["environment"]["device"] == "cpu"
    rows = record["verify"]
    # every path each rule declares, both dtypes, the parity backend only
    from optsym import rules

    expected = {(n, p) for n in ("adam",) for p in rules.get(n).path_names}
    assert {(r["rule"], r["path"]) for r in rows} == expected
    assert {r["dtype"] for r in rows} == {"float32", "float64"}
    assert {r["backend"] for r in rows} == {"torch-parity"}
    single = [r for r in rows if r["path"] == "single"]
    assert all(r["passed"] and r["max_ulp"] == 0 for r in single), single
    assert record["bandwidth"]["gb_per_s"] > 0
    assert record["summary"]["verify_rows"] == len(rows)


def test_a_failing_or_broken_run_is_recorded_not_hidden():
    mod = _module()
    failing = {"timed_out": False, "wall_s": 1.0, "stderr": "", "stdout": json.dumps(
        {"results": [{"dtype": "float32", "backend": "torch-parity", "device": "cuda",
                      "max_ulp": 3, "passed": False, "criterion": "bitwise",
                      "overrides": {"lr": 0.1}, "failure": "step 1, param[0]"},
                     {"dtype": "float32", "backend": "torch-parity", "device": "cuda",
                      "max_ulp": 0, "passed": True, "criterion": "bitwise",
                      "overrides": {}, "failure": None}]})}
    (row,) = mod.summarize_verify("adam", "foreach", failing)
    assert row["passed"] is False and row["max_ulp"] == 3 and row["configs"] == 2
    assert row["failures"] == [{"config": {"lr": 0.1}, "failure": "step 1, param[0]"}]
    broken = {"timed_out": False, "wall_s": 0.5, "stdout": "",
              "stderr": "Traceback...\noptsym: error: no CUDA device"}
    (row,) = mod.summarize_verify("adam", "single", broken)
    assert row["passed"] is False and row["error"] == "optsym: error: no CUDA device"
    hung = {"timed_out": True, "wall_s": 120, "stdout": "", "stderr": ""}
    assert mod.summarize_verify("adam", "single", hung)[0]["error"] == "timed out"


def test_shell_wrapper_is_valid_and_keeps_the_cpu_pin_out():
    text = (ROOT / "benchmarks" / "gpu_check.sh").read_text()
    assert subprocess.run(["bash", "-n", str(ROOT / "benchmarks" / "gpu_check.sh")]).returncode == 0
    assert "constraints-cpu.txt" not in [w for line in text.splitlines()
                                         if not line.lstrip().startswith("#")
                                         for w in line.split()]
    assert "--no-deps" in text and "gpu_check.py --device cuda" in text
