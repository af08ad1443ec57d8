"""CUDA: run verify on the GPU where one exists; skip with the reason where none does."""

from __future__ import annotations

import pytest
import torch

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="no CUDA device on this machine (CI has none)")


@pytest.mark.parametrize("name", ["sgd", "adagrad", "rmsprop", "adam", "adamw"])
def test_verify_on_cuda(run_json, name):
    code, out = run_json("verify", name, "--device", "cuda", "--backend", "torch-parity")
    assert code == 0, [r for r in out["results"] if not r["passed"]]
    assert {r["device"] for r in out["results"]} == {"cuda"}
