"""NAdam, RAdam, Adamax and ASGD: bitwise parity with torch.optim, torch's validation, teeth.

The reference is torch itself (its functional API; tests/test_reference.py checks it against the
classes).  The mutations show that a formula with a term missing cannot pass.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from optsym import rules
from optsym.ops import AddCDiv, AddScaled, TMul
from optsym.proof import prove_rule
from optsym.rules import asgd as asgd_mod
from optsym.rules import nadam as nadam_mod
from optsym.rules import radam as radam_mod
from optsym.spec import Assign, theta
from optsym.verify.runner import verify


# bitwise parity over each sweep: the generic test in tests/test_verify_rules.py


def test_scalar_state_is_float32_like_torchs(run_cli):
    """NAdam's mu_product and ASGD's eta and mu are 0-d float32 tensors, as torch keeps them,
    also for float64 parameters (verify compares dtypes, so a float64 copy would fail)."""
    from optsym.codegen.module import generate, load

    rule = rules.get("asgd")
    ns = load(generate(rule, rule.config({"t0": 3}), "torch-parity"))
    params = [torch.ones(3, dtype=torch.float64)]
    state = ns["init_state"](params)
    for _ in range(5):
        ns["step"](params, [torch.full((3,), 0.5, dtype=torch.float64)], state)
    assert state["eta"][0].dtype == torch.float32 and state["eta"][0].dim() == 0
    opt = torch.optim.ASGD([torch.nn.Parameter(torch.ones(3, dtype=torch.float64))], t0=3)
    for _ in range(5):
        opt.param_groups[0]["params"][0].grad = torch.full((3,), 0.5, dtype=torch.float64)
        opt.step()
    theirs = opt.state[opt.param_groups[0]["params"][0]]
    for key in ("eta", "mu", "ax"):
        assert torch.equal(state[key][0], theirs[key]), key
    assert torch.equal(params[0], opt.param_groups[0]["params"][0].detach())


def _torch_message(cls_name: str, **kwargs) -> str:
    with pytest.raises(ValueError) as err:
        getattr(torch.optim, cls_name)([torch.nn.Parameter(torch.zeros(1))], **kwargs)
    return str(err.value)


BAD = [
    # (CLI arguments, torch class, the same values for torch)
    (["nadam", "--momentum-decay", "-1"], "NAdam", {"momentum_decay": -1}),
    (["nadam", "--beta1", "1.5"], "NAdam", {"betas": (1.5, 0.999)}),
    (["nadam", "--momentum-decay", "-1", "--weight-decay", "-2"], "NAdam",
     {"momentum_decay": -1, "weight_decay": -2}),
    (["radam", "--beta2", "1.5", "--eps", "-1"], "RAdam", {"betas": (0.9, 1.5), "eps": -1}),
    (["radam", "--weight-decay", "-0.5"], "RAdam", {"weight_decay": -0.5}),
    (["adamax", "--eps", "-1"], "Adamax", {"eps": -1}),
    (["adamax", "--beta2", "-0.5", "--lr", "-1"], "Adamax", {"betas": (0.9, -0.5), "lr": -1}),
    (["asgd", "--lr", "-0.5"], "ASGD", {"lr": -0.5}),
    (["asgd", "--weight-decay", "-1"], "ASGD", {"weight_decay": -1}),
]


@pytest.mark.parametrize(("args", "cls_name", "kwargs"), BAD)
def test_bad_hyperparameters_give_torchs_message(run_cli, args, cls_name, kwargs):
    result = run_cli("verify", *args)
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines == [f"optsym: error: {_torch_message(cls_name, **kwargs)}"]


def _replace(eqs, target, expr):
    return tuple(Assign(e.target, expr, e.note) if e.target == target else e for e in eqs)


def test_nadam_without_the_next_momentum_term_fails():
    """Drop the Nesterov look-ahead (the exp_avg addcdiv with mu_next): parity and proof fail."""
    rule = rules.get("nadam")

    def implementation(cfg):
        eqs = nadam_mod.implementation(cfg)
        return tuple(e for e in eqs if not (e.target == theta and isinstance(e.expr, AddCDiv)
                                            and e.expr.args[1] == nadam_mod.m))

    bad = dataclasses.replace(rule, implementation=implementation)
    report = verify(bad, [{}], backends=("torch-parity",), dtypes=("float32",), steps=5)
    assert not report.passed and report.results[0].failure.startswith("step 1, param[0]")
    failing = [ob.output for ob in prove_rule(bad, bad.config({})) if not ob.holds]
    assert failing == ["param"]


def test_nadam_float64_mu_product_is_not_torchs():
    """torch's mu_product is float32: a parity form that keeps it in double is not bit-exact."""
    rule = rules.get("nadam")

    def implementation(cfg):
        return _replace(nadam_mod.implementation(cfg), nadam_mod.mu_product,
                        nadam_mod.mu_product * nadam_mod.mu)

    bad = dataclasses.replace(rule, implementation=implementation)
    report = verify(bad, [{}], backends=("torch-parity",), dtypes=("float64",), steps=20)
    assert not report.passed


def test_radam_without_rectification_fails():
    """Always the un-rectified step: right for the first steps, wrong once rho_t > 5."""
    rule = rules.get("radam")

    def implementation(cfg):
        return _replace(radam_mod.implementation(cfg), theta,
                        AddScaled(theta, TMul(radam_mod.m_hat, radam_mod.lr), -1))

    bad = dataclasses.replace(rule, implementation=implementation)
    report = verify(bad, [{}], backends=("torch-parity", "numpy"), dtypes=("float32",), steps=10)
    assert not report.passed
    first = int(report.results[0].failure.split(",")[0].removeprefix("step "))
    assert first > 1  # steps while rho_t <= 5 are un-rectified in torch too
    assert not all(ob.holds for ob in prove_rule(bad, bad.config({})))


def test_asgd_without_the_averaging_step_case_fails():
    """ax + mu*(param - ax) with mu = 1 is not torch's ax.copy_(param) bit for bit."""
    rule = rules.get("asgd")

    def implementation(cfg):
        from optsym.ops import TAdd, TSub

        return _replace(asgd_mod.implementation(cfg), asgd_mod.ax,
                        TAdd(asgd_mod.ax, TMul(TSub(theta, asgd_mod.ax), asgd_mod.mu)))

    bad = dataclasses.replace(rule, implementation=implementation)
    report = verify(bad, [{}], backends=("torch-parity",), dtypes=("float32",), steps=5)
    assert not report.passed and "ax[" in report.results[0].failure


def test_asgd_foreach_rate_is_float32_arithmetic():
    """torch's foreach ASGD computes the next eta on its float32 step tensor: the same formula
    in Python doubles (the single-tensor path's) is 1 ULP off at step 2."""
    from optsym.ops import Float32

    rule = rules.get("asgd")

    def foreach(cfg):
        return _replace(asgd_mod.foreach(cfg), asgd_mod.eta,
                        Float32(asgd_mod._py("lr / ((1 + lambd * lr * step) ** alpha)")))

    bad = dataclasses.replace(rule, paths={"foreach": foreach})
    report = verify(bad, [{}], backends=("torch-parity",), dtypes=("float32",), steps=5,
                    path="foreach")
    assert not report.passed and report.results[0].failure.startswith("step 2, eta[0]")
    good = verify(rule, [{}], backends=("torch-parity",), dtypes=("float32",), steps=5,
                  path="foreach")
    assert good.passed
