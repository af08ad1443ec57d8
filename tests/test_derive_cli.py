"""``optsym derive``: list, formats, parameters with cross-checks, one-line usage errors."""

from __future__ import annotations

import json

import pytest

from optsym import derivations


def test_list_names_every_registered_derivation(run_cli):
    result = run_cli("derive", "--list")
    assert result.exit_code == 0
    for name in derivations.names():
        assert name in result.stdout


def test_json_with_parameters_gives_numbers_and_passing_checks(run_cli):
    result = run_cli("derive", "ema", "--mu", "0.9", "--k", "10", "--json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    values = {r["key"]: r["value"] for r in out["results"]}
    assert values["weight"] == pytest.approx(0.9**10, rel=1e-12)  # 0.3486784401
    assert values["window"] == pytest.approx(10.0, rel=1e-12)
    assert out["passed"] and out["cross_checks"]
    assert all(r["latex"] for r in out["results"])


def test_text_and_latex_formats(run_cli):
    text = run_cli("derive", "ema")
    assert text.exit_code == 0 and "results:" in text.stdout
    tex = run_cli("derive", "ema", "--format", "latex")
    assert tex.exit_code == 0 and r"\begin{align*}" in tex.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["derive", "emma"], "did you mean 'ema'"),
    (["derive"], "missing derivation NAME"),
    (["derive", "ema", "--mu", "1.5"], "--mu must be in (0, 1)"),
    (["derive", "ema", "--mu", "abc"], "expects a number"),
    (["derive", "ema", "--k", "2.5"], "expects an integer"),
    (["derive", "ema", "--nope", "1"], "unknown option '--nope'"),
])
def test_bad_input_is_one_line_exit_2(run_cli, args, message):
    result = run_cli(*args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optsym: error: ") and message in lines[0]
