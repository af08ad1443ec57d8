"""The functional-API reference used by verify equals the torch.optim classes, bit for bit.

verify calls torch's functional API (it does not import torch._dynamo, which keeps the CLI quick)
with state set up as each class sets it up; this test makes sure that shortcut is torch itself.
"""

from __future__ import annotations

import pytest
import torch

from optsym import rules
from optsym.verify.reference import run_reference, run_torch_class
from optsym.verify.stream import make_problem

CASES = [(r.name, i, path) for r in rules.all_rules() for i in range(len(r.sweep))
         for path in r.path_names]
FLAGS = {"single": {"foreach": False}, "foreach": {"foreach": True}, "fused": {"fused": True}}


@pytest.mark.parametrize(("name", "index", "path"), CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_functional_reference_matches_optimizer_class(name, index, path, dtype):
    rule = rules.get(name)
    cfg = rule.config(rule.sweep[index])
    problem = make_problem(15, seed=3)
    params = [torch.tensor(p, dtype=dtype) for p in problem.params]
    grads = [[torch.tensor(x, dtype=dtype) for x in g] for g in problem.grads]
    ours = run_reference(name, cfg, params, grads, path)
    theirs = run_torch_class(name, cfg, params, grads, **FLAGS[path])
    assert len(ours) == len(theirs) == 16
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert a.keys() == b.keys()
        for key in a:
            for x, y in zip(a[key], b[key]):
                assert torch.equal(x, y), (k, key)


def test_gradient_stream_has_the_hard_cases():
    problem = make_problem(100, seed=0)
    import numpy as np

    allg = np.concatenate([np.ravel(x) for g in problem.grads for x in g])
    nonzero = np.abs(allg[allg != 0])
    assert (allg == 0).mean() > 0.05
    assert nonzero.min() < 1e-7 and nonzero.max() > 1e2
    first = np.ravel(problem.grads[0][0])
    later = np.ravel(problem.grads[1][0])
    assert (np.sign(first) * np.sign(later) < 0).any()
