r"""One GPU record: CUDA parity of every rule and path, the step speed, and the copy bandwidth.

Run on a machine with CUDA (``benchmarks/gpu_check.sh`` sets the environment up and calls this);
it writes one JSON record.  Every section has its own time limit, so a slow or failing part is
recorded as such and the rest still runs; the whole is kept well under 10 minutes.

Sections:

* ``environment``: torch and CUDA versions, the device's name and memory;
* ``pytest``: ``pytest tests/test_cuda.py`` (its summary line and exit code);
* ``verify``: ``optsym verify RULE --device DEV --impl PATH --json`` for every rule in the
  registry and every torch path the rule declares, reduced to rule x path x dtype -> max ULP,
  pass/fail and the criterion (bitwise or within the rounding bound);
* ``bandwidth``: the device's measured copy bandwidth (``dst.copy_(src)``, bytes read + written),
  the peak the step-speed ratios are quoted against;
* ``step_speed``: ``benchmarks/step_speed.py --device DEV --json`` when that script exists.

The same script runs on the CPU (``--device cpu --quick``): that is how its logic is tested
without spending GPU time.

    python benchmarks/gpu_check.py --device cuda --out $OUT/2026-12-02-cuda.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(cmd: list[str], timeout: float) -> dict:
    """``cmd`` as a subprocess: exit code, wall seconds, stdout and the tail of stderr."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"cmd": cmd, "rc": None, "timed_out": True, "wall_s": round(timeout, 1),
                "stdout": "", "stderr": ""}
    return {"cmd": cmd, "rc": proc.returncode, "timed_out": False,
            "wall_s": round(time.perf_counter() - start, 2), "stdout": proc.stdout,
            "stderr": proc.stderr[-2000:]}


def optsym_command() -> list[str]:
    """optsym under this interpreter (the one whose torch sees the GPU)."""
    return [sys.executable, "-m", "optsym"]


def environment(device: str) -> dict:
    import torch

    env = {"python": platform.python_version(), "torch": torch.__version__,
           "cuda_available": torch.cuda.is_available(), "device": device,
           "machine": platform.machine(), "cpu_count": os.cpu_count()}
    if device == "cuda" and torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        env.update(cuda=torch.version.cuda, gpu=props.name,
                   gpu_memory_gib=round(props.total_memory / 2**30, 1),
                   multiprocessors=props.multi_processor_count)
    return env


def rule_paths(rules: list[str] | None) -> list[tuple[str, str]]:
    """(rule, path) for every rule in the registry (or ``rules``) and each path it declares."""
    from optsym import rules as registry

    names = rules or registry.names()
    return [(name, path) for name in names for path in registry.get(name).path_names]


def summarize_verify(name: str, path: str, result: dict) -> list[dict]:
    """One row per (dtype, backend) of a ``verify --json`` run: worst ULP and the verdict."""
    if result["timed_out"] or not result["stdout"].strip().startswith("{"):
        why = "timed out" if result["timed_out"] else (result["stderr"].strip().splitlines()
                                                        or ["no output"])[-1]
        return [{"rule": name, "path": path, "dtype": None, "backend": None, "passed": False,
                 "error": why, "wall_s": result["wall_s"]}]
    report = json.loads(result["stdout"])
    rows: dict[tuple[str, str], dict] = {}
    for r in report["results"]:
        key = (r["dtype"], r["backend"])
        row = rows.setdefault(key, {"rule": name, "path": path, "dtype": r["dtype"],
                                    "backend": r["backend"], "device": r["device"],
                                    "configs": 0, "max_ulp": 0, "passed": True,
                                    "criterion": r.get("criterion"), "failures": []})
        row["configs"] += 1
        row["max_ulp"] = max(row["max_ulp"], r["max_ulp"])
        row["passed"] = row["passed"] and r["passed"]
        if not r["passed"]:
            row["failures"].append({"config": r["overrides"], "failure": r.get("failure")})
    return list(rows.values())


def verify_all(device: str, pairs: list[tuple[str, str]], steps: int | None,
               budget_s: float) -> list[dict]:
    """``optsym verify`` for each (rule, path), parity backend, within ``budget_s`` in all."""
    rows: list[dict] = []
    deadline = time.perf_counter() + budget_s
    for name, path in pairs:
        left = deadline - time.perf_counter()
        if left < 5:
            rows.append({"rule": name, "path": path, "passed": False,
                         "error": "not run: the section's time budget was spent"})
            continue
        cmd = optsym_command() + ["verify", name, "--device", device, "--impl", path,
                                  "--backend", "torch-parity", "--json"]
        if steps:
            cmd += ["--steps", str(steps)]
        rows += summarize_verify(name, path, run(cmd, timeout=min(left, 120)))
    return rows


def copy_bandwidth(device: str, nbytes: int, repeats: int = 20) -> dict:
    """Achieved copy bandwidth ``dst.copy_(src)``: (bytes read + bytes written) / time."""
    import torch

    n = nbytes // 4
    src = torch.rand(n, device=device)
    dst = torch.empty_like(src)
    for _ in range(3):
        dst.copy_(src)
    if device == "cuda":
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(repeats):
            dst.copy_(src)
        end.record()
        torch.cuda.synchronize()
        seconds = start.elapsed_time(end) / 1000 / repeats
    else:
        t0 = time.perf_counter()
        for _ in range(repeats):
            dst.copy_(src)
        seconds = (time.perf_counter() - t0) / repeats
    moved = 2 * n * 4
    return {"bytes_per_copy": moved, "seconds_per_copy": seconds,
            "gb_per_s": round(moved / seconds / 1e9, 1), "method": "dst.copy_(src), float32, "
            f"{repeats} copies after 3 warm-ups, bytes read + written"}


def step_speed(device: str, sizes: str, timeout: float) -> dict:
    script = ROOT / "benchmarks" / "step_speed.py"
    if not script.exists():
        return {"skipped": "benchmarks/step_speed.py does not exist yet"}
    result = run([sys.executable, str(script), "--device", device, "--sizes", sizes, "--json"],
                 timeout=timeout)
    if result["rc"] == 0:
        try:
            return {"wall_s": result["wall_s"], "record": json.loads(result["stdout"])}
        except json.JSONDecodeError:
            pass
    return {"wall_s": result["wall_s"], "rc": result["rc"], "timed_out": result["timed_out"],
            "stdout_tail": result["stdout"][-2000:], "stderr_tail": result["stderr"]}


def pytest_cuda(timeout: float) -> dict:
    result = run([sys.executable, "-m", "pytest", "tests/test_cuda.py", "-q", "-rs",
                  "-p", "no:cacheprovider"], timeout=timeout)
    lines = result["stdout"].strip().splitlines()
    summary = next((ln for ln in reversed(lines) if re.search(r"\d+ (passed|failed|skipped)",
                                                              ln)), "")
    return {"rc": result["rc"], "timed_out": result["timed_out"], "wall_s": result["wall_s"],
            "summary": summary.strip("= "), "tail": "\n".join(lines[-30:])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument("--out", type=Path, required=True, help="where the JSON record goes")
    parser.add_argument("--rules", default="", help="comma-separated rules (default: all)")
    parser.add_argument("--steps", type=int, default=None, help="verify --steps (default: its)")
    parser.add_argument("--sizes", default="100000000", help="step benchmark sizes")
    parser.add_argument("--bandwidth-bytes", type=int, default=2**30)
    parser.add_argument("--verify-budget", type=float, default=240.0, help="seconds, in all")
    parser.add_argument("--quick", action="store_true",
                        help="a logic check on the CPU: no pytest, no step benchmark, 16 MB copy")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    record: dict = {"date": datetime.date.today().isoformat(),
                    "command": "python benchmarks/gpu_check.py " + " ".join(argv or sys.argv[1:]),
                    "environment": environment(args.device)}
    if args.device == "cuda" and not record["environment"]["cuda_available"]:
        print("gpu_check: --device cuda but torch sees no CUDA device", file=sys.stderr)
        return 2
    rules = [r for r in args.rules.split(",") if r] or None
    if not args.quick:
        record["pytest"] = pytest_cuda(timeout=180)
    record["verify"] = verify_all(args.device, rule_paths(rules), args.steps, args.verify_budget)
    record["bandwidth"] = copy_bandwidth(args.device, 2**24 if args.quick else
                                         args.bandwidth_bytes)
    if not args.quick:
        record["step_speed"] = step_speed(args.device, args.sizes, timeout=200)
    failed = [f"{r['rule']}/{r['path']}/{r.get('dtype')}" for r in record["verify"]
              if not r["passed"]]
    record["summary"] = {"verify_rows": len(record["verify"]), "verify_failed": failed,
                         "total_wall_s": round(time.perf_counter() - started, 1)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"gpu_check: {len(record['verify'])} verify rows, {len(failed)} failed; "
          f"{record['summary']['total_wall_s']} s; record in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
