"""Adadelta, Rprop and Adafactor (issue 7): bitwise parity with torch 2.13, torch's messages,
mutations that verify and the proofs must catch."""

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
from optsym.rules import adafactor as adafactor_mod
from optsym.rules import rprop as rprop_mod
from optsym.spec import Assign, g
from optsym.verify.reference import run_reference
from optsym.verify.runner import verify
from optsym.verify.stream import make_problem


# bitwise parity over each sweep: the generic test in tests/test_verify_rules.py


@pytest.mark.parametrize(("args", "message"), [
    (["adadelta", "--rho", "1.5"], "Invalid rho value: 1.5"),
    (["adadelta", "--lr", "-1"], "Invalid learning rate: -1"),
    (["adadelta", "--eps", "-0.5", "--rho", "2"], "Invalid rho value: 2"),  # torch's order
    (["adadelta", "--weight-decay", "-0.1"], "Invalid weight_decay value: -0.1"),
    (["rprop", "--etaminus", "1.0", "--etaplus", "0.5"], "Invalid eta values: 1, 0.5"),
    (["rprop", "--etaplus", "0.9"], "Invalid eta values: 0.5, 0.9"),
    (["rprop", "--lr", "-1", "--etaplus", "0.9"], "Invalid learning rate: -1"),
    (["adafactor", "--lr", "-1"], "Learning rate should be >= 0 but is: -1"),
    (["adafactor", "--beta2-decay", "0.5"], "beta2_decay should be <= 0 but is: 0.5"),
    (["adafactor", "--eps1", "-1e-30"], "epsilon1 should be >= 0 but is: -1e-30"),
    (["adafactor", "--d", "0", "--eps2", "-1"], "epsilon2 should be >= 0 but is: -1"),
    (["adafactor", "--d", "0.5"], "Clipping threshold d should be >= 1 but is: 0.5"),
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
    with pytest.raises(ValueError, match=r"^epsilon2 should be >= 0 but is: -1$"):
        torch.optim.Adafactor(p, eps=(None, -1), d=0)


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


def test_adafactor_without_update_clipping_fails():
    """torch's update clipping (RMS(U)/d) matters on this stream: leaving it out is caught."""
    rule = rules.get("adafactor")
    m = adafactor_mod

    def implementation(cfg):
        return _replace(m.implementation(cfg), m.denom, sp.Float(1.0))

    bad = dataclasses.replace(rule, implementation=implementation)
    report = verify(bad, [{"d": 1.5}], backends=("torch-parity",), dtypes=("float64",), steps=20)
    assert not report.passed


def test_adafactor_vector_branch_with_decay_swapped_fails():
    """The unfactored second moment with beta2_t and 1 - beta2_t swapped: only the 1-D and 0-D
    tensors are wrong, and the failure names one of them (per-tensor forms really run)."""
    rule = rules.get("adafactor")
    m = adafactor_mod

    def textbook(cfg):
        w = m.t**m.tau
        return _replace(m.textbook(cfg), m.V,
                        m._factored(m.V, w * m.V + (1 - w) * g**2))

    bad = dataclasses.replace(rule, textbook=textbook)
    report = verify(bad, [{}], backends=("numpy",), dtypes=("float64",), steps=5)
    assert not report.passed
    assert "[1]" in report.results[0].failure or "[2]" in report.results[0].failure
    failing = [ob.output for ob in prove_rule(bad, bad.config({})) if not ob.holds]
    assert failing == ["param", "variance"]


def test_adafactor_state_shapes_follow_torch():
    """>= 2-D tensors get (n, 1) and (1, m) factors, the others a full-size variance."""
    rule = rules.get("adafactor")
    ns = load(generate(rule, rule.config({}), "torch-parity"))
    params = [torch.zeros(6, 5), torch.zeros(17), torch.zeros(())]
    state = ns["init_state"](params)
    assert state["row_var"][0].shape == (6, 1) and state["col_var"][0].shape == (1, 5)
    assert state["variance"][1].shape == (17,) and state["variance"][2].shape == ()
    opt = torch.optim.Adafactor([torch.nn.Parameter(p.clone()) for p in params])
    for p in opt.param_groups[0]["params"]:
        p.grad = torch.ones_like(p)
    opt.step()
    first = opt.state[opt.param_groups[0]["params"][0]]
    assert first["row_var"].shape == (6, 1) and first["col_var"].shape == (1, 5)


def test_adafactor_factored_branch_mutation_is_located():
    """A wrong column factor fails on the 2-D tensor (the vectors never run that branch)."""
    rule = rules.get("adafactor")
    m = adafactor_mod

    def textbook(cfg):
        w = m.t**m.tau
        # the old factor not decayed: C + w mean_col(g^2) instead of (1 - w) C + w mean_col(g^2)
        return _replace(m.textbook(cfg), m.C, m._factored(m.C + w * m.Mean(g**2, -2), m.C))

    bad = dataclasses.replace(rule, textbook=textbook)
    report = verify(bad, [{}], backends=("numpy",), dtypes=("float64",), steps=2)
    assert not report.passed  # C starts at 0: the mutation shows from step 2
    failure = report.results[0].failure  # the first failing output of the 2-D tensor 0
    assert failure.startswith(("step 2, param[0][", "step 2, col_var[0][")), failure


def test_adafactor_eps1_none_is_accepted_as_torch_takes_it(run_json, run_cli):
    """``optsym list`` says eps1 is ``>= 0, or None``: ``--eps1 None`` is torch's default."""
    code, out = run_json("verify", "adafactor", "--eps1", "None", "--steps", "10",
                         "--dtype", "float64")
    assert code == 0 and out["passed"]
    assert all(r["config"]["eps1"] is None for r in out["results"])
    bad = run_cli("verify", "adam", "--eps", "None")
    assert bad.exit_code == 2 and "expects a number" in bad.stderr
