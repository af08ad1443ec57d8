"""Bad input: one line on stderr, exit 2, no traceback, nothing evaluated."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

BAD = [
    (["verify", "adamm"], "did you mean 'adam'"),
    (["verify", "adam", "--lr", "-1"], "Invalid learning rate"),
    (["verify", "adam", "--eps", "-1e-3"], "Invalid epsilon value"),
    (["verify", "adam", "--beta1", "1.0"], "Invalid beta parameter at index 0"),
    (["verify", "adam", "--betas", "0.9,1.5"], "Invalid beta parameter at index 1"),
    (["verify", "adam", "--betas", "0.9"], "--betas expects two numbers"),
    (["verify", "adam", "--weight-decay", "-0.1"], "Invalid weight_decay value"),
    (["verify", "sgd", "--nesterov"], "Nesterov momentum requires a momentum"),
    (["verify", "sgd", "--nesterov", "--momentum", "0.9", "--dampening", "0.1"],
     "zero dampening"),
    (["verify", "sgd", "--momentum", "-0.5"], "Invalid momentum value"),
    (["verify", "rmsprop", "--alpha", "-1"], "Invalid alpha value"),
    (["verify", "adagrad", "--lr-decay", "-1"], "Invalid lr_decay value"),
    (["verify", "adagrad", "--initial-accumulator-value", "-1"],
     "Invalid initial_accumulator_value"),
    (["verify", "adam", "--lrr", "0.1"], "did you mean '--lr'"),
    (["verify", "adam", "--lr"], "needs a value"),
    (["verify", "adam", "--lr", "__import__('os')"], "expects a number"),
    (["verify", "adam", "--amsgrad", "maybe"], "unexpected argument"),
    (["verify", "adam", "--amsgrad=maybe"], "expects true or false"),
    (["verify", "adam", "--steps", "x"], "--steps"),
    (["verify", "adam", "--dtype", "float16"], "--dtype"),
    (["codegen", "adam", "--target", "jax"], "--target"),
    (["codegen", "nope"], "unknown rule 'nope'"),
    (["verify", "sgd", "--seed", "-1"], "--seed"),
    (["verify", "adam", "--lr", "inf"], "expects a finite number"),
    (["verify", "adam", "--lr", "1e400"], "expects a finite number"),
    (["verify", "sgd", "--momentum", "0.9", "--dampening", "nan"], "expects a finite number"),
    (["verify", "adam", "--eps", "1e-400"], "below the smallest float64"),
    (["verify", "adam", "--lr", "1e300", "--steps", "2"], "torch.optim.Adam fails on this"),
    (["verify", "rmsprop", "--impl", "fused"], "no fused path for rmsprop"),
    (["codegen", "adam", "--out", "/nonexistent/dir/x.py"], "cannot write"),
    (["codegen", "adam", "--out", ""], "--out needs a name"),
    # torch's own check order and formatting
    (["verify", "adam", "--eps", "-1", "--betas", "1.5,0.9"], "Invalid epsilon value: -1"),
    (["verify", "rmsprop", "--alpha", "-1", "--eps", "-1"], "Invalid epsilon value: -1"),
]


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_input_is_one_line_exit_2(run_cli, args, message):
    result = run_cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optsym: error: "), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_gpu_is_a_usage_error(run_cli):
    result = run_cli("verify", "adam", "--device", "cuda")
    assert result.exit_code == 2
    assert "no CUDA device" in result.stderr


def test_console_script_and_module_entry_point():
    for cmd in ([sys.executable, "-m", "optsym", "verify", "adamm"],):
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 2
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "optsym", "--version"], capture_output=True,
                          text=True)
    assert proc.returncode == 0 and "optsym" in proc.stdout


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_device_all_says_when_cuda_is_absent(run_cli):
    result = run_cli("verify", "sgd", "--device", "all", "--steps", "5")
    assert result.exit_code == 0
    assert "no CUDA device on this machine; checking cpu only" in result.stderr
