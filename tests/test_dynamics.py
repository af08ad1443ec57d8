"""optsym.dynamics: curves, sweeps and claims, against torch.optim and hand derivations."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from optsym.cli import cli
from optsym.dynamics import claims as cl
from optsym.dynamics.curves import curves_data
from optsym.dynamics.sweep import lr_grid, sweep_data
from optsym.figures.race import racer
from optsym.objective import parse_objective
from optsym.spec import SpecError

VALLEY = "x^2 + 10*y^2"
X0 = (-1.5, 2.0)


def _valley(x):
    return x[0] ** 2 + 10 * x[1] ** 2


def _torch_path(make, x0, steps, f, sigma=0.0, seed=0, lrs=None):
    """torch.optim on ``f`` by autograd, with the same Gaussian noise stream."""
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = make([p])
    rng = np.random.default_rng(seed)
    out = [p.detach().numpy().copy()]
    for t in range(steps):
        if lrs is not None:
            opt.param_groups[0]["lr"] = lrs[t]
        opt.zero_grad()
        f(p).backward()
        if sigma:
            p.grad += torch.tensor(sigma * rng.standard_normal(2))
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


TORCH = [
    ("gd", {}, lambda ps: torch.optim.SGD(ps, lr=0.03)),
    ("momentum", {}, lambda ps: torch.optim.SGD(ps, lr=0.03, momentum=0.9)),
    ("adam", {}, lambda ps: torch.optim.Adam(ps, lr=0.03)),
    ("rmsprop", {}, lambda ps: torch.optim.RMSprop(ps, lr=0.03)),
]


@pytest.mark.parametrize("name,opts,make", TORCH, ids=[t[0] for t in TORCH])
def test_curves_match_torch_optim(name, opts, make):
    c = curves_data(parse_objective(VALLEY), X0, [racer(name, 0.03, opts)], 60)[0]
    ref = _torch_path(make, X0, 60, _valley)
    np.testing.assert_allclose(c.paths[0], ref, rtol=1e-12, atol=1e-14)
    # the metrics, by hand from the torch path: f = x^2 + 10 y^2, grad = (2x, 20y)
    np.testing.assert_allclose(c.metrics["loss"][0], ref[:, 0] ** 2 + 10 * ref[:, 1] ** 2,
                               rtol=1e-12)
    np.testing.assert_allclose(c.metrics["grad_norm"][0],
                               np.hypot(2 * ref[:, 0], 20 * ref[:, 1]), rtol=1e-12)
    np.testing.assert_allclose(c.metrics["distance"][0], np.hypot(ref[:, 0], ref[:, 1]),
                               rtol=1e-12)
    np.testing.assert_allclose(c.metrics["update"][0][1:],
                               np.linalg.norm(np.diff(ref, axis=0), axis=1), rtol=1e-10)


def test_noisy_runs_and_schedule_match_torch_optim():
    lrs = list(np.linspace(0.03, 0.003, 40))
    obj = parse_objective(VALLEY)
    c = curves_data(obj, X0, [racer("momentum", 0.03)], 40, sigma=0.5, runs=3, seed=7,
                    lrs=lrs)[0]
    for r in range(3):
        ref = _torch_path(lambda ps: torch.optim.SGD(ps, lr=0.03, momentum=0.9), X0, 40,
                          _valley, sigma=0.5, seed=7 + r, lrs=lrs)
        np.testing.assert_allclose(c.paths[r], ref, rtol=1e-12, atol=1e-14)
    s = c.summary("loss")
    np.testing.assert_allclose(s["median"], np.median(c.metrics["loss"], axis=0))
    assert np.all(s["low"] <= s["median"]) and np.all(s["median"] <= s["high"])
    np.testing.assert_allclose(c.metrics["lr"][0][1:], lrs)


def test_sweep_best_is_the_closed_form_argmin():
    # GD on x^2 + 10 y^2: x_T = (1 - 2 lr)^T x0, y_T = (1 - 20 lr)^T y0
    lrs = lr_grid("1e-3:0.2:9")
    sw = sweep_data(parse_objective(VALLEY), X0, [racer("gd")], lrs, 30)
    lr = np.array(lrs)
    exact = (1 - 2 * lr) ** 60 * X0[0] ** 2 + 10 * (1 - 20 * lr) ** 60 * X0[1] ** 2
    final = np.array(sw.rows[0].final)
    finite = np.isfinite(final)
    np.testing.assert_allclose(final[finite], exact[finite], rtol=1e-9)
    assert not finite.all() and np.all(exact[~finite] > 1e30)  # lr 0.2 diverges
    assert sw.rows[0].best_lr == lrs[int(np.argmin(exact))]


@pytest.mark.parametrize("text,message", [("1e-4:1e-1", "LO:HI:N"), ("0.1:0.01:5", "LO < HI"),
                                          ("a,b", "not a number"), ("-1,0.1", "> 0")])
def test_lr_grid_errors(text, message):
    with pytest.raises(SpecError, match=message):
        lr_grid(text)


def test_lr_grid_is_geometric():
    assert lr_grid("1e-4:1e-1:4") == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1])


# ---- claims: each holds, each check fails when the behaviour is reversed ----------------------
def test_derived_rates_by_hand():
    gd, hb = cl.derived_rates([2.0, 20.0], 0.03, 0.9)
    assert gd == pytest.approx(0.94) and hb == pytest.approx(np.sqrt(0.9))
    gd, hb = cl.derived_rates([2.0, 200.0], 0.009, 0.9)
    assert gd == pytest.approx(0.982) and hb == pytest.approx(np.sqrt(0.9))


def test_momentum_regime_holds_and_mutation_fails():
    claim = cl.momentum_regime()
    assert claim.holds
    first, second = claim.measured["settings"]
    assert first["momentum"] > first["gd"] and second["momentum"] < second["gd"]
    # mutation: the two methods swapped (the behaviour reversed) must fail the check
    assert not cl.momentum_regime(methods=("momentum", "gd")).holds
    # at beta 0.5 the heavy-ball rate (0.856) is below GD's 0.94 on the first objective too:
    # momentum wins in both settings, so the regime statement must fail
    mutated = cl.momentum_regime(beta=0.5)
    assert mutated.measured["settings"][0]["momentum"] < mutated.measured["settings"][0]["gd"]
    assert not mutated.holds


def _torch_retention(cls, scale):
    out = []
    for first in (1.0, -1.0):
        p = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
        opt = cls([p], lr=0.01, weight_decay=0.1)
        for t in range(1, 201):
            p.grad = torch.tensor([first * scale if t % 2 else -first * scale],
                                  dtype=torch.float64)
            opt.step()
        out.append(float(p.detach()))
    return np.mean(out)


def test_retention_matches_torch_and_mutation_fails():
    claim = cl.weight_decay_retention(scales=(10.0, 0.01))
    assert claim.holds
    for row in claim.measured["scales"]:
        assert row["adam_l2"] == pytest.approx(_torch_retention(torch.optim.Adam, row["scale"]),
                                               rel=1e-10)
        assert row["adamw"] == pytest.approx(_torch_retention(torch.optim.AdamW, row["scale"]),
                                             rel=1e-10)
    assert claim.measured["decay_only"] == pytest.approx(0.999 ** 200)
    # mutation: Adam + L2 and AdamW swapped
    assert not cl.weight_decay_retention(scales=(10.0, 0.01), rules=("adamw", "adam")).holds


def test_adagrad_rare_features_matches_torch_and_mutation_fails():
    from optsym.dynamics import claims_adaptive as ca

    claim = cl.adagrad_rare_features()
    assert claim.holds
    # the same stream through torch.optim.Adagrad / SGD (float64)
    for key, make in (("adagrad", lambda ps: torch.optim.Adagrad(ps, lr=0.1)),
                      ("sgd", lambda ps: torch.optim.SGD(ps, lr=0.1))):
        p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
        opt = make([p])
        for t in range(1, 101):
            p.grad = torch.tensor([1.0, 1.0 if t % 10 == 0 else 0.0], dtype=torch.float64)
            opt.step()
        row = claim.measured["rules"][key]
        assert (row["frequent"], row["rare"]) == (-float(p.detach()[0]), -float(p.detach()[1]))
    # the derived ratio by hand: sum_{j<=10} j^-1/2 over sum_{k<=100} k^-1/2
    by_hand = sum(j ** -0.5 for j in range(1, 11)) / sum(k ** -0.5 for k in range(1, 101))
    assert claim.measured["derived_ratio"] == pytest.approx(by_hand, rel=1e-13)
    # mutations: SGD and AdaGrad swapped; a rare feature as frequent as the other (no effect)
    assert not cl.adagrad_rare_features(rules=("adagrad", "gd")).holds
    assert not cl.adagrad_rare_features(every=1).holds
    assert not ca.check_rare_features({"sgd": {"ratio": 0.1}, "adagrad": {"ratio": 0.1}}, 0.1,
                                      claim.measured["derived_ratio"])


def test_adam_early_updates_match_torch_and_mutation_fails():
    from optsym.dynamics import claims_adaptive as ca

    claim = cl.adam_early_updates(runs=500)
    assert claim.holds
    m = claim.measured
    # the same noise through torch.optim.Adam (float64) for the first steps
    noise = np.random.default_rng(0).standard_normal((10, 500))
    p = torch.zeros(500, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=1e-3)
    prev, sizes = p.detach().clone(), []
    for t in range(10):
        p.grad = torch.tensor(noise[t])
        opt.step()
        sizes.append(float(torch.sqrt(torch.mean(((p.detach() - prev) / 1e-3) ** 2))))
        prev = p.detach().clone()
    ours = ca.update_sizes([1e-3] * 10, 1e-3, 10, 500, 0)
    np.testing.assert_allclose(ours, sizes, rtol=1e-12)
    assert m["sizes_plain"][:4] == pytest.approx([sizes[i] for i in (0, 1, 4, 9)], rel=1e-12)
    # mutations: the early and steady sizes exchanged; warmup as large as no warmup
    assert not ca.check_early_updates(m["first"], m["steady"], m["early_max_warmup"],
                                      m["early_max_plain"], m["predicted_steady"])
    assert not ca.check_early_updates(m["first"], m["early_max_plain"], m["early_max_plain"],
                                      m["steady"], m["predicted_steady"])
    # beta1 = 0.5: the steady size is sqrt(1/3), no longer a fourth of the first update
    assert not cl.adam_early_updates(runs=500, beta1=0.5).holds


def test_saddle_escape_matches_torch_and_mutation_fails():
    from optsym.dynamics import claims_saddle as cs

    claim = cl.saddle_escape(runs=5)
    assert claim.holds
    m = claim.measured

    def saddle(v):
        return v[0] ** 2 / 2 + v[1] ** 4 / 4 - v[1] ** 2 / 2

    path = _torch_path(lambda ps: torch.optim.SGD(ps, lr=0.1), (1.0, 1e-8), 400, saddle)
    assert cs.escape_step(np.array(path)) == m["gd_escape_step"]
    assert m["derived_escape_step"] == pytest.approx(np.log(0.5e8) / np.log(1.1), rel=1e-12)
    # mutations: no noise (it lingers as long as GD); momentum instead of GD leaves far sooner
    # than the GD linearization says; a start on the stable manifold given as y0 = 0
    assert not cl.saddle_escape(runs=5, sigma=0.0).holds
    assert not cl.saddle_escape(runs=5, rule="momentum").holds
    assert not cs.check_saddle(m["gd_escape_step"], m["derived_escape_step"],
                               m["noisy_escape_median"], 0.3, None)


def test_rosenbrock_adam_slowest_matches_torch_and_mutation_fails():
    claim = cl.rosenbrock_adam_slowest()
    assert claim.holds

    def rosen(x):
        return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2

    makes = {"gd": lambda ps: torch.optim.SGD(ps, lr=1e-3),
             "momentum": lambda ps: torch.optim.SGD(ps, lr=1e-3, momentum=0.9),
             "rmsprop": lambda ps: torch.optim.RMSprop(ps, lr=1e-3),
             "adam": lambda ps: torch.optim.Adam(ps, lr=1e-3)}
    for rule, make in makes.items():
        end = _torch_path(make, X0, 500, rosen)[-1]
        assert claim.measured["final_loss"][rule] == pytest.approx(rosen(end), rel=1e-9)
    finals = dict(claim.measured["final_loss"])
    finals["adam"], finals["momentum"] = finals["momentum"], finals["adam"]
    assert not cl.check_slowest(finals)


def test_check_functions_reject_reversed_numbers():
    rows = [{"gd": 0.01, "momentum": 0.03, "rate_gd": 0.94, "rate_hb": 0.95},
            {"gd": 0.35, "momentum": 0.04, "rate_gd": 0.98, "rate_hb": 0.95}]
    assert cl.check_momentum_regime(rows)
    assert not cl.check_momentum_regime(rows[::-1])
    rows[0]["rate_hb"] = 0.90  # the derived rate disagreeing with the simulation
    assert not cl.check_momentum_regime(rows)
    ret = [{"scale": 10.0, "adam_l2": 0.98, "adamw": 0.8186},
           {"scale": 0.01, "adam_l2": 0.02, "adamw": 0.8186}]
    assert cl.check_retention(ret, 0.8186)
    assert not cl.check_retention([{**r, "adam_l2": 1 - r["adam_l2"]} for r in ret], 0.8186)


# ---- the commands ------------------------------------------------------------------------------
def test_plot_curves_json_and_figure(tmp_path):
    out = tmp_path / "c.png"
    res = CliRunner().invoke(cli, ["plot", "curves", "--rules", "gd,adam", "--f", VALLEY,
                                   "--x0", "-1.5,2", "--lr", "0.03", "--steps", "20",
                                   "--noise", "0.1", "--runs", "3", "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [r["racer"] for r in data["racers"]] == ["gd", "adam"]
    assert len(data["racers"][0]["loss"]["median"]) == 21
    assert data["racers"][0]["lr"]["median"][0] is None
    assert out.stat().st_size > 10_000


def test_plot_sweep_best_figure(tmp_path):
    out = tmp_path / "s.png"
    res = CliRunner().invoke(cli, ["plot", "sweep", "--rules", "gd,adam", "--f", VALLEY,
                                   "--lrs", "1e-3:0.2:5", "--steps", "20", "--best",
                                   "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "each rule at its own best lr" in res.output and "inf" in res.output
    assert out.stat().st_size > 10_000


@pytest.mark.parametrize("args,message", [
    (["plot", "curves", "--runs", "3"], "--noise"),
    (["plot", "curves", "--noise", "-1"], "sigma >= 0"),
    (["plot", "curves", "--x0", "1,2,3"], "coordinates"),
    (["plot", "curves", "--f", "__import__('os')"], "error"),
    (["plot", "sweep", "--lrs", "1:2"], "LO:HI:N"),
    (["claims", "nonsense"], "claim"),
])
def test_usage_errors_are_one_line(args, message):
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output


def test_schedule_composed_matches_torch_scheduler():
    from optsym import schedules
    from optsym.dynamics.scheduled import schedule_lrs

    lrs = schedule_lrs(schedules.get("cosine"), {"T": 30}, 30)
    c = curves_data(parse_objective(VALLEY), X0, [racer("adam", 0.05)], 30, lrs=lrs)[0]
    p = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.05)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=30)
    ref, seen = [p.detach().numpy().copy()], []
    for _ in range(30):
        seen.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        _valley(p).backward()
        opt.step()
        sched.step()
        ref.append(p.detach().numpy().copy())
    np.testing.assert_allclose(c.metrics["lr"][0][1:], seen, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(c.paths[0], np.array(ref), rtol=1e-10, atol=1e-13)
