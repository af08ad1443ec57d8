"""CUDA: run verify on the GPU where one exists; skip with the reason where none does.

Every rule in the registry, on every torch path it declares: the parity backend must match torch
on the same device (bitwise where the path is bitwise on the CPU, within the rounding bound where
the rule marks the path inexact).  ``benchmarks/gpu_check.sh`` runs this file on a GPU machine.
"""

from __future__ import annotations

import pytest
import torch

from optsym import rules

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="no CUDA device on this machine (CI has none)")

CASES = [(name, path) for name in rules.names() for path in rules.get(name).path_names]


@pytest.mark.parametrize(("name", "path"), CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_verify_on_cuda(run_json, name, path):
    from optsym.references import MissingReference
    from optsym.verify.reference import reference_class

    try:
        reference_class(name)
    except MissingReference as exc:  # Lion and LAMB need pytorch_optimizer
        pytest.skip(str(exc))
    code, out = run_json("verify", name, "--device", "cuda", "--backend", "torch-parity",
                         "--impl", path)
    assert code == 0, [r for r in out["results"] if not r["passed"]]
    assert {r["device"] for r in out["results"]} == {"cuda"}
