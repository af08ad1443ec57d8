"""``optsym compare``, ``optsym list`` conventions and ``optsym verify --convention`` through the
CLI: the done-when answers, JSON, and one-line usage errors with exit status 2."""

from __future__ import annotations

import pytest

STEP = ("--schedule", "step", "--schedule-opt", "step_size=3", "--schedule-opt", "gamma=0.5")


def test_momentum_equal_under_constant_lr_with_the_mapping(run_cli):
    result = run_cli("compare", "momentum", "--conventions", "torch,goodfellow")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "verdict: EQUAL" in out and "constant lr 1/10" in out
    assert "velocity_b = -lr*momentum_buffer" in out
    assert "the lr does not change between steps" in out
    assert "never part (max relative difference" in out


def test_momentum_parts_under_a_step_schedule(run_json):
    code, out = run_json("compare", "momentum", "--conventions", "torch,goodfellow", *STEP)
    assert code == 0
    assert out["verdict"] == "not equal" and out["consistent"]
    assert out["parting"]["step"] == 4
    assert out["parting"]["a"] == "1367/2500" and out["parting"]["b"] == "5103/10000"
    assert out["float64"]["first_parting"] == 4
    assert "from 1/10 to 1/20" in out["reason"]


def test_adamw_torch_vs_paper_counterexample_and_mapping(run_cli):
    result = run_cli("compare", "adamw", "--conventions", "torch,paper")
    assert result.exit_code == 0
    assert "verdict: NOT EQUAL" in result.stdout
    assert "first parting at step 1: torch theta = 89/100" in result.stdout
    assert "weight_decay_paper = base_lr*weight_decay (proved" in result.stdout


def test_rmsprop_torch_vs_optax_counterexample(run_json):
    code, out = run_json("compare", "rmsprop", "--conventions", "torch,optax", "--steps", "5")
    assert code == 0 and out["verdict"] == "not equal" and out["parting"]["step"] == 1
    assert [c["text"] for c in out["proof"]["conditions"]] == ["eps = 0"]


def test_options_are_exact_decimals(run_json):
    code, out = run_json("compare", "momentum", "--conventions", "goodfellow,torch",
                         "--lr", "0.2", "--momentum", "0.25", "--steps", "3")
    assert code == 0 and out["values"]["lr"] == "1/5" and out["values"]["momentum"] == "1/4"
    assert out["verdict"] == "equal"


def test_table_formats(run_cli):
    md = run_cli("compare", "--table", "--format", "markdown")
    assert md.exit_code == 0
    lines = md.stdout.splitlines()
    assert lines[0] == "| family | convention | update | used in | equal to torch |"
    assert any("| adamw | `paper` |" in line for line in lines)
    assert any("| rmsprop | `optax` |" in line and "when eps = 0" in line for line in lines)


@pytest.mark.parametrize("args, message", [
    (["compare", "momentum", "--conventions", "torch"], "expects two names"),
    (["compare", "momentum", "--conventions", "torch,nope"], "unknown convention 'nope'"),
    (["compare", "momentun", "--conventions", "torch,goodfellow"], "did you mean 'momentum'"),
    (["compare", "momentum", "--conventions", "torch,torch"], "twice"),
    (["compare", "momentum"], "give two conventions"),
    (["compare", "sgd", "--conventions", "torch,goodfellow"], "several convention families"),
    (["compare", "momentum", "--conventions", "torch,ema", "--lr", "x"], "expects a number"),
    (["compare", "momentum", "--table"], "--table takes no RULE"),
    (["compare", "momentum", "--conventions", "torch,ema", "--schedule", "nope"],
     "unknown schedule"),
    (["verify", "momentum", "--convention", "nope"], "unknown convention 'nope'"),
    (["verify", "momentum", "--convention", "ema", "--impl", "fused"], "--impl"),
    # options that would change what the family compares (review R7)
    (["compare", "momentum", "--conventions", "torch,goodfellow", "--momentum", "0"],
     "needs momentum > 0"),
    (["compare", "momentum", "--conventions", "torch,goodfellow", "--nesterov"],
     "compares sgd with nesterov = false"),
    (["compare", "momentum", "--conventions", "torch,goodfellow", "--dampening", "0.5"],
     "with dampening = 0"),
    (["compare", "nesterov", "--conventions", "torch,sutskever", "--nesterov", "false"],
     "with nesterov = true"),
    (["verify", "momentum", "--convention", "goodfellow", "--nesterov"], "nesterov = false"),
    # a value float64 cannot hold must not become 0 (and the verdict "equal because eps = 0")
    (["compare", "rmsprop", "--conventions", "torch,optax", "--eps", "1e-400"],
     "below the smallest float64"),
    (["compare", "adam", "--conventions", "torch,tensorflow", "--betas", "0.5,1e-999"],
     "below the smallest float64"),
])
def test_usage_errors(run_cli, args, message):
    result = run_cli(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("optsym: error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_list_shows_conventions(run_cli, run_json):
    result = run_cli("list")
    assert result.exit_code == 0
    assert ("momentum: torch, goodfellow, ema, optax, keras; "
            "nesterov: torch, sutskever, optax, keras") in result.stdout
    code, out = run_json("list")
    by_rule = {r["rule"]: r["conventions"] for r in out["rules"]}
    assert by_rule["adamw"] == {"adamw": ["torch", "paper", "goodfellow", "l2", "optax", "keras"]}


def test_verify_convention_against_exact_arithmetic(run_json):
    code, out = run_json("verify", "nesterov", "--convention", "sutskever", "--steps", "10")
    assert code == 0 and out["passed"]
    assert {(r["backend"], r["dtype"]) for r in out["results"]} == {
        ("torch", "float32"), ("torch", "float64"), ("numpy", "float32"), ("numpy", "float64")}


def test_verify_torch_convention_is_the_torch_check(run_cli):
    result = run_cli("verify", "momentum", "--convention", "torch", "--steps", "10",
                     "--dtype", "float64", "--backend", "torch-parity")
    assert result.exit_code == 0
    assert "momentum=0.9" in result.stdout and "1/1 checks passed" in result.stdout


def test_condition_met_by_the_run_gives_equal(run_json):
    code, out = run_json("compare", "rmsprop", "--conventions", "torch,optax", "--eps", "0",
                         "--steps", "4")
    assert code == 0 and out["verdict"] == "equal" and "eps = 0" in out["reason"]
    assert out["parting"]["step"] is None and out["float64"]["first_parting"] is None


def test_compare_json_is_byte_identical_across_processes():
    """The numeric checks are seeded and do not depend on the hash seed (set order)."""
    import os
    import subprocess
    import sys

    outs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outs.add(subprocess.run([sys.executable, "-m", "optsym", "compare", "rmsprop",
                                 "--conventions", "torch,optax", "--json"], env=env,
                                capture_output=True, text=True, check=True).stdout)
    assert len(outs) == 1


def test_defaults_gives_each_side_its_library_defaults(run_json):
    """torch RMSprop alpha=0.99 vs optax decay=0.9 (their documented defaults): they part."""
    code, out = run_json("compare", "rmsprop", "--conventions", "torch,optax", "--defaults",
                         "--lr", "0.01", "--steps", "50")
    assert code == 0 and out["consistent"] and out["library_defaults"]
    assert out["values"]["alpha"] == "99/100" and out["values_b"]["alpha"] == "9/10"
    assert out["verdict"] == "not equal" and out["parting"]["step"] == 1
    # Adam's defaults are the same in torch and optax, and so are the equations
    code, out = run_json("compare", "adam", "--conventions", "torch,optax", "--defaults")
    assert out["verdict"] == "equal" and out["values"] == out["values_b"]
    # optax's Adagrad starts its sum at 0.1: even with eps = 0 the defaults part them
    code, out = run_json("compare", "adagrad", "--conventions", "torch,optax", "--defaults",
                         "--eps", "0")
    assert out["values_b"]["initial_accumulator_value"] == "1/10"
    assert out["verdict"] == "not equal" and out["parting"]["step"] == 1


def test_grad_scale_scales_the_gradients_and_eps_placement_grows(run_json):
    gaps = {}
    for scale in ("1", "1e-4"):
        code, out = run_json("compare", "rmsprop", "--conventions", "torch,optax", "--eps",
                             "1e-8", "--grad-scale", scale)
        assert code == 0 and out["consistent"]
        a, b = float(out["parting"]["a_float"]), float(out["parting"]["b_float"])
        gaps[scale] = abs(a - b) / abs(1 - a)  # the gap at step 1 relative to the step
    assert gaps["1e-4"] > 1000 * gaps["1"]


@pytest.mark.parametrize("argv,needle", [
    (("adagrad", "--conventions", "torch,goodfellow", "--defaults"), "goodfellow"),
    (("adagrad", "--conventions", "torch,optax", "--grad-scale", "abc"), "--grad-scale"),
    (("adagrad", "--conventions", "torch,optax", "--grad-scale", "0"), "--grad-scale"),
    (("--table", "--defaults"), "--defaults"),
])
def test_defaults_and_grad_scale_usage_errors(run_cli, argv, needle):
    result = run_cli("compare", *argv)
    assert result.exit_code == 2 and needle in result.output
    assert "Traceback" not in result.output
