"""Named conventions: the proofs, the counterexamples, and their independent cross-checks.

The torch side is checked against torch.optim (SGD + StepLR, AdamW, RMSprop) in float64; the
other side against a float64 loop of the published formula written here, and one value by hand
with fractions.Fraction.  Mutations (a wrong change of variables, corrupted generated code)
must fail.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp
import torch

from optsym import conventions, schedules
from optsym.conventions.compare import compare
from optsym.conventions.proof import prove
from optsym.conventions.run import STREAM
from optsym.conventions.spec import ChangeOfVariables, eta_prev
from optsym.rules import sgd

ROOT = Path(__file__).resolve().parents[1]
STREAM_FLOATS = [float(v) for v in STREAM.data]


def _step_schedule(step_size: int = 3, gamma: float = 0.5):
    spec = schedules.get("step")
    return spec, spec.config({"step_size": step_size, "gamma": gamma, "eta_max": 0.1})


@pytest.fixture(scope="module")
def momentum_constant():
    return compare(conventions.get("momentum"), "torch", "goodfellow")


@pytest.fixture(scope="module")
def momentum_step():
    return compare(conventions.get("momentum"), "torch", "goodfellow",
                   schedule=_step_schedule())


def _torch_sgd(lrs_of_scheduler: bool, steps: int = 20) -> list[float]:
    """torch.optim.SGD(lr=0.1, momentum=0.5) on f = theta^2/2 from 1, with StepLR or not."""
    p = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.5)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * p**2).sum().backward()
        opt.step()
        if lrs_of_scheduler:
            sched.step()
        out.append(p.item())
    return out


def _goodfellow_floats(lrs: list[float]) -> list[float]:
    """Goodfellow et al. Algorithm 8.2 in float64: v = a v - eps g; theta += v."""
    theta, v, out = 1.0, 0.0, []
    for lr in lrs:
        grad = theta
        v = 0.5 * v - lr * grad
        theta = theta + v
        out.append(theta)
    return out


def _step_lrs(steps: int = 20) -> list[float]:
    return [0.1 * 0.5 ** (k // 3) for k in range(steps)]


def test_momentum_equal_under_constant_lr(momentum_constant):
    r = momentum_constant
    assert r.equal and r.consistent
    assert r.mapping.state == {conventions.momentum.velocity: -sgd.lr * sgd.buf}
    assert [c.symbol for c in r.proof.conditions][0] == eta_prev
    assert r.parting.step is None
    # independent: torch.optim.SGD and the published formula agree, and with the exact value
    ours_torch, ours_g = _torch_sgd(False), _goodfellow_floats([0.1] * 20)
    assert max(abs(a - b) for a, b in zip(ours_torch, ours_g)) < 1e-14
    assert math.isclose(ours_torch[-1], float(r.parting.last_a), rel_tol=1e-12)
    assert r.floats.first_parting is None and r.floats.max_rel_diff < 1e-13


def test_momentum_parts_under_step_schedule(momentum_step):
    r = momentum_step
    assert not r.equal and r.consistent
    assert r.parting.step == 4  # StepLR halves the lr before step 4
    t, gf = _torch_sgd(True), _goodfellow_floats(_step_lrs())
    first = next(k for k, (a, b) in enumerate(zip(t, gf), 1) if abs(a - b) > 1e-9)
    assert first == r.parting.step
    assert math.isclose(t[3], float(r.parting.a_value), rel_tol=1e-12)
    assert math.isclose(gf[3], float(r.parting.b_value), rel_tol=1e-12)
    assert math.isclose(gf[-1] - t[-1], float(r.parting.gap), rel_tol=1e-9)


def test_momentum_counterexample_by_hand(momentum_step):
    """Four steps of both published formulas in Fractions."""
    lrs = [Fraction(1, 10)] * 3 + [Fraction(1, 20)]
    mu = Fraction(1, 2)
    th_t, b = Fraction(1), None
    th_g, v = Fraction(1), Fraction(0)
    for lr in lrs:
        b = th_t if b is None else mu * b + th_t
        th_t -= lr * b
        v = mu * v - lr * th_g
        th_g += v
    assert (th_t, th_g) == (Fraction(1367, 2500), Fraction(5103, 10000))
    assert momentum_step.parting.a_value == sp.Rational(1367, 2500)
    assert momentum_step.parting.b_value == sp.Rational(5103, 10000)


def test_wrong_mapping_is_not_proved():
    fam = conventions.get("momentum")
    rule, cfg = fam.base_rule(), fam.cfg()
    wrong = ChangeOfVariables(state={conventions.momentum.velocity: sgd.lr * sgd.buf})
    proof = prove(rule, cfg, fam.get("torch"), fam.get("goodfellow"), wrong)
    assert not proof.holds
    assert eta_prev not in [c.symbol for c in proof.conditions]
    base = [o for o in proof.obligations if o.case == "t = 1" and "velocity" in o.output]
    assert base and not base[0].holds and base[0].numeric_max_diff > 1e-3


def test_nesterov_lookahead_mapping_and_its_mutation():
    fam = conventions.get("nesterov")
    rule, cfg = fam.base_rule(), fam.cfg()
    good = prove(rule, cfg, fam.get("torch"), fam.get("sutskever"), fam.mappings["sutskever"])
    assert [c.symbol for c in good.conditions][0] == eta_prev and good.consistent
    no_param_map = ChangeOfVariables(state=fam.mappings["sutskever"].state)
    bad = prove(rule, cfg, fam.get("torch"), fam.get("sutskever"), no_param_map)
    assert not bad.holds and eta_prev not in [c.symbol for c in bad.conditions]


def test_ema_equal_only_after_rescaling_the_lr():
    r = compare(conventions.get("momentum"), "torch", "ema")
    assert r.proof.holds and not r.equal and r.consistent
    assert r.parting.step == 1 and r.mapped_parting.step is None


def test_adamw_torch_vs_paper_counterexample_against_torch():
    r = compare(conventions.get("adamw"), "torch", "paper")
    assert not r.equal and r.consistent and r.parting.step == 1
    assert r.proof.holds  # with weight_decay_paper = base_lr * weight_decay
    conds = {(str(c.symbol), str(c.value)) for c in r.proof_same.conditions}
    assert ("base_lr", "1") in conds

    def adamw(weight_decay: float) -> list[float]:
        p = torch.tensor([1.0], dtype=torch.float64)
        opt = torch.optim.AdamW([p], lr=0.1, betas=(0.5, 0.75), eps=0.0,
                                weight_decay=weight_decay)
        out = []
        for k in range(r.steps):
            p.grad = torch.tensor([STREAM_FLOATS[k % len(STREAM_FLOATS)]], dtype=torch.float64)
            opt.step()
            out.append(p.item())
        return out

    torch_side = adamw(0.1)
    # the paper's decay lambda*eta_t/alpha is torch's with weight_decay = lambda/alpha
    paper_side = adamw(0.1 / 0.1)
    assert math.isclose(torch_side[0], float(r.parting.a_value), rel_tol=1e-13)
    assert math.isclose(paper_side[0], float(r.parting.b_value), rel_tol=1e-13)
    assert math.isclose(paper_side[-1] - torch_side[-1], float(r.parting.gap), rel_tol=1e-9)


def test_rmsprop_torch_vs_optax_counterexample():
    r = compare(conventions.get("rmsprop"), "torch", "optax")
    assert not r.equal and r.consistent and r.parting.step == 1
    assert [str(c) for c in (c.text() for c in r.proof.conditions)] == ["eps = 0"]
    # by hand: theta_1 = 1 - (1/10)(1/2)/sqrt((1/4)(1/4) + 1/10) = 1 - sqrt(65)/65
    assert sp.simplify(r.parting.b_value - (1 - sp.sqrt(65) / 65)) == 0
    p = torch.tensor([1.0], dtype=torch.float64)
    opt = torch.optim.RMSprop([p], lr=0.1, alpha=0.75, eps=0.1)
    theta, v, optax_side, torch_side = 1.0, 0.0, [], []
    for k in range(r.steps):
        g = STREAM_FLOATS[k % len(STREAM_FLOATS)]
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        torch_side.append(p.item())
        v = 0.75 * v + 0.25 * g * g
        theta -= 0.1 * g / math.sqrt(v + 0.1)
        optax_side.append(theta)
    assert math.isclose(torch_side[0], float(r.parting.a_value), rel_tol=1e-13)
    assert math.isclose(optax_side[-1] - torch_side[-1], float(r.parting.gap), rel_tol=1e-9)


def test_rmsprop_centered_eps_inside_is_not_torch():
    """Review R7: the centered denominator sqrt(v - gbar^2) + eps must move eps inside too
    (optax's centered rmsprop: g / sqrt(nu - mu^2 + eps)); it was left alone and the two
    conventions were "proved equal for every step"."""
    r = compare(conventions.get("rmsprop"), "torch", "optax", {"centered": True}, steps=6)
    assert not r.equal and r.consistent and r.parting.step == 1
    assert [c.text() for c in r.proof.conditions] == ["eps = 0"]
    p = torch.tensor([1.0], dtype=torch.float64)
    opt = torch.optim.RMSprop([p], lr=0.1, alpha=0.75, eps=0.1, centered=True)
    theta, v, gbar, optax_side, torch_side = 1.0, 0.0, 0.0, [], []
    for k in range(r.steps):
        g = STREAM_FLOATS[k % len(STREAM_FLOATS)]
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        torch_side.append(p.item())
        v = 0.75 * v + 0.25 * g * g
        gbar = 0.75 * gbar + 0.25 * g
        theta -= 0.1 * g / math.sqrt(v - gbar * gbar + 0.1)
        optax_side.append(theta)
    assert math.isclose(torch_side[0], float(r.parting.a_value), rel_tol=1e-13)
    assert math.isclose(optax_side[0], float(r.parting.b_value), rel_tol=1e-13)
    assert math.isclose(optax_side[-1] - torch_side[-1], float(r.parting.gap), rel_tol=1e-9)


def test_eps_inside_refuses_equations_without_a_root_plus_eps():
    from optsym.conventions.eps import eps_inside
    from optsym.rules import rmsprop
    from optsym.spec import Assign, SpecError

    with pytest.raises(SpecError, match="no sqrt"):
        eps_inside((Assign(rmsprop.v, rmsprop.v + rmsprop.eps),), rmsprop.v, rmsprop.eps)


def test_a_gap_below_float64_resolution_is_consistent():
    """eps = 1e-14 outside vs inside the root: the exact runs part at step 1 by ~1e-14
    relative, which float64 cannot resolve; that is no failed cross-check (it exited 1)."""
    r = compare(conventions.get("rmsprop"), "torch", "optax", {"eps": 1e-14}, steps=6)
    assert not r.equal and r.parting.step == 1 and r.consistent
    assert r.floats.first_parting is None and "below float64's resolution" in r.floats.what


def test_float_run_through_a_zero_crossing_is_rounding():
    """Review R7: momentum on the quadratic crosses 0 at step 196 (|theta| ~ 8e-33 after
    1.4e-30): 1e-12 relative to that one value was reported as a parting, exit 1."""
    r = compare(conventions.get("momentum"), "torch", "goodfellow", steps=200)
    assert r.equal and r.consistent and r.floats.first_parting is None


def test_deep_irrational_values_switch_to_60_digits():
    """Review R7: AdamW under a cosine schedule kept exact nested roots for 20 steps and
    SymPy's evalf took 2 minutes; deep values now continue in 60-digit arithmetic."""
    import time

    spec = schedules.get("cosine")
    start = time.perf_counter()
    r = compare(conventions.get("adamw"), "torch", "paper",
                schedule=(spec, spec.config({"T": 10, "eta_max": 0.1})), steps=20)
    assert time.perf_counter() - start < 30
    assert not r.equal and r.consistent and r.parting.step == 1
    assert r.parting.exact_until is not None and r.mapped_parting.step is None


def test_adam_eps_hat_needs_eps_zero():
    fam = conventions.get("adam")
    proof = prove(fam.base_rule(), fam.cfg(), fam.get("torch"), fam.get("tensorflow"),
                  ChangeOfVariables())
    assert "eps = 0" in [c.text() for c in proof.conditions] and proof.consistent


def test_every_family_is_registered_with_torch_first():
    for fam in conventions.all_families():
        assert fam.conventions[0].name == "torch"
        assert fam.rule in conventions.FAMILY_RULES.values()
        assert conventions.FAMILY_RULES[fam.name] == fam.rule


def test_convention_codegen_against_exact_and_its_mutation(monkeypatch):
    from optsym.conventions import verify as conv_verify

    fam = conventions.get("momentum")
    checks = conv_verify.verify_convention(fam, fam.get("goodfellow"), {}, steps=8,
                                           dtypes=("float64",), backends=("numpy",))
    assert all(c.passed for c in checks)
    import optsym.codegen.module as module

    real = module.generate
    monkeypatch.setattr(module, "generate", lambda *a, **k: real(*a, **k).replace(
        "velocity = ", "velocity = 0.99*", 1))
    checks = conv_verify.verify_convention(fam, fam.get("goodfellow"), {}, steps=8,
                                           dtypes=("float64",), backends=("numpy",))
    assert not any(c.passed for c in checks)


def test_readme_has_the_generated_table(run_cli):
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- conventions:start -->\n(.*?)\n<!-- conventions:end -->", text, re.S)
    if match is None:
        pytest.skip("README.md has no <!-- conventions:start --> ... <!-- conventions:end --> "
                    "markers yet (the lead adds them with the generated table)")
    result = run_cli("compare", "--table", "--format", "markdown")
    assert result.exit_code == 0
    assert match.group(1).strip() == result.stdout.strip()


def test_a_mutated_convention_is_not_equal():
    """Goodfellow's velocity with the gradient's sign flipped: the proof fails for every lr and
    the exact run parts at step 1."""
    from dataclasses import replace

    from optsym.spec import Assign, g

    fam = conventions.get("momentum")
    good = fam.get("goodfellow")

    def flipped(cfg):
        eqs = good.equations(cfg)
        return tuple(Assign(e.target, e.expr.xreplace({g: -g})) for e in eqs)

    mutant = replace(good, equations=flipped)
    family = replace(fam, conventions=(fam.get("torch"), mutant, fam.get("ema")))
    r = compare(family, "torch", "goodfellow", steps=5)
    assert not r.equal and not r.proof.conditions and r.parting.step == 1 and r.consistent
