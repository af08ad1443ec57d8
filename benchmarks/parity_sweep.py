r"""A randomized parity sweep: random valid configurations of every rule, on every torch path
and dtype, through ``optsym.api.verify`` against the references.

Each configuration draws every real hyperparameter from its spec's sampling interval (uniformly
or log-uniformly) or, three times in ten, from anywhere between 1e-40 and ten times the
interval's top with either sign (so that tiny values such as Adafactor's ``eps1 = 1e-31`` and
negative ones such as its ``beta2_decay`` appear; the spec refuses what is outside its domain,
and that draw is drawn again), every flag
at random, a path among those the rule writes (single, foreach, fused), a dtype and a gradient
seed; a draw the spec refuses (a cross-parameter check) is drawn again.  It prints the counts,
each failure with its first divergence, and with ``--json FILE`` writes them.

    python benchmarks/parity_sweep.py [--n 1000] [--steps 30] [--seed 0] [--rules adam,sgd]
                                      [--json FILE]

Not a unit test (it takes minutes); ``tests/`` runs each rule's fixed sweep.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import sys
import time

import torch

from optsym import api, rules
from optsym.spec import SpecError


def draw(rule, rng: random.Random, steps: int) -> dict:
    """A random configuration the spec accepts for a run of ``steps`` steps."""
    for _ in range(100):
        over = {}
        for h in rule.hypers:
            if h.is_flag:
                over[h.name] = rng.random() < 0.5
            elif h.kind == "real":
                lo, hi = h.sample
                u = rng.random()
                if u < 0.3:  # far outside the sampling interval: tiny, huge or negative
                    value = math.exp(rng.uniform(math.log(1e-40), math.log(max(hi, 1.0) * 10)))
                    value = -value if rng.random() < 0.3 else value
                elif lo > 0 and u < 0.6:
                    value = math.exp(rng.uniform(math.log(lo), math.log(hi)))
                else:
                    value = rng.uniform(lo, hi)
                over[h.name] = float(f"{value:.3g}")
        try:
            rule.check_horizon(rule.config(over), steps)
        except (SpecError, ValueError):
            continue
        return over
    raise SystemExit(f"no valid configuration of {rule.name} in 100 draws")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="configurations in all")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rules", default=",".join(rules.names()))
    ap.add_argument("--json", default=None, metavar="FILE")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    rng = random.Random(args.seed)
    names = [n.strip() for n in args.rules.split(",") if n.strip()]
    start = time.time()
    counts = {"configs": 0, "checks": 0, "passed": 0, "failed": 0, "outside_domain": 0,
              "skipped": 0}
    failures = []
    for i in range(args.n):
        name = names[i % len(names)]
        rule = rules.get(name)
        over = draw(rule, rng, args.steps)
        path = rng.choice(["single", *rule.paths])
        dtype = rng.choice(["float32", "float64"])
        seed = rng.randrange(1000)
        verdict = api.verify(name, over, steps=args.steps, dtypes=(dtype,),
                             impl=None if path == "single" else path, seed=seed or None)
        counts["configs"] += 1
        for r in verdict.report.results:
            counts["checks"] += 1
            if r.skipped:
                counts["skipped"] += 1
            elif r.passed:
                counts["passed"] += 1
            else:
                counts["failed"] += 1
                failures.append({"rule": name, "config": over, "path": path, "dtype": dtype,
                                 "seed": seed, "backend": r.backend, "failure": r.failure})
            counts["outside_domain"] += int(bool(r.outside_domain))
    seconds = time.time() - start
    print(f"{counts['configs']} random configurations of {len(names)} rules ({args.steps} steps, "
          f"seed {args.seed}) in {seconds:.0f} s: {counts['checks']} checks, "
          f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped "
          f"(textbook form outside its domain), {counts['outside_domain']} with elements outside "
          "the rounding bound's domain")
    for f in failures:
        print(f"FAIL {f['rule']} {f['path']} {f['dtype']} {f['backend']} seed {f['seed']} "
              f"{f['config']}: {f['failure']}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"date": time.strftime("%Y-%m-%d"), "torch": torch.__version__,
                       "machine": platform.platform(), "args": vars(args), "counts": counts,
                       "seconds": round(seconds, 1), "failures": failures}, fh, indent=1)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
