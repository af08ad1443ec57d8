"""A hostile-input corpus over the commands: every answer is an exit status of 0, 1 or 2, a
usage error is one line starting ``optsym: error:``, nothing is an internal error or a
traceback, no user text is executed, and no file appears but a figure asked for with success."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

#: every case is bounded: a command that runs away on hostile input fails here (with every
#: thread's stack), not at the suite's end; the slowest case takes a few seconds
pytestmark = pytest.mark.timeout(60)

#: values a user (or a fuzzer) types where a number, a name or a formula goes
HOSTILE = ["", "nan", "inf", "-inf", "1e309", "-1", "0", "1e-320",
           "__import__('os').system('touch pwned')", "x" * 300, "ΔΣ", "1/0", "2^99999", "--",
           "1,2,3"]

#: commands with one slot (None) for the hostile value
COMMANDS = {
    "verify-lr": ["verify", "adam", "--lr", None, "--steps", "2", "--dtype", "float64"],
    "verify-momentum": ["verify", "sgd", "--momentum", None, "--steps", "2", "--dtype",
                        "float64"],
    "example-f": ["example", "gd", "--f", None, "--x0", "1", "--lr", "0.1", "--steps", "1"],
    "example-g-seq": ["example", "adagrad", "--g-seq", None],
    "example-x0": ["example", "gd", "--f", "x^2", "--x0", None, "--lr", "0.1", "--steps", "1"],
    "derive-L": ["derive", "gd-quadratic", "--L", None, "--mu", "1"],
    "schedule-T": ["schedule", "cosine", "--T", None],
    "schedule-gamma": ["schedule", "exponential", "--gamma", None, "--at", "0,5"],
    "clip-g": ["clip", "norm", "--g", None, "--threshold", "1"],
    "compare": ["compare", "momentum", "--conventions", None],
    "plot-mu": ["plot", "stability", "--mu", None, "--L", "1", "-o", "s.png"],
    "codegen": ["codegen", None],
    "check": ["check", None, "--rule", "adam"],
    "port": ["port", None, "--to", "optax"],
    "exercises-n": ["exercises", "gd-quadratic", "--n", None],
    "verify-gd": ["verify", "gd", "--objective", None, "--x0", "0.3", "--steps", "2"],
}


def _a_verdict_or_one_line(result) -> None:
    """Exit 0, 1 or 2; no traceback or internal error; a usage error is one line."""
    err = result.stderr
    assert result.exit_code in (0, 1, 2), (result.exit_code, err)
    assert "Traceback" not in err and "internal error" not in err, err
    if result.exit_code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("optsym: error: "), err


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v)[:24])
@pytest.mark.parametrize("name", COMMANDS)
def test_hostile_input_gets_a_verdict_or_one_line(run_cli, tmp_path, monkeypatch, name, value):
    monkeypatch.chdir(tmp_path)
    result = run_cli(*[value if a is None else a for a in COMMANDS[name]])
    _a_verdict_or_one_line(result)
    assert not (tmp_path / "pwned").exists()
    left = set(os.listdir(tmp_path)) - ({"s.png"} if result.exit_code == 0 else set())
    assert not left, left


@pytest.mark.parametrize("objective", ["nan", "inf", "x + inf", "nan*x^2"])
def test_not_finite_names_are_not_variables(run_cli, objective):
    """``nan`` was taken as a variable named nan (f(nan) = nan, minimized to 9/10)."""
    result = run_cli("example", "gd", "--f", objective, "--x0", "1", "--lr", "0.1")
    assert result.exit_code == 2 and "is not a finite number" in result.stderr


#: a good value for each slot: the template itself must run, or the corpus would only ever
#: meet usage errors of its own making
GOOD = {"verify-lr": "0.01", "example-g-seq": "1,0; 0,1", "verify-momentum": "0.9", "example-f": "(x-3)^2", "example-x0": "2",
        "derive-L": "10", "schedule-T": "50", "schedule-gamma": "0.9", "clip-g": "3,4",
        "compare": "torch,goodfellow", "plot-mu": "0.1", "codegen": "adam",
        "port": "torch.optim.Adam", "exercises-n": "2", "verify-gd": "x^2"}


@pytest.mark.parametrize("name", GOOD)
def test_each_template_runs_with_a_good_value(run_cli, tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    result = run_cli(*[GOOD[name] if a is None else a for a in COMMANDS[name]])
    assert result.exit_code == 0, result.output


#: the characters hostile text is drawn from: the grammar's own, quotes, brackets, dunder
#: pieces, exponents, separators, non-ASCII
ALPHABET = "xy0123456789.+-*/^()e_ ,'\"[]{}:;=!<>|&%$#@~`\\ΔΣπ\tinfa"


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=ALPHABET, max_size=40),
       slot=st.sampled_from(["example-f", "verify-gd", "derive-L", "schedule-gamma", "clip-g"]))
def test_generated_hostile_text_gets_a_verdict_or_one_line(run_cli, tmp_path, monkeypatch,
                                                           text, slot):
    """Hypothesis-generated text in the slots that parse formulas and exact numbers."""
    monkeypatch.chdir(tmp_path)
    _a_verdict_or_one_line(run_cli(*[text if a is None else a for a in COMMANDS[slot]]))
