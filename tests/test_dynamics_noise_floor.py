"""noise-floor: minibatch SGD on least squares against torch's training loop, the derived floor,
and mutations that reverse each part of the claim."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from optsym.cli import cli
from optsym.derivations.sgd_noise import DERIVATION, B
from optsym.dynamics import noise_floor as nf
from optsym.minibatch import batches, torch_loop

#: the mutations' runs: the claim's own lr, batch and steps, no batch sweep
FAST = {"sweep": (), "small_data": False}


def test_runs_match_torch_training_loop():
    """One run of the generated code on its batches is torch's nn.Linear + MSELoss + SGD loop
    on the same batches (and the lr schedule is LambdaLR's 1/(1 + d k))."""
    prob = nf.problem(256, 3)
    steps, lr, size, decay = 120, 0.05, 4, 0.02
    index = batches(256, size, steps, 3 + 0)
    ours = nf.simulate(prob, lr, size, 1, steps, 3, decay)
    ref = torch_loop(prob.xs, prob.ys, index, (0.0, 0.0), {"lr": lr, "weight_decay": 0.0},
                     "float64")
    # torch's loop has a constant lr; compare the constant-lr run to it ...
    const = nf.simulate(prob, lr, size, 1, steps, 3)
    delta = ref - prob.optimum
    np.testing.assert_allclose(const.excess[0],
                               0.5 * np.einsum("ti,ij,tj->t", delta, prob.hessian, delta),
                               rtol=1e-10, atol=1e-14)
    # ... and the decaying run to torch's loop driven by LambdaLR
    model = torch.nn.Linear(1, 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.zero_()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1 / (1 + decay * k))
    X = torch.tensor(prob.xs).reshape(-1, 1)
    Y = torch.tensor(prob.ys).reshape(-1, 1)
    path = [[0.0, 0.0]]
    for idx in index:
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(X[idx]), Y[idx]).backward()
        opt.step()
        sched.step()
        path.append([model.weight.item(), model.bias.item()])
    delta = np.array(path) - prob.optimum
    np.testing.assert_allclose(ours.excess[0],
                               0.5 * np.einsum("ti,ij,tj->t", delta, prob.hessian, delta),
                               rtol=1e-10, atol=1e-14)


def test_problem_by_hand():
    """F - F* = delta^T H delta / 2 against the mean loss computed directly, the optimum against
    numpy's least squares, and the per-example gradients' mean 0 at the optimum."""
    prob = nf.problem(512, 1)
    A = np.stack([prob.xs, np.ones_like(prob.xs)], axis=1)
    sol = np.linalg.lstsq(A, prob.ys, rcond=None)[0]
    np.testing.assert_allclose(prob.optimum, sol, rtol=1e-12)
    np.testing.assert_allclose(prob.hessian, 2 * A.T @ A / 512, rtol=1e-12)
    theta = np.array([2.0, 0.5])
    direct = np.mean((A @ theta - prob.ys) ** 2) - prob.loss_star
    d = theta - prob.optimum
    assert abs(0.5 * d @ prob.hessian @ d - direct) < 1e-12
    r = A @ prob.optimum - prob.ys
    np.testing.assert_allclose(prob.noise, 4 * (A * r[:, None] ** 2).T @ A / 512, rtol=1e-10)


def test_derived_floor_is_the_derivations_per_direction():
    """B = 1, one direction by hand: lambda V*/2 with V* = lr s^2 / (B lambda (2 - lr lambda))."""
    prob = nf.problem(512, 1)
    lams, Q = np.linalg.eigh(prob.hessian)
    s2 = np.diag(Q.T @ prob.noise @ Q)
    lr, size = 0.03, 8
    hand = sum(0.5 * lam * lr * s / (size * lam * (2 - lr * lam)) for lam, s in zip(lams, s2))
    assert abs(nf.derived_floor(prob, lr, size) - hand) < 1e-12 * hand


def test_mutation_batch_size_ignored_fails():
    """A sampler that draws one example whatever B is: the bigger batch keeps the small floor."""
    def one(n, size, steps, seed):
        return batches(n, 1, steps, seed)

    c = nf.noise_floor(sampler=one, **FAST)
    assert not c.holds


def test_mutation_no_decay_fails():
    assert not nf.noise_floor(decay=1e-9, **FAST).holds


def test_mutation_derived_floor_without_the_batch_fails():
    """The derivation's V* with the 1/B dropped: the derived floors are B times too high."""
    wrong = DERIVATION.with_result("stationary_variance",
                                   DERIVATION.result("stationary_variance").expr * B)
    assert not nf.noise_floor(derivation=wrong, **FAST).holds


@pytest.mark.parametrize("numbers", [
    dict(constant=1.0, derived=1.0, decayed_end=0.3, big=0.25, derived_big=0.25, scaled=1.0,
         derived_scaled=1.0),  # the decay does not go below a quarter
    dict(constant=1.0, derived=1.0, decayed_end=0.1, big=1.0, derived_big=0.25, scaled=1.0,
         derived_scaled=1.0),  # the big batch keeps the floor
    dict(constant=0.5, derived=1.0, decayed_end=0.1, big=0.25, derived_big=0.25, scaled=1.0,
         derived_scaled=1.0),  # the constant floor is half the derived one
    dict(constant=1.0, derived=1.0, decayed_end=0.1, big=0.25, derived_big=0.25, scaled=4.0,
         derived_scaled=1.0),  # linear scaling breaks
])
def test_check_rejects_reversed_numbers(numbers):
    assert not nf.check_noise_floor(**numbers)
    assert nf.check_noise_floor(constant=1.0, derived=1.0, decayed_end=0.1, big=0.25,
                                derived_big=0.25, scaled=1.0, derived_scaled=1.0)


def test_noise_floor_holds_cli_json_and_figure(tmp_path):
    """The claim at its defaults, through the command: every number and the figure."""
    out = tmp_path / "floor.png"
    r = CliRunner().invoke(cli, ["claims", "noise-floor", "--json", "-o", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["all_hold"] and data["file"] == str(out)
    assert out.stat().st_size > 20_000
    (claim,) = data["claims"]
    m = claim["measured"]
    assert claim["name"] == "noise-floor" and claim["holds"], m
    assert abs(m["floor_constant"] / m["derived_constant"] - 1) < nf.TOLERANCE
    assert 3 < m["floor_constant"] / m["floor_big_batch"] < 5
    assert 1.0 < m["derived_scaled"] / m["derived_constant"] < 1.15
    assert m["decayed_end"] < 0.25 * m["floor_constant"]
    assert len(m["batch_sweep"]) == 11
    for row in m["batch_sweep"]:
        assert abs(row["measured"] / row["derived"] - 1) < nf.TOLERANCE, row
    assert m["small_data"]["reshuffled"] < 0.6 * m["small_data"]["derived"]


def test_cli_figure_needs_a_claim_with_one(tmp_path):
    """-o without a claim's name: which claims have a figure (every one has now; the refusal
    of a claim without one is tested in test_claim_figures.py)."""
    r = CliRunner().invoke(cli, ["claims", "-o", str(tmp_path / "x.png")])
    assert r.exit_code == 2 and "noise-floor" in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "x.png").exists()


def test_reshuffling_on_small_data_lowers_the_floor():
    """N = 1024, B = 32: an epoch (32 steps) is shorter than the iterate's memory; drawn with
    replacement the floor is the derived one, reshuffled per epoch well below it."""
    r = nf.reshuffling()
    assert r["steps_per_epoch"] == 32 and 10 < r["memory_steps"] < 15
    assert abs(r["with_replacement"] / r["derived"] - 1) < nf.TOLERANCE
    assert r["reshuffled"] < 0.6 * r["derived"]


def test_with_replacement_sampler():
    idx = nf.with_replacement(10, 4, 1000, 0)
    assert idx.shape == (1000, 4) and idx.min() == 0 and idx.max() == 9
    # repeats within a batch happen (with replacement): P(no repeat) = 10*9*8*7/10^4 = 0.504
    repeats = np.mean([len(set(row)) < 4 for row in idx])
    assert 0.4 < repeats < 0.6
