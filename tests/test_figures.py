"""Figures: the race runs optsym's generated code (checked against torch.optim), the stability
figure's optimum is the spectral radius's minimum (numpy eigenvalues), the convergence curves
contract at the rate numpy's eigenvalues give, the schedules match torch's schedulers; the
``optsym plot`` command's output and errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from optsym.figures.race import race_data, racer
from optsym.objective import parse_objective
from optsym.spec import SpecError
from optsym.trajectory import run_generated

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
START = (-1.5, 2.0)


def _rosenbrock_torch(p):
    """Rosenbrock's function written here in torch (not from optsym's objective)."""
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def _torch_trajectory(optimizer, steps: int, **kwargs) -> np.ndarray:
    import torch

    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, optimizer)([p], **kwargs)
    out = [p.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        _rosenbrock_torch(p).backward()
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


def _not_blank_png(path) -> None:
    import matplotlib.image as mpimg

    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 5000
    img = mpimg.imread(str(path))
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    differs = np.any(np.abs(img - img[0, 0]) > 1e-6, axis=-1)
    assert differs.mean() > 0.01


# ---- race ------------------------------------------------------------------------------------
def test_gd_first_step_is_x0_minus_lr_grad():
    import torch

    lr = 1e-3
    (run,) = race_data(parse_objective("rosenbrock"), START, [racer("gd", lr)], 3)
    x0 = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    _rosenbrock_torch(x0).backward()
    expected = (x0 - lr * x0.grad).detach().numpy()
    np.testing.assert_allclose(run.path[0], START, rtol=0, atol=0)
    np.testing.assert_allclose(run.path[1], expected, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize(("name", "optimizer", "kwargs"), [
    ("gd", "SGD", {"lr": 1e-3}),
    ("momentum", "SGD", {"lr": 1e-3, "momentum": 0.9}),
    ("nesterov", "SGD", {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
    ("adam", "Adam", {"lr": 1e-2}),
])
def test_race_trajectories_match_torch_optim(name, optimizer, kwargs):
    steps = 40
    (run,) = race_data(parse_objective("rosenbrock"), START, [racer(name, kwargs["lr"])], steps)
    reference = _torch_trajectory(optimizer, steps, **kwargs)
    assert run.path.shape == (steps + 1, 2)
    np.testing.assert_allclose(run.path, reference, rtol=1e-12, atol=1e-12)


def test_race_trajectories_are_run_generateds_output():
    objective = parse_objective("narrow-valley")
    racers = [racer("adam", 1e-2, {"beta1": 0.8}), racer("momentum", 1e-2)]
    runs = race_data(objective, START, racers, 25)
    for run in runs:
        expected = np.array(run_generated(run.racer.rule, run.config, objective, START, 25))
        np.testing.assert_array_equal(run.path, expected)
    assert runs[0].config["beta1"] == 0.8 and runs[1].config["momentum"] == 0.9


def test_race_a_wrong_update_is_caught(monkeypatch):
    """Mutation: a race that took a different rule's step would fail the torch comparison."""
    (run,) = race_data(parse_objective("rosenbrock"), START, [racer("momentum", 1e-3)], 10)
    reference = _torch_trajectory("SGD", 10, lr=1e-3)  # no momentum
    assert not np.allclose(run.path, reference, rtol=1e-12, atol=1e-12)


def test_race_figure_file(tmp_path):
    from optsym.figures.race import race_figure

    path = tmp_path / "race.png"
    race_figure(path, [parse_objective("rosenbrock"), parse_objective("narrow-valley")], START,
                [racer("gd", 1e-3), racer("adam", 1e-2)], 100)
    _not_blank_png(path)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: racer("adamm"), "unknown racer 'adamm'; did you mean 'adam'"),
    (lambda: racer("adam", -1.0), "Invalid learning rate: -1"),
    (lambda: racer("adam", None, {"beta1": 1.5}), "Invalid beta parameter at index 0"),
])
def test_racer_errors(call, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(")):
        call()


def test_race_figure_errors(tmp_path):
    from optsym.figures.race import race_figure

    with pytest.raises(SpecError, match="must end in .png, .pdf or .svg"):
        race_figure(tmp_path / "x.jpg", [parse_objective("bowl")], (1, 1), [racer("gd")], 5)
    with pytest.raises(SpecError, match="2-D objectives"):
        race_figure(tmp_path / "x.png", [parse_objective("x^2 + y^2 + z^2")], (1, 1, 1),
                    [racer("gd")], 5)


# ---- stability -------------------------------------------------------------------------------
def _heavy_ball_radius(eta, beta, lams) -> np.ndarray:
    """max over lams of |eigenvalues| of the heavy-ball matrix [[1 + b - e l, -b], [1, 0]],
    built here and solved by numpy."""
    eta, beta = np.broadcast_arrays(np.asarray(eta, float), np.asarray(beta, float))
    out = np.zeros(eta.shape)
    for lam in lams:
        m = np.zeros(eta.shape + (2, 2))
        m[..., 0, 0] = 1 + beta - eta * lam
        m[..., 0, 1] = -beta
        m[..., 1, 0] = 1.0
        out = np.maximum(out, np.abs(np.linalg.eigvals(m)).max(axis=-1))
    return out


@pytest.fixture(scope="module")
def stability():
    from optsym.figures.stability import stability_data

    return stability_data(0.01, 1.0, 121)


def _optimum_holds(eta, beta, rate, mu=0.01, L=1.0) -> bool:
    """(eta, beta) has spectral radius ``rate`` and no nearby or grid point does better."""
    at = float(_heavy_ball_radius(eta, beta, [mu, L]))
    E, B = np.meshgrid(np.linspace(0.01, 4.0, 400), np.linspace(0.0, 0.99, 400))
    grid = _heavy_ball_radius(E, B, [mu, L]).min()
    e, b = np.meshgrid(eta * np.linspace(0.97, 1.03, 61), beta * np.linspace(0.97, 1.03, 61))
    near = _heavy_ball_radius(e, b, [mu, L]).min()
    return bool(abs(at - rate) < 1e-6 and near >= at - 1e-6 and grid >= at - 1e-6)


def test_stability_optimum_is_the_spectral_radius_minimum(stability):
    assert _optimum_holds(stability.eta_opt, stability.beta_opt, stability.rate_opt)
    # the optimum's rate is sqrt(beta*) (numbers printed by numpy, not by the derivation)
    assert stability.rate_opt == pytest.approx(np.sqrt(stability.beta_opt), rel=1e-12)


def test_stability_mutated_optimum_fails(stability):
    """Mutation: an optimum moved by 2% is not the spectral radius's minimum."""
    assert not _optimum_holds(stability.eta_opt * 1.02, stability.beta_opt,
                              stability.rate_opt)
    assert not _optimum_holds(stability.eta_opt, stability.beta_opt * 0.98,
                              stability.rate_opt)


def test_stability_region_and_radius_match_numpy(stability):
    E, B = np.meshgrid(stability.etas, stability.betas)
    rho = _heavy_ball_radius(E, B, [stability.mu, stability.L])
    far = np.abs(rho - 1) > 1e-3
    assert far.sum() > 0.9 * rho.size
    assert np.array_equal(stability.stable[far], rho[far] < 1)
    # the derived rho(eta, beta) (lambdified) against numpy's eigenvalues; at double roots the
    # eigenvalues are only good to about sqrt(machine epsilon)
    assert np.max(np.abs(stability.rho - rho)) < 1e-6
    # the bound eta_max(beta): just inside is stable, just outside is not
    inside = _heavy_ball_radius(stability.eta_max * (1 - 1e-3), stability.betas, [0.01, 1.0])
    outside = _heavy_ball_radius(stability.eta_max * (1 + 1e-3), stability.betas, [0.01, 1.0])
    assert np.all(inside < 1) and np.all(outside > 1)


def test_stability_figure_follows_mu_and_L(tmp_path):
    from optsym.figures.stability import stability_data, stability_figure

    d = stability_data(0.1, 2.0, 41)
    assert _optimum_holds(d.eta_opt, d.beta_opt, d.rate_opt, mu=0.1, L=2.0)
    path = tmp_path / "stability.png"
    stability_figure(path, 0.1, 2.0, 61)
    _not_blank_png(path)


# ---- convergence -----------------------------------------------------------------------------
def test_convergence_curves_contract_at_numpys_rate():
    from optsym.figures.convergence import convergence_data

    mu, L = 1.0, 10.0
    gd, hb = convergence_data(mu, L, 120)
    A = np.diag([mu, L])
    # gradient descent: every step contracts by the spectral radius of I - lr A (numpy)
    radius = np.abs(np.linalg.eigvalsh(np.eye(2) - gd.config["lr"] * A)).max()
    assert gd.rate == pytest.approx(radius, rel=1e-12)
    t = np.arange(len(gd.errors))
    assert np.all(gd.errors <= radius**t * gd.errors[0] * (1 + 1e-9) + 1e-300)
    ratios = gd.errors[1:60] / gd.errors[:59]
    np.testing.assert_allclose(ratios, radius, rtol=1e-9)
    # a grid search over fixed steps finds none better than the one used
    steps = np.linspace(0.01, 2 / L, 2001)
    best = min(np.abs(np.linalg.eigvalsh(np.eye(2) - s * A)).max() for s in steps)
    assert radius <= best + 1e-12
    # heavy ball: the error's decay per step over the tail is the spectral radius of the
    # momentum matrix at (lr, momentum), which is the derived rate
    hb_radius = float(_heavy_ball_radius(hb.config["lr"], hb.config["momentum"], [mu, L]))
    assert hb.rate == pytest.approx(hb_radius, abs=1e-6)
    tail = np.arange(20, 60)
    slope = np.polyfit(tail, np.log(hb.errors[tail] / tail), 1)[0]
    assert np.exp(slope) == pytest.approx(hb_radius, rel=2e-2)


def test_convergence_figure_file(tmp_path):
    from optsym.figures.convergence import convergence_figure

    path = tmp_path / "conv.png"
    convergence_figure(path, 1.0, 10.0, 80)
    _not_blank_png(path)
    with pytest.raises(SpecError, match="need 0 < mu < L"):
        convergence_figure(tmp_path / "x.png", 2.0, 1.0)


# ---- schedules -------------------------------------------------------------------------------
def test_schedule_values_match_torch_schedulers():
    import torch

    from optsym.figures.schedules import schedules_data

    (cos, step) = schedules_data(["cosine", "step"], 100)
    p = torch.zeros(1, requires_grad=True)

    def lrs(make, n=100):
        opt = torch.optim.SGD([p], lr=0.1)
        sched = make(opt)
        out = []
        for _ in range(n):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return np.array(out)

    assert cos["config"]["eta_max"] == 0.1 and step["config"]["eta_max"] == 0.1
    ref = lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(
        o, T_max=cos["config"]["T"], eta_min=cos["config"]["eta_min"]))
    np.testing.assert_allclose(cos["lr"], ref, rtol=1e-12, atol=1e-15)
    ref = lrs(lambda o: torch.optim.lr_scheduler.StepLR(
        o, step_size=step["config"]["step_size"], gamma=step["config"]["gamma"]))
    np.testing.assert_allclose(step["lr"], ref, rtol=1e-12, atol=1e-15)


# ---- the command -----------------------------------------------------------------------------
def test_plot_race_cli(run_cli, tmp_path):
    path = tmp_path / "race.png"
    result = run_cli("plot", "race", "--f", "rosenbrock", "--start", "-1.5,2", "--rules",
                     "gd,momentum,adam", "--lr", "1e-3", "--steps", "60", "--rule-opt",
                     "adam:beta1=0.8", "-o", str(path), "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    racers = out["panels"][0]["racers"]
    assert [r["racer"] for r in racers] == ["gd", "momentum", "adam"]
    assert racers[2]["config"]["beta1"] == 0.8 and racers[1]["config"]["momentum"] == 0.9
    reference = _torch_trajectory("SGD", 60, lr=1e-3)
    np.testing.assert_allclose(racers[0]["final"], reference[-1], rtol=1e-12)
    _not_blank_png(path)


@pytest.mark.parametrize(("kind", "ext"), [("schedules", ".pdf"), ("schedules", ".svg"),
                                          ("stability", ".svg"), ("convergence", ".svg")])
def test_plot_kinds_write_their_format(run_cli, tmp_path, kind, ext):
    path = tmp_path / f"fig{ext}"
    extra = ["--names", "cosine,onecycle"] if kind == "schedules" else []
    result = run_cli("plot", kind, *extra, "-o", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"wrote {path}"
    head = path.read_bytes()[:200]
    assert head.startswith(b"%PDF") if ext == ".pdf" else b"<svg" in path.read_bytes()[:2000]


def test_plot_stability_json_optimum(run_cli, tmp_path):
    result = run_cli("plot", "stability", "--mu", "0.01", "--L", "1", "-o",
                     str(tmp_path / "s.png"), "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert _optimum_holds(out["eta_opt"], out["beta_opt"], out["rate_opt"])


BAD = [
    (["plot", "race", "-o", "race.txt"], "must end in .png, .pdf or .svg"),
    (["plot", "race", "--rules", "adam,sgdd", "-o", "r.png"], "unknown racer 'sgdd'"),
    (["plot", "race", "--start", "1,2,3", "-o", "r.png"], "has 3 coordinates"),
    (["plot", "race", "--f", "x^2", "-o", "r.png"], "2-D objectives"),
    (["plot", "race", "--f", "__import__('os')", "-o", "r.png"], "the character \"'\""),
    (["plot", "race", "--f", "exec(x)", "-o", "r.png"], "unknown function 'exec'"),
    (["plot", "race", "--lr", "abc", "-o", "r.png"], "--lr expects a number"),
    (["plot", "race", "--rule-opt", "adam-beta1", "-o", "r.png"], "RACER:OPTION=VALUE"),
    (["plot", "race", "--rule-opt", "rmsprop:alpha=0.5", "-o", "r.png"],
     "not one of the racers"),
    (["plot", "race", "--rules", "adam", "--rule-opt", "adam:betaa=0.5", "-o", "r.png"],
     "unknown option '--betaa'"),
    (["plot", "race", "--rules", "adam,adam", "-o", "r.png"], "twice"),
    (["plot", "race", "--steps", "0", "-o", "r.png"], "--steps"),
    (["plot", "schedules", "--names", "cosin", "-o", "s.png"], "unknown schedule 'cosin'"),
    (["plot", "stability", "--mu", "2", "--L", "1", "-o", "s.png"], "need 0 < --mu < --L"),
    (["plot", "convergence", "--mu", "nan", "-o", "c.png"], "finite number"),
    (["plot", "bogus", "-o", "x.png"], "No such command 'bogus'"),
    (["plot", "race"], "Missing option '-o'"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_plot_bad_input_is_one_line_exit_2(run_cli, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = run_cli(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optsym: error:"), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir())


def test_plot_into_a_missing_directory(run_cli, tmp_path):
    result = run_cli("plot", "stability", "-o", str(tmp_path / "missing" / "s.png"))
    assert result.exit_code == 2 and "cannot write" in result.stderr


def test_divergence_is_flagged():
    bowl = parse_objective("bowl")
    fast, slow = race_data(bowl, (1, 1), [racer("gd", 5.0), racer("gd", 0.1)], 40)
    assert fast.diverged and not slow.diverged
    # gd on x^2 + y^2 multiplies x by 1 - 2 lr per step: (-9)^40 at lr = 5
    np.testing.assert_allclose(fast.path[40], [(-9.0) ** 40] * 2, rtol=1e-12)
