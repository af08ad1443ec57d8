r"""Step time and peak memory of optsym's generated ``torch.optim`` classes against torch's own.

For each rule, size and layout, every path steps the same parameters and gradients: torch's
single-tensor (``foreach=False``), foreach and fused optimizers and optsym's generated classes
(``optsym codegen RULE --target torch-optimizer --impl single|foreach|compiled``: in place, in
the operation order of torch's single-tensor path, of its foreach path with
``torch._foreach_*`` calls, and each tensor's update one ``torch.compile`` kernel, compiled in
the warm-up step).  Lion and LAMB, which torch lacks, are timed against optsym's single-tensor
class.  Times are medians over ``--rounds`` rounds of ``--steps`` steps, the paths interleaved
within each round (every other round in reverse) so that they share the machine's state; a
ratio is the median over rounds of the two paths' times in the same round: to torch
single-tensor, and as *parity* each optsym class against the torch path it follows (optsym
single / torch single, optsym foreach / torch foreach; target <= 1).  ``--clock cpu`` (the
default on CPU) times the process's CPU time, which other processes on a shared machine do not
inflate; ``--clock wall`` the elapsed time.

Beside them the *bandwidth floor*: the bytes a step must read and write once (rule's tensors
per parameter x dtype size, e.g. Adam reads p, g, m, v and writes p, m, v: 28 bytes a float32
parameter) divided by the machine's copy bandwidth, measured here with ``Tensor.copy_``.

Peak memory (``--memory``, in a child process where glibc maps every allocation over 64 KiB on
its own, so a freed temporary leaves the resident set): after one warm-up step (the state
allocated), the high-water mark of the resident set over ``--steps`` more steps (reset through
``/proc/self/clear_refs``), less the resident set before them: the step's own temporary memory.
On CUDA, the allocator's peak.

    python benchmarks/step_speed.py [--sizes 1e6,1e7] [--tensors 1,100] [--rules adam,sgd]
                                    [--device cpu|cuda] [--clock cpu|wall] [--memory]
                                    [--rounds 7] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import platform
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import torch

#: rule -> (torch class or None where torch has none, options, tensors read + written per
#: parameter in one step)
RULES: dict[str, tuple[str | None, dict, int]] = {
    "adam": ("Adam", {"lr": 1e-3}, 7),
    "adamw": ("AdamW", {"lr": 1e-3, "weight_decay": 1e-2}, 7),
    "sgd": ("SGD", {"lr": 1e-2, "momentum": 0.9}, 5),
    "rmsprop": ("RMSprop", {"lr": 1e-2}, 5),
    "adagrad": ("Adagrad", {"lr": 1e-2}, 5),
    "nadam": ("NAdam", {"lr": 2e-3}, 7),
    "radam": ("RAdam", {"lr": 1e-3}, 7),
    "adamax": ("Adamax", {"lr": 2e-3}, 7),
    "adadelta": ("Adadelta", {"lr": 1.0}, 7),
    "lion": (None, {"lr": 1e-4}, 5),
    "lamb": (None, {"lr": 1e-3}, 7),
}
PATHS = ("torch single", "torch foreach", "torch fused", "optsym single", "optsym foreach",
         "optsym compiled")
#: each optsym class and the torch path whose operation order it follows
PARITY = {"optsym single": "torch single", "optsym foreach": "torch foreach"}


def _params(size: int, tensors: int, device: str, seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    per = size // tensors
    out = []
    for _ in range(tensors):
        p = torch.nn.Parameter(torch.randn(per, generator=g).to(device))
        p.grad = torch.randn(per, generator=g).to(device) * 1e-2
        out.append(p)
    return out


def _optimizer(rule: str, path: str, params: list[torch.Tensor]) -> torch.optim.Optimizer | None:
    name, options, _ = RULES[rule]
    if path.startswith("optsym"):
        from optsym import api
        from optsym.spec import SpecError

        try:
            return api.optimizer_class(rule, options, path=path.split()[1])(params, **options)
        except SpecError:  # no compiled path for this rule (NAdam's per-tensor numbers)
            return None
    if name is None:
        return None
    cls = getattr(torch.optim, name)
    flag = {"torch single": {"foreach": False}, "torch foreach": {"foreach": True},
            "torch fused": {"fused": True}}[path]
    try:
        return cls(params, **options, **flag)
    except (TypeError, RuntimeError, ValueError):  # no fused kernel for this rule or device
        return None


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


#: the clocks a step may be timed with: the process's CPU time (all its threads; what other
#: processes on a shared machine take from it does not count) or wall-clock time
CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def _timed(opt: torch.optim.Optimizer, steps: int, device: str,
           clock: Callable[[], float] = time.perf_counter) -> float:
    _sync(device)
    start = clock()
    for _ in range(steps):
        opt.step()
    _sync(device)
    return (clock() - start) / steps


def copy_bandwidth(device: str, size: int = 20_000_000, rounds: int = 7) -> float:
    """Bytes per second of ``b.copy_(a)`` (each element read once and written once)."""
    a = torch.randn(size, device=device)
    b = torch.empty_like(a)
    times = []
    for _ in range(rounds):
        _sync(device)
        start = time.perf_counter()
        b.copy_(a)
        _sync(device)
        times.append(time.perf_counter() - start)
    return 2 * a.element_size() * size / statistics.median(times)


def _paired(samples: dict[str, list[float]], path: str, base: str) -> float:
    """The median over rounds of ``path``'s time over ``base``'s in the same round (two
    neighbours in time share the machine's load, which a ratio of medians would not)."""
    return statistics.median(a / b for a, b in zip(samples[path], samples[base]))


def speed(rule: str, size: int, tensors: int, device: str, steps: int, rounds: int,
          bandwidth: float, clock: str = "wall") -> dict:
    """Median seconds per step of every path; its ratio to torch single-tensor and each optsym
    class's to the torch path it follows, as medians of the ratios within a round."""
    optimizers: dict[str, torch.optim.Optimizer] = {}
    for path in PATHS:
        opt = _optimizer(rule, path, _params(size, tensors, device))
        if opt is not None:
            opt.step()  # warm-up: state allocated, kernels chosen
            optimizers[path] = opt
    samples: dict[str, list[float]] = {p: [] for p in optimizers}
    order = list(optimizers.items())
    for r in range(rounds):  # every other round in reverse, so that no path always goes first
        for path, opt in (order if r % 2 == 0 else order[::-1]):
            samples[path].append(_timed(opt, steps, device, CLOCKS[clock]))
    median = {p: statistics.median(s) for p, s in samples.items()}
    base = "torch single" if "torch single" in samples else "optsym single"
    floor = RULES[rule][2] * 4 * size / bandwidth
    return {"rule": rule, "size": size, "tensors": tensors, "device": device, "clock": clock,
            "seconds": median, "samples": samples,
            "base": base, "ratio": {p: _paired(samples, p, base) for p in samples},
            "parity": {p: _paired(samples, p, q) for p, q in PARITY.items()
                       if p in samples and q in samples},
            "fast": ({"vs torch fused": _paired(samples, "optsym compiled", "torch fused")}
                     if "optsym compiled" in samples and "torch fused" in samples else {}),
            "floor_seconds": floor, "vs_floor": {p: t / floor for p, t in median.items()}}


def _status(field: str) -> int:
    """A field of /proc/self/status in bytes (VmRSS: now, VmHWM: the high-water mark)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(f"no {field} in /proc/self/status")


def peak_bytes(opt: torch.optim.Optimizer, steps: int, device: str) -> int | None:
    """The step's own memory beyond what stays allocated: on CUDA the allocator's peak, on
    Linux the resident set's high-water mark (reset through /proc/self/clear_refs) over
    ``steps`` steps less the resident set before them; None where neither can be read."""
    if device == "cuda":
        torch.cuda.synchronize()
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        for _ in range(steps):
            opt.step()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - before
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM to the current resident set
        before = _status("VmRSS")
        for _ in range(steps):
            opt.step()
        return max(_status("VmHWM") - before, 0)
    except OSError:
        return None


#: glibc serves allocations below its (self-raising) mmap threshold from a heap it keeps, so a
#: freed temporary would stay resident and the high-water mark miss the next one; a fixed low
#: threshold (set before the process starts) maps every tensor and unmaps it when freed
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "65536"}


def peaks_in_child(cases: list[tuple[str, int, int]], device: str, steps: int
                   ) -> list[dict[str, int | None]]:
    """:func:`peak` of every (rule, size, tensors) in a fresh process under :data:`MALLOC_ENV`."""
    proc = subprocess.run([sys.executable, __file__, "--peaks", json.dumps(cases), device,
                           str(steps)], env={**os.environ, **MALLOC_ENV}, capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def peak(rule: str, size: int, tensors: int, device: str, steps: int) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for path in PATHS:
        opt = _optimizer(rule, path, _params(size, tensors, device))
        if opt is None:
            out[path] = None
            continue
        opt.step()  # the state allocated: only the step's temporaries remain to be measured
        out[path] = peak_bytes(opt, steps, device)
        del opt
    return out


def _table(rows: list[dict], key: str, fmt: Callable[[float], str],
           paths: tuple[str, ...] = PATHS) -> list[str]:
    head = "| rule | size | tensors | " + " | ".join(paths) + " |"
    lines = [head, "|" + "---|" * (3 + len(paths))]
    for r in rows:
        cells = [fmt(r[key][p]) if r[key].get(p) is not None else "n/a" for p in paths]
        lines.append(f"| {r['rule']} | {r['size']:.0e} | {r['tensors']} | " + " | ".join(cells)
                     + " |")
    return lines


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--peaks":
        cases, device, steps = json.loads(sys.argv[2]), sys.argv[3], int(sys.argv[4])
        print(json.dumps([peak(r, n, t, device, steps) for r, n, t in cases]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", default=",".join(RULES))
    parser.add_argument("--sizes", default="1e6,1e7")
    parser.add_argument("--tensors", default="1,100")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--clock", default="cpu", choices=sorted(CLOCKS),
                        help="cpu: the process's CPU time (default; robust to other processes "
                             "on a shared machine); wall: elapsed time (use it on CUDA).")
    parser.add_argument("--memory", action="store_true", help="Also measure peak memory.")
    parser.add_argument("--json", default=None, metavar="FILE", help="Write the record here.")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device here")
    rules = [r.strip() for r in args.rules.split(",")]
    unknown = [r for r in rules if r not in RULES]
    if unknown:
        raise SystemExit(f"unknown rule(s) {unknown}; known: {', '.join(RULES)}")
    bandwidth = copy_bandwidth(args.device)
    rows = []
    for size in (int(float(s)) for s in args.sizes.split(",")):
        for tensors in (int(t) for t in args.tensors.split(",")):
            for rule in rules:
                row = speed(rule, size, tensors, args.device, args.steps, args.rounds,
                            bandwidth, "wall" if args.device == "cuda" else args.clock)
                rows.append(row)
                print(f"{rule:8} {size:.0e} x{tensors:<4} " + "  ".join(
                    f"{p}: {row['ratio'][p]:.2f}" for p in PATHS if p in row["ratio"]),
                    file=sys.stderr)
    if args.memory:
        found = peaks_in_child([(r["rule"], r["size"], r["tensors"]) for r in rows],
                               args.device, args.steps)
        for row, p in zip(rows, found):
            row["peak_bytes"] = p
    print(f"copy bandwidth: {bandwidth / 1e9:.1f} GB/s ({args.device}, torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads); clock: {rows[0]['clock']}; "
          f"medians of {args.rounds} rounds of {args.steps} steps, ratios paired within a "
          "round\n")
    print("time per step, ratio to torch single-tensor (lower is faster; Lion and LAMB, which "
          "torch lacks: to optsym single):")
    print("\n".join(_table(rows, "ratio", lambda v: f"{v:.2f}")))
    print("\nparity: each optsym class against the torch path it follows (target <= 1.00):")
    print("\n".join(_table(rows, "parity", lambda v: f"{v:.2f}", tuple(PARITY))))
    for p, q in PARITY.items():
        met = [r for r in rows if r["parity"].get(p, 2) <= 1.0]
        worst = max(rows, key=lambda r: r["parity"].get(p, 0))
        print(f"{p} <= 1.0x {q}: met in {len(met)} of {len(rows)} cases; worst "
              f"{worst['parity'][p]:.2f} ({worst['rule']} {worst['size']:.0e} "
              f"x{worst['tensors']})")
    fused = [r for r in rows if r["fast"]]
    if fused:
        worst = max(fused, key=lambda r: r["fast"]["vs torch fused"])
        print(f"optsym compiled <= 1.3x torch fused: met in "
              f"{sum(r['fast']['vs torch fused'] <= 1.3 for r in fused)} of {len(fused)} cases; "
              f"worst {worst['fast']['vs torch fused']:.2f} ({worst['rule']} "
              f"{worst['size']:.0e} x{worst['tensors']})")
    lacking = [r for r in rows if "torch fused" not in r["vs_floor"]
               and "optsym compiled" in r["vs_floor"]]
    for r in lacking:
        print(f"optsym compiled, no torch fused kernel: {r['rule']} {r['size']:.0e} "
              f"x{r['tensors']}: {r['vs_floor']['optsym compiled']:.1f}x the bandwidth floor "
              f"(target <= 2)")
    print("\ntime per step, ratio to the bandwidth floor:")
    print("\n".join(_table(rows, "vs_floor", lambda v: f"{v:.1f}")))
    if args.memory:
        print("\npeak memory of a step beyond its state, MB:")
        print("\n".join(_table(rows, "peak_bytes", lambda v: f"{v / 2**20:.1f}")))
    if args.json:
        record = {"date": time.strftime("%Y-%m-%d"), "machine": platform.machine(),
                  "processor": platform.processor(), "device": args.device,
                  "torch": torch.__version__, "threads": torch.get_num_threads(),
                  "copy_bandwidth_bytes_per_s": bandwidth, "steps": args.steps,
                  "clock": rows[0]["clock"],
                  "rounds": args.rounds, "rows": rows}
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(record, fh, indent=1)


if __name__ == "__main__":
    main()
