"""Cold wall time of ``optsym verify adam`` as a ratio to ``python -c "import torch"``.

Both are measured in the same run, interleaved, as fresh processes; the figure is the ratio of the
medians.  Target (spine issue): at most 1.5x.  Also printed, to show where the time goes: the
import floor of any SymPy-based command (``import torch, sympy``) and the parity backend alone.

    python benchmarks/cli_latency.py [--runs N] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    optsym = shutil.which("optsym")
    base = [optsym] if optsym else [sys.executable, "-m", "optsym"]
    commands = {
        "import torch": [sys.executable, "-c", "import torch"],
        "import torch, sympy": [sys.executable, "-c", "import torch, sympy"],
        "optsym verify adam": base + ["verify", "adam"],
        "optsym verify adam --backend torch-parity": base + ["verify", "adam", "--backend",
                                                             "torch-parity"],
    }
    times: dict[str, list[float]] = {k: [] for k in commands}
    wall(commands["import torch"])  # warm the file cache once; every timed run is a new process
    for _ in range(args.runs):
        for name, cmd in commands.items():
            times[name].append(wall(cmd))
    medians = {k: statistics.median(v) for k, v in times.items()}
    ref = medians["import torch"]
    rows = [{"command": k, "median_s": round(m, 3), "ratio_to_import_torch": round(m / ref, 2)}
            for k, m in medians.items()]
    if args.json:
        print(json.dumps({"runs": args.runs, "target_ratio": 1.5, "rows": rows}, indent=2))
        return
    print(f"{'command':<45} {'median s':>9} {'x import torch':>15}   ({args.runs} runs each)")
    for r in rows:
        print(f"{r['command']:<45} {r['median_s']:>9.3f} {r['ratio_to_import_torch']:>15.2f}")
    ratio = medians["optsym verify adam"] / ref
    print(f"\noptsym verify adam: {ratio:.2f}x import torch (target <= 1.5x: "
          f"{'met' if ratio <= 1.5 else 'NOT met'})")


if __name__ == "__main__":
    main()
