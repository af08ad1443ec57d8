"""Issues 19/20: one error boundary at the CLI's edge, the named crashes, budgets on runaway work.

Each case is checked against what the input means (a constant objective has gradient zero, a
closed pipe is silent, a cap is a usage error), not against optsym's own output copied in.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from optsym.cli import cli


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


# --- the error boundary ------------------------------------------------------------------------

def test_unexpected_exception_is_one_line_and_debug_shows_traceback(monkeypatch):
    module = sys.modules["optsym.cli.list_rules"]

    def boom(*_a, **_k):
        raise ZeroDivisionError("injected")

    monkeypatch.setattr(module, "rules_table", boom)
    result = invoke("list")
    assert result.exit_code == 1
    line = one_line(result.stderr)
    assert line == ("optsym: internal error: ZeroDivisionError: injected "
                    "(please report; rerun with --debug for the traceback)")
    result = invoke("--debug", "list")
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "ZeroDivisionError: injected" in result.stderr


def test_usage_failure_stays_exit_2():
    result = invoke("verify", "adamm")
    assert result.exit_code == 2 and one_line(result.stderr).startswith("optsym: error: ")


def _optsym(args, **kw):
    return subprocess.run([sys.executable, "-m", "optsym", *args], capture_output=True,
                          text=True, timeout=120, **kw)


def test_stdout_to_dev_full_is_one_line_exit_1():
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "optsym", "list"], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 1
    assert one_line(proc.stderr) == "optsym: error: cannot write output: No space left on device"


def test_closed_pipe_is_silent():
    proc = subprocess.Popen([sys.executable, "-m", "optsym", "list"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader went away before optsym wrote anything
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert err == b""


# --- the named crashes -------------------------------------------------------------------------

@pytest.mark.parametrize("f", ["0*x", "x-x+1"])
def test_constant_objective_has_zero_gradient(f):
    result = invoke("example", "gd", "--f", f, "--steps", "2", "--json")
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output


def test_constant_objective_trajectory_stays_put():
    import numpy as np

    from optsym import rules
    from optsym.codegen.module import generate, load
    from optsym.objective import parse_objective
    from optsym.trajectory import _run_torch

    rule = rules.get("sgd")
    ns = load(generate(rule, rule.config({"lr": 0.5}), "torch"), "const")
    path = _run_torch(ns, parse_objective("x-x+1"), np.array([0.3]), None, 3, "float64", {}, {})
    assert [float(p[0]) for p in path] == [0.3] * 4  # zero gradient: x never moves


@pytest.mark.parametrize("depth", [9, 50])
def test_nested_sigmoid_is_refused_quickly(depth):
    f = "sigmoid(" * depth + "x" + ")" * depth
    start = time.perf_counter()
    result = invoke("example", "gd", "--f", f)
    assert time.perf_counter() - start < 5
    assert result.exit_code == 2
    assert "nest more than 8 deep" in one_line(result.stderr)


@pytest.mark.parametrize(("lambd", "lr", "steps", "first"), [
    ("-1", "2", "5", 1), ("-200", "2", "5", 1), ("-1e308", "2", "5", 1),
    # 1 + (-1/2)(1/10) t <= 0 from t = 20 on (by hand)
    ("-0.5", "0.1", "30", 20)])
def test_asgd_negative_lambd_past_its_domain_is_a_usage_error(lambd, lr, steps, first):
    result = invoke("verify", "asgd", "--lambd", lambd, "--lr", lr, "--steps", steps)
    assert result.exit_code == 2
    assert f"reaches below 0 at step {first} (within {steps} steps)" in one_line(result.stderr)
    if first > 1:
        assert f"at most {first - 1} steps" in result.stderr


def test_asgd_negative_lambd_within_its_domain_verifies():
    """1 + lambd*lr*t > 0 for t <= 19 at lambd = -0.5, lr = 0.1: torch.optim.ASGD is matched
    (bitwise in its order), on both paths; past step 19 torch's foreach rate is NaN, as the
    refusal above says."""
    import torch

    for impl in ("single", "foreach"):
        result = invoke("verify", "asgd", "--lambd", "-0.5", "--lr", "0.1", "--steps", "19",
                        "--impl", impl)
        assert result.exit_code == 0, result.output
    p = torch.ones(2, requires_grad=True)
    opt = torch.optim.ASGD([p], lr=0.1, lambd=-0.5, foreach=True)
    for _ in range(21):
        p.grad = torch.ones(2)
        opt.step()
    assert torch.isnan(opt.state[p]["eta"])


# --- budgets -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "cap"), [
    (["derive", "sgd-noise", "--B", "1000000000"], "<= 1000"),
    (["derive", "sgd-noise", "--t", "1000000000"], "<= 2000"),
    (["derive", "ema", "--t", "1000000000"], "<= 100000"),
    (["derive", "ema", "--k", "1000000000"], "<= 1000000"),
    (["derive", "smooth-convex-gd", "--t", "100000000"], "<= 20"),
])
def test_runaway_derivations_are_refused_with_the_cap(args, cap):
    start = time.perf_counter()
    result = invoke(*args)
    assert time.perf_counter() - start < 5
    assert result.exit_code == 2
    assert cap in one_line(result.stderr)


def test_ema_weight_far_back_underflows_to_zero_and_passes():
    from derivations.ema import DERIVATION, cross_checks

    checks = cross_checks(DERIVATION.config({"k": 10000}))
    assert checks[0].passed  # 0.9**10000 = 1e-458: zero in float64 on both sides
