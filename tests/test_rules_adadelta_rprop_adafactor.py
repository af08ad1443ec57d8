"""Adadelta and Rprop (issue 7): bitwise parity with torch 2.13, torch's messages, mutations."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp
import torch

from optsym import rules
from optsym.codegen.module import generate, load
from optsym.ops import AddCMul, TMul
from optsym.proof import prove_rule
from optsym.rules import adadelta as adadelta_mod
from optsym.rules import rprop as rprop_mod
from optsym.spec import Assign, g
from optsym.verify.reference import run_reference
from optsym.verify.runner import verify
from optsym.verify.stream import make_problem

NAMES = ["adadelta", "rprop"]


@pytest.mark.parametrize("name", NAMES)
def test_verify_passes_with_bitwise_parity_over_the_sweep(run_json, name):
    code, out = run_json("verify", name, "--steps", "100")
    assert code == 0 and out["passed"], [r for r in out["results"] if not r["passed"]]
    parity = [r for r in out["results"] if r["backend"] == "torch-parity"]
    assert len(parity) == 2 * len(rules.get(name).sweep)
    assert {r["dtype"] for r in parity} == {"float32", "float64"}
    assert all(r["max_ulp"] == 0 and r["mode"] == "trajectory" for r in parity)
    textbook = [r for r in out["results"] if r["backend"] != "torch-parity"]
    assert textbook and all(r["worst_ratio"] is not None and r["worst_ratio"] <= 1
                            for r in textbook)


@pytest.mark.parametrize(("args", "message"), [
    (["adadelta", "--rho", "1.5"], "Invalid rho value: 1.5"),
    (["adadelta", "--lr", "-1"], "Invalid learning rate: -1"),
    (["adadelta", "--eps", "-0.5", "--rho", "2"], "Invalid rho value: 2"),  # torch's order
    (["adadelta", "--weight-decay", "-0.1"], "Invalid weight_decay value: -0.1"),
    (["rprop", "--etaminus", "1.0", "--etaplus", "0.5"], "Invalid eta values: 1, 0.5"),
    (["rprop", "--etaplus", "0.9"], "Invalid eta values: 0.5, 0.9"),
    (["rprop", "--lr", "-1", "--etaplus", "0.9"], "Invalid learning rate: -1"),
])
def test_bad_hyperparameters_get_torchs_message(run_cli, args, message):
    result = run_cli("verify", *args, "--steps", "2")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"optsym: error: {message}"


def test_torch_says_the_same():
    """The messages above are torch's own (torch's constructors, called here directly)."""
    p = [torch.nn.Parameter(torch.zeros(2))]
    with pytest.raises(ValueError, match=r"^Invalid rho value: 1.5$"):
        torch.optim.Adadelta(p, rho=1.5)
    with pytest.raises(ValueError, match=r"^Invalid eta values: 0.5, 0.9$"):
        torch.optim.Rprop(p, etas=(0.5, 0.9))


def test_generated_step_validates_rho():
    rule = rules.get("adadelta")
    ns = load(generate(rule, rule.config({}), "numpy"))
    p = [np.ones(2, dtype=np.float32)]
    with pytest.raises(ValueError, match=r"^Invalid rho value: 2$"):
        ns["step"](p, [np.ones(2, dtype=np.float32)], ns["init_state"](p), rho=2)


def test_rprop_sweep_reaches_both_clips_and_sign_changes():
    """The stream exercises what Rprop's selections do: both clip bounds and zeroed steps."""
    rule = rules.get("rprop")
    problem = make_problem(100, seed=0)
    params = [torch.tensor(p, dtype=torch.float32) for p in problem.params]
    grads = [[torch.tensor(x, dtype=torch.float32) for x in gr] for gr in problem.grads]
    low = run_reference("rprop", rule.config({}), params, grads)
    assert any((s == np.float32(1e-6)).any() for s in low[-1]["step_size"])
    high_cfg = rule.config(rule.sweep[-1])
    high = run_reference("rprop", high_cfg, params, grads)
    assert any((s == np.float32(0.15)).any() for snap in high for s in snap["step_size"])
    zeroed = sum(int(((p == 0) & (gr != 0)).sum())
                 for snap, gs in zip(low[1:], grads) for p, gr in zip(snap["prev"], gs))
    assert zeroed > 100


def _replace(eqs, target, expr):
    return tuple(Assign(e.target, expr, e.note) if e.target == target else e for e in eqs)


def test_adadelta_with_rho_swapped_fails():
    """rho and 1 - rho swapped in the squared-gradient average: parity, textbook and proof."""
    rule = rules.get("adadelta")
    m = adadelta_mod

    def implementation(cfg):
        return _replace(m.implementation(cfg), m.v, AddCMul(TMul(m.v, 1 - m.rho), g, g, m.rho))

    def textbook(cfg):
        return _replace(m.textbook(cfg), m.v, (1 - m.rho) * m.v + m.rho * g**2)

    bad_impl = dataclasses.replace(rule, implementation=implementation)
    report = verify(bad_impl, [{}], backends=("torch-parity",), steps=5)
    assert not report.passed and report.results[0].failure.startswith("step 1, param[0]")
    assert not all(ob.holds for ob in prove_rule(bad_impl, bad_impl.config({})))
    bad_book = dataclasses.replace(rule, textbook=textbook)
    report = verify(bad_book, [{}], backends=("numpy",), dtypes=("float64",), steps=5)
    assert not report.passed


def test_rprop_without_sign_change_zeroing_fails():
    """iRprop- skips the step after a sign change; dropping that must be caught everywhere."""
    rule = rules.get("rprop")
    m = rprop_mod

    def implementation(cfg):
        return tuple(e for e in m.implementation(cfg) if not (e.target == g and "etaminus"
                                                              in e.note))

    def textbook(cfg):
        return tuple(e for e in m.textbook(cfg) if not (e.target == g
                                                        and isinstance(e.expr, sp.Piecewise)))

    assert len(implementation(rule.config({}))) == len(m.implementation(rule.config({}))) - 1
    bad_impl = dataclasses.replace(rule, implementation=implementation)
    report = verify(bad_impl, [{}], backends=("torch-parity",), steps=10)
    assert not report.passed
    failing = [ob.output for ob in prove_rule(bad_impl, bad_impl.config({})) if not ob.holds]
    assert failing == ["param", "prev"]
    bad_book = dataclasses.replace(rule, textbook=textbook)
    report = verify(bad_book, [{}], backends=("numpy",), dtypes=("float32",), steps=10)
    assert not report.passed


def test_rprop_proof_needs_the_eta_facts():
    """Without 0 < etaminus < 1 < etaplus the mask ``sign == etaminus`` is not a sign change."""
    rule = dataclasses.replace(rules.get("rprop"), proof_facts=())
    obligations = prove_rule(rule, rule.config({}))
    assert [ob.output for ob in obligations if ob.method is None] == ["param", "prev"]
