"""``optsym schedule`` and ``optsym verify`` with schedules: output, JSON, plot, the
Robbins-Monro verdicts, rules composed with a schedule and clipping, and bad input."""

from __future__ import annotations

import math

import pytest

from optsym import schedules

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _table(stdout: str) -> dict[int, float]:
    """The value table at the end of ``optsym schedule``'s text output."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split() == ["k", "lr"])
    rows = {}
    for line in lines[start + 1:]:
        parts = line.split()
        if len(parts) != 2:
            break
        rows[int(parts[0])] = float(parts[1])
    return rows


# ---- optsym schedule --------------------------------------------------------------------------
def test_schedule_text_output(run_cli):
    result = run_cli("schedule", "cosine", "--eta-max", "0.1", "--eta-min", "0.001", "--T", "100")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "CosineAnnealingLR(opt, T_max=100, eta_min=0.001)" in out
    closed = out[out.index("closed form:"):out.index("torch recurses")]
    assert "cos" in closed and "η" in closed and "π" in closed
    rows = _table(out)
    assert rows[0] == 0.1 and rows[100] == 0.001
    assert rows[50] == pytest.approx(0.001 + (0.1 - 0.001) / 2, rel=1e-9)  # 0.0505
    assert {0, 1, 25, 50, 75, 99, 100} <= set(rows)
    assert "FAILS" not in out and "DISAGREES" not in out
    assert "budget" in out and "holds" in out


def test_schedule_latex_output(run_cli):
    result = run_cli("schedule", "cosine", "--eta-max", "0.1", "--eta-min", "0.001", "--T", "100",
                     "--format", "latex")
    assert result.exit_code == 0, result.stderr
    assert "\\begin{align*}" in result.stdout and "\\end{align*}" in result.stdout
    assert "\\cos" in result.stdout and "\\eta_k" in result.stdout


def test_schedule_json(run_json):
    code, out = run_json("schedule", "cosine", "--eta-max", "0.1", "--eta-min", "0.001",
                         "--T", "100", "--at", "0,50,100,200")
    assert code == 0
    assert out["schedule"] == "cosine"
    assert out["config"] == {"eta_max": 0.1, "T": 100, "eta_min": 0.001}
    values = {v["k"]: v["lr"] for v in out["values"]}
    assert values[0] == 0.1 and values[100] == pytest.approx(0.001, rel=1e-14)
    assert values[50] == pytest.approx(0.0505, rel=1e-14)
    assert values[200] == pytest.approx(0.1, rel=1e-14)  # periodic, as torch
    assert out["budget"]["value"] == pytest.approx(100 * 0.101 / 2 + 0.099 / 2, rel=1e-13)
    assert out["cross_checks_hold"] is True
    assert out["proofs"]["every_step"]["holds"] is True
    assert all(p["holds"] for p in out["proofs"]["induction"])
    assert out["torch_computes"] == "recursion"


def test_schedule_multistep_duplicated_milestone(run_json):
    code, out = run_json("schedule", "multistep", "--milestones", "3,3,7", "--at", "2,3,6,7")
    assert code == 0
    assert out["config"]["milestones"] == [3, 3, 7]
    values = {v["k"]: v["lr"] for v in out["values"]}
    # gamma 0.1 twice at k = 3, once more at 7
    assert values[2] == 0.1
    assert values[3] == pytest.approx(1e-3, rel=1e-14) and values[6] == values[3]
    assert values[7] == pytest.approx(1e-4, rel=1e-14)


def test_schedule_plot(run_cli, tmp_path):
    import matplotlib.image as mpimg
    import numpy as np

    path = tmp_path / "cosine.png"
    result = run_cli("schedule", "cosine", "--T", "40", "--eta-min", "0.01", "--plot", str(path))
    assert result.exit_code == 0, result.stderr
    assert f"wrote {path}" in result.stdout
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 5000
    img = mpimg.imread(str(path))
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert float(np.std(img)) > 0
    background = img[0, 0]
    differs = np.any(np.abs(img - background) > 1e-6, axis=-1)
    assert differs.mean() > 0.01


def test_schedule_list(run_cli):
    result = run_cli("schedule", "--list")
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.stdout.splitlines()
              if line and not line.startswith(" ")}
    assert listed == set(schedules.names())
    assert "CosineAnnealingLR(opt, T_max=100, eta_min=0.0)" in result.stdout
    assert "--T-mult" in result.stdout and "--milestones" in result.stdout


# ---- Robbins-Monro verdicts --------------------------------------------------------------------
RM = [
    # name, options, sum lr, sum lr^2, satisfied
    ("inverse-time", (), "diverges", "converges", True),
    ("inverse-sqrt", (), "diverges", "diverges", False),
    ("exponential", (), "converges", "converges", False),
    ("step", (), "converges", "converges", False),
    ("cosine", ("--T", "50"), "diverges", "diverges", False),
]


@pytest.mark.parametrize(("name", "options", "sum_lr", "sum_lr2", "satisfied"), RM,
                         ids=[r[0] for r in RM])
def test_robbins_monro_verdicts(run_json, name, options, sum_lr, sum_lr2, satisfied):
    code, out = run_json("schedule", name, *options)
    assert code == 0
    rm = out["robbins_monro"]
    assert rm["applies"] is True
    assert (rm["sum_lr"], rm["sum_lr2"], rm["satisfied"]) == (sum_lr, sum_lr2, satisfied)
    assert rm["holds"] is True  # the numeric decade test agrees
    assert (rm["numeric"]["sum_lr"], rm["numeric"]["sum_lr2"]) == (sum_lr, sum_lr2)


def test_robbins_monro_numeric_sums_are_plausible(run_json):
    """The decade sums of c/t: each decade of sum lr adds about eta/d * ln 10."""
    _, out = run_json("schedule", "inverse-time")
    first, second = out["robbins_monro"]["numeric"]["lr_sums"]
    assert second == pytest.approx(0.1 / 0.1 * math.log(10), rel=0.01)
    assert first == pytest.approx(second, rel=0.01)
    g1, g2 = out["robbins_monro"]["numeric"]["lr2_sums"]
    assert g2 < 0.2 * g1  # 1/k^2: a tenth


def test_robbins_monro_not_applicable_to_onecycle(run_json):
    code, out = run_json("schedule", "onecycle")
    assert code == 0
    rm = out["robbins_monro"]
    assert rm["applies"] is False and rm["satisfied"] is None
    assert "OneCycleLR" in rm["argument"]


def test_robbins_monro_text(run_cli):
    result = run_cli("schedule", "inverse-sqrt", "--warmup", "4")
    assert result.exit_code == 0
    assert "sum lr diverges, sum lr^2 diverges: not satisfied" in result.stdout
    assert "[agrees]" in result.stdout


# ---- optsym verify SCHEDULE and composition ----------------------------------------------------
def test_verify_schedule_json(run_json):
    code, out = run_json("verify", "cosine", "--eta-max", "0.1", "--T", "100")
    assert code == 0 and out["passed"] is True
    checks = {c["form"]: c for c in out["checks"]}
    assert checks["torch-parity"]["parted"] == 0 and checks["torch-parity"]["passed"] is True
    assert checks["closed"]["passed"] is True
    assert out["steps"] == 110 and checks["torch-parity"]["steps"] == 110
    assert out["proofs"]["every_step"]["holds"] is True
    assert out["reference"] == ("torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100, "
                                "eta_min=0.0)")


def test_verify_schedule_text(run_cli):
    result = run_cli("verify", "onecycle", "--anneal", "linear", "--total-steps", "37",
                     "--pct-start", "0.25")
    assert result.exit_code == 0
    assert "torch-parity  PASS  parted at 0/37 steps" in result.stdout
    assert "FAIL" not in result.stdout


COMPOSED = [
    ("adam", "--schedule", "cosine", "--schedule-opt", "T=50", "--clip-norm", "1.0"),
    ("sgd", "--momentum", "0.9", "--schedule", "warmup-cosine", "--schedule-opt", "warmup=5",
     "--schedule-opt", "T=60"),
    pytest.param(("rmsprop", "--schedule", "cosine", "--schedule-opt", "T=50", "--clip-value",
                  "0.5"), id="rmsprop",),
    ("adagrad", "--schedule", "step", "--schedule-opt", "step_size=7", "--schedule-opt",
     "gamma=0.5", "--clip-value", "0.5", "--backend", "torch-parity"),
    ("adamw", "--schedule", "multistep", "--schedule-opt", "milestones=10,10,40",
     "--clip-value", "0.5", "--backend", "torch-parity"),
]


@pytest.mark.parametrize("args", COMPOSED, ids=[a[0] if type(a) is tuple else None
                                                 for a in COMPOSED])
def test_verify_rule_with_schedule_and_clip(run_json, args):
    code, out = run_json("verify", *args)
    assert code == 0 and out["passed"] is True
    schedule = args[args.index("--schedule") + 1]
    assert out["schedule"]["name"] == schedule
    parity = [r for r in out["results"] if r["backend"] == "torch-parity"]
    assert parity and {r["dtype"] for r in parity} == {"float32", "float64"}
    for r in parity:
        assert r["max_ulp"] == 0 and r["passed"] is True and r["steps"] == 100
        assert f"{schedule} schedule's lr bitwise" in r["criterion"]
    assert all(r["passed"] for r in out["results"])
    if "--clip-norm" in args:
        assert out["clip"]["kind"] == "norm" and out["clip"]["threshold"] == 1.0
    if "--clip-value" in args:
        assert out["clip"]["kind"] == "value" and out["clip"]["threshold"] == 0.5
    # the schedule's peak is the optimizer's lr
    rule_lr = out["results"][0]["config"]["lr"]
    assert out["schedule"]["config"]["eta_max"] == rule_lr


# ---- bad input ---------------------------------------------------------------------------------
BAD = [
    (["schedule", "cosine", "--T", "-5"], "--T must be an integer from 1 to 10000000"),
    (["schedule", "cosine", "--T", "20000000"], "--T must be an integer from 1 to 10000000"),
    (["schedule", "cosine", "--plot", "lr.txt"], "must end in .png, .pdf or .svg"),
    (["verify", "cosine", "--clip-norm", "1"], "not an option of a schedule"),
    (["verify", "exponential", "--gamma", "1.5", "--steps", "2000"], "overflows a double"),
    (["clip", "value", "--threshold", "0"], "needs a finite threshold > 0"),
    (["verify", "cosine", "--T", "-5"], "--T must be an integer from 1 to 10000000"),
    (["schedule", "warmup-cosine", "--warmup", "100", "--T", "100"],
     "--warmup (100) must be less than --T (100)"),
    (["schedule", "warmup-cosine", "--warmup", "10", "--T", "5"], "must be less than --T"),
    (["schedule", "cosine", "--eta-min", "0.2", "--eta-max", "0.1"],
     "--eta-min (0.2) must not exceed --eta-max (0.1)"),
    (["schedule", "cosin"], "did you mean 'cosine'"),
    (["verify", "adam", "--schedule", "cosin"], "did you mean 'cosine'"),
    (["schedule", "cosine", "--T", "1.5"], "--T expects an integer"),
    (["verify", "adam", "--schedule", "cosine", "--schedule-opt", "T=1.5"],
     "--T expects an integer"),
    (["schedule", "cyclic", "--mode", "sawtooth"], "expects one of triangular"),
    (["verify", "adam", "--schedule", "cosine", "--schedule-opt", "T50"],
     "--schedule-opt expects KEY=VALUE"),
    (["verify", "adam", "--schedule-opt", "T=50"], "--schedule-opt needs --schedule"),
    (["verify", "adam", "--clip-norm", "1.0", "--clip-value", "1.0"],
     "one of --clip-norm and --clip-value"),
    (["verify", "adam", "--clip-norm", "-1"], "max_norm"),
    (["schedule", "cosine", "--at", "-3"], "step indices are >= 0"),
    (["schedule", "cosine", "--at", "1,x"], "--at expects step indices"),
    (["schedule", "cosine", "--Q", "3"], "did you mean '--T'"),
    (["verify", "adam", "--schedule", "cosine", "--schedule-opt", "Q=3"], "unknown option"),
    (["schedule", "cosine", "--T"], "--T needs a value"),
    (["schedule"], "missing schedule NAME"),
    (["schedule", "multistep", "--milestones", "0,5"], "--milestones must be a non-empty list"),
    (["schedule", "linear", "--start-factor", "0"], "--start-factor must be in (0, 1]"),
    (["schedule", "onecycle", "--pct-start", "0.001"], "must lie strictly between"),
    (["verify", "onecycle", "--steps", "500"], "OneCycleLR raises after total_steps"),
    (["verify", "adam", "--schedule", "cosine", "--schedule-opt", "eta_max=0.5"],
     "disagrees with the rule's --lr"),
]


def _one_line_error(result, message):
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optsym: error: "), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_exit_2(run_cli, args, message):
    _one_line_error(run_cli(*args), message)


def test_plot_into_a_missing_directory(run_cli, tmp_path):
    target = tmp_path / "missing" / "x.png"
    _one_line_error(run_cli("schedule", "cosine", "--T", "10", "--plot", str(target)),
                    "cannot write")
    assert not target.exists()


# ---- regressions: bugs found by review, now fixed ------------------------------
def test_schedule_restarts_with_T_mult(run_json):
    code, out = run_json("schedule", "cosine-restarts", "--T-0", "3", "--T-mult", "2",
                         "--horizon", "20", "--at", "0,3,9,21")
    assert code == 0
    values = {v["k"]: v["lr"] for v in out["values"]}
    assert values[0] == values[3] == values[9] == values[21] == 0.1  # restarts at 3, 9, 21


def test_verify_restarts_with_T_mult(run_json):
    code, out = run_json("verify", "cosine-restarts", "--T-0", "3", "--T-mult", "2",
                         "--horizon", "20")
    assert code == 0 and out["passed"] is True


def test_schedule_cyclic_triangular2(run_json):
    code, out = run_json("schedule", "cyclic", "--mode", "triangular2")
    assert code == 0 and out["cross_checks_hold"] is True


def test_schedule_polynomial_fractional_power(run_json):
    code, out = run_json("schedule", "polynomial", "--power", "0.5", "--total-iters", "9",
                         "--horizon", "20")
    assert code == 0 and out["budget"]["holds"] is True


def test_verify_linear_decay_to_zero(run_json):
    code, out = run_json("verify", "linear", "--start-factor", "1", "--end-factor", "0",
                         "--total-iters", "6", "--horizon", "12")
    assert all(c["passed"] for c in out["checks"])  # torch agrees with both forms
    assert code == 0 and out["passed"] is True


def test_composed_onecycle_too_many_steps_is_a_usage_error(run_cli):
    _one_line_error(run_cli("verify", "adam", "--schedule", "onecycle", "--schedule-opt",
                            "total_steps=50"), "total_steps")


def test_a_horizon_shorter_than_the_warmup_says_so(run_cli, run_json):
    """inverse-sqrt with a warmup of 2000 over the default horizon 1000 rises all the window
    long; the schedule itself is not monotone, and the verdict must say it saw only the
    window."""
    result = run_cli("schedule", "inverse-sqrt", "--warmup", "2000")
    line = next(ln for ln in result.output.splitlines() if "monotonicity" in ln)
    assert "over the horizon only" in line and "k = 2000" in line
    _, whole = run_json("schedule", "inverse-sqrt", "--warmup", "2000", "--horizon", "3000")
    assert whole["monotonicity"]["overall"] == "not monotone"
    assert whole["monotonicity"]["beyond"] == [] and whole["monotonicity"]["caveat"] == ""
