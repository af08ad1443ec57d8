"""nesterov-heavy-ball: the generated SGD (momentum, nesterov) against torch.optim.SGD on the
quadratic, the rates against the derivations and by hand, and mutations."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from optsym.cli import cli
from optsym.dynamics import claims_nesterov as nh


@pytest.mark.parametrize("method", nh.METHODS)
def test_generated_runs_match_torch_sgd(method):
    cfg, _, _ = nh.tunings(1.0, 100.0)[method]
    ours = nh.errors(1.0, 100.0, cfg, 120)
    p = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=cfg["lr"], momentum=cfg.get("momentum", 0.0),
                          nesterov=cfg.get("nesterov", False))
    ref = [1.0 * np.sqrt(2)]
    for _ in range(120):
        opt.zero_grad()
        (0.5 * (p[0] ** 2 + 100 * p[1] ** 2)).backward()
        opt.step()
        ref.append(float(torch.linalg.vector_norm(p.detach())))
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-300)


def test_tunings_by_hand():
    """kappa = 100: GD 99/101 at 2/101; heavy ball (sqrt k - 1)/(sqrt k + 1) = 9/11 at
    eta = 4/(1 + 10)^2, beta = (9/11)^2; Nesterov 1 - 1/10 at 1/L, beta = 9/11."""
    t = nh.tunings(1.0, 100.0)
    assert t["gd"][0]["lr"] == pytest.approx(2 / 101) and t["gd"][1] == pytest.approx(99 / 101)
    assert t["heavy-ball"][0]["lr"] == pytest.approx(4 / 121)
    assert t["heavy-ball"][0]["momentum"] == pytest.approx((9 / 11) ** 2)
    assert t["heavy-ball"][1] == pytest.approx(9 / 11)
    assert t["nesterov"][0] == {"lr": pytest.approx(0.01), "momentum": pytest.approx(9 / 11),
                                "nesterov": True}
    assert t["nesterov"][1] == pytest.approx(0.9)
    curves = nh.rate_curves([100.0])
    assert curves["heavy-ball"][0] == pytest.approx(9 / 11)
    assert curves["nesterov"][0] == pytest.approx(0.9)


def test_claim_holds_with_numbers():
    c = nh.nesterov_heavy_ball()
    assert c.holds, c.measured
    row = next(r for r in c.measured["kappas"] if r["kappa"] == 100)
    assert abs(row["measured"]["nesterov"] - 0.9) < 1e-4
    assert abs(row["measured"]["heavy-ball"] - 9 / 11) < 1e-5


@pytest.mark.parametrize("swap", [
    {"nesterov": {"nesterov": False}},  # heavy ball at Nesterov's tuning: 0.9016, not 0.9
    {"gd": {"lr": 0.01}},  # GD at 1/L, not 2/(mu + L)
    {"heavy-ball": {"momentum": 0.5}},
], ids=["no-nesterov", "gd-lr", "hb-momentum"])
def test_mutations_fail(swap):
    assert not nh.nesterov_heavy_ball(kappas=(100.0,), swap=swap).holds


def test_check_rejects_reversed_order():
    row = {"derived": {"gd": 0.98, "heavy-ball": 0.9, "nesterov": 0.8},
           "measured": {"gd": 0.98, "heavy-ball": 0.9, "nesterov": 0.8}}
    assert not nh.check_rates([row])
    row = {"derived": {"gd": 0.98, "heavy-ball": 0.8, "nesterov": 0.9},
           "measured": {"gd": 0.98, "heavy-ball": 0.8, "nesterov": 0.9}}
    assert nh.check_rates([row])
    assert not nh.check_rates([{**row, "measured": {**row["measured"], "nesterov": 0.901}}])
    assert not nh.check_rates([])


def test_cli_json_and_figure(tmp_path):
    out = tmp_path / "nag.png"
    r = CliRunner().invoke(cli, ["claims", "nesterov-heavy-ball", "--json", "-o", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["all_hold"] and data["claims"][0]["measured"]["tolerance"] == nh.RATE_TOLERANCE
    assert out.stat().st_size > 20_000


def test_failing_claim_still_draws_its_figure(tmp_path, monkeypatch):
    """Exit 1 (FAILS) and the figure is written: a failing claim is the one to look at."""
    from optsym.dynamics import claims

    monkeypatch.setitem(claims.CLAIMS, "nesterov-heavy-ball",
                        lambda: nh.nesterov_heavy_ball(kappas=(100.0,),
                                                       swap={"nesterov": {"nesterov": False}}))
    out = tmp_path / "fails.png"
    r = CliRunner().invoke(cli, ["claims", "nesterov-heavy-ball", "-o", str(out)])
    assert r.exit_code == 1 and "nesterov-heavy-ball: FAILS" in r.output
    assert out.stat().st_size > 20_000
