"""Verification has teeth: deliberately wrong specs make it fail, at the right place."""

from __future__ import annotations

import dataclasses

from optsym import rules
from optsym.ops import AddScaled, Lerp, TMul
from optsym.proof import prove_rule
from optsym.rules import adam as adam_mod
from optsym.rules import sgd as sgd_mod
from optsym.spec import Assign, g, t
from optsym.verify.runner import verify


def _replace(eqs, target, expr):
    return tuple(Assign(e.target, expr, e.note) if e.target == target else e for e in eqs)


def test_wrong_bias_correction_fails_textbook_and_proof():
    rule = rules.get("adam")

    def textbook(cfg):  # bias correction with beta2 where beta1 belongs
        return _replace(adam_mod.textbook(cfg), adam_mod.m_hat,
                        adam_mod.m / (1 - adam_mod.beta2**t))

    bad = dataclasses.replace(rule, textbook=textbook)
    report = verify(bad, [{}], backends=("torch", "numpy"), steps=10)
    assert not report.passed
    assert all(r.failure.startswith("step 1, param") for r in report.results)
    assert not all(ob.holds for ob in prove_rule(bad, bad.config({})))


def test_wrong_parity_form_fails_bitwise_and_proof():
    rule = rules.get("adam")

    def implementation(cfg):  # lerp weight beta1 instead of 1 - beta1
        return _replace(adam_mod.implementation(cfg), adam_mod.m,
                        Lerp(adam_mod.m, g, adam_mod.beta1))

    bad = dataclasses.replace(rule, implementation=implementation)
    report = verify(bad, [{}], backends=("torch-parity",), steps=10)
    assert not report.passed
    assert report.results[0].failure.startswith("step 1, param[0]")
    failing = [ob.output for ob in prove_rule(bad, bad.config({})) if not ob.holds]
    assert failing == ["param", "exp_avg"]


def test_missing_step_one_case_fails():
    """SGD's buffer must start at the first gradient (no dampening on step 1)."""
    rule = rules.get("sgd")
    cfg = {"momentum": 0.9, "dampening": 0.5}

    def implementation(c):
        return _replace(sgd_mod.implementation(c), sgd_mod.buf,
                        AddScaled(TMul(sgd_mod.buf, sgd_mod.mu), g, 1 - sgd_mod.tau))

    def textbook(c):
        return _replace(sgd_mod.textbook(c), sgd_mod.buf,
                        sgd_mod.mu * sgd_mod.buf + (1 - sgd_mod.tau) * g)

    bad = dataclasses.replace(rule, implementation=implementation, textbook=textbook)
    report = verify(bad, [cfg], steps=10)
    assert not report.passed
    assert all(r.failure.startswith("step 1,") for r in report.results)


def test_fused_op_order_matters_at_the_last_bit():
    """Writing Adam's second moment as a textbook EMA in the parity backend is not bit-exact:
    the 0-ULP criterion sees the operation order, not just the mathematics."""
    rule = rules.get("adam")
    v, beta2 = adam_mod.v, adam_mod.beta2

    def implementation(cfg):
        return _replace(adam_mod.implementation(cfg), v, beta2 * v + (1 - beta2) * g**2)

    bad = dataclasses.replace(rule, implementation=implementation)
    assert all(ob.holds for ob in prove_rule(bad, bad.config({})))  # same mathematics
    report = verify(bad, [{}], backends=("torch-parity",), dtypes=("float32",), steps=50)
    assert not report.passed and report.results[0].max_ulp > 0
