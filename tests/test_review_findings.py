"""Checks that cannot be fooled by NaN, infinities, dtype changes or signed zeros."""

from __future__ import annotations

import dataclasses

import numpy as np
import sympy as sp
import torch

from optsym import rules
from optsym.proof import numeric_check
from optsym.rules import adam as adam_mod
from optsym.rules import sgd as sgd_mod
from optsym.spec import Assign, g
from optsym.verify.accumulate import Accumulator as _Accumulator
from optsym.verify.runner import verify


def test_a_rule_that_computes_nan_fails():
    """Adam's update with sqrt(-v_hat): NaN wherever v > 0 must not pass."""
    rule = rules.get("adam")

    def textbook(cfg):
        eqs = adam_mod.textbook(cfg)
        last = eqs[-1]
        bad = adam_mod.theta - adam_mod.lr * adam_mod.m_hat / (sp.sqrt(-adam_mod.v_hat)
                                                                + adam_mod.eps)
        return eqs[:-1] + (Assign(last.target, bad),)

    report = verify(dataclasses.replace(rule, textbook=textbook), [{}],
                    backends=("torch", "numpy"), steps=5)
    assert not report.passed
    assert all("NaN on one side" in r.failure for r in report.results)
    assert all(np.isinf(r.max_abs) for r in report.results)


def test_one_sided_nan_and_opposite_infinities_fail_the_bound():
    ref = np.array([[1.0, np.inf, 2.0]], dtype=np.float32)
    ours = np.array([[np.nan, -np.inf, 2.0]], dtype=np.float32)
    acc = _Accumulator()
    acc.add(ours, ref, ("param", 0), np.full((1, 3), np.inf))
    assert acc.first_failure is not None and np.isinf(acc.max_abs)


def test_a_changed_dtype_fails():
    acc = _Accumulator()
    ref = np.ones((1, 2), dtype=np.float32)
    acc.add(np.ones((1, 2), dtype=np.float64), ref, ("param", 0), np.full((1, 2), 1.0))
    assert "float64" in acc.first_failure


def test_bitwise_parity_sees_the_sign_of_zero():
    acc = _Accumulator()
    acc.add(np.array([[-0.0]], dtype=np.float32), np.array([[0.0]], dtype=np.float32),
            ("param", 0), None)
    assert acc.max_ulp == 0 and "not the same bits" in acc.first_failure


def test_numeric_proof_check_sees_a_missing_step_one_case():
    rule = rules.get("sgd")
    cfg = rule.config({"momentum": 0.9, "dampening": 0.5})
    with_case = sgd_mod._first_step(sgd_mod.mu * sgd_mod.buf + (1 - sgd_mod.tau) * g)
    without = sgd_mod.mu * sgd_mod.buf + (1 - sgd_mod.tau) * g
    assert numeric_check(rule, cfg, with_case, without) > 0


def test_sgd_accepts_nan_like_torch_but_the_cli_refuses_non_finite(run_cli):
    torch.optim.SGD([torch.zeros(1)], lr=float("nan"))  # torch's own check lets NaN through
    assert np.isnan(rules.get("sgd").config({"lr": float("nan")})["lr"])
    assert run_cli("verify", "sgd", "--lr", "nan").exit_code == 2
