"""The spine's done-when: every rule verifies against its reference, parity to 0 ULP.

The generic test iterates the registry (as torch's ``OptimizerInfo`` does): a new rule is
tested here with no test edit.
"""

from __future__ import annotations

import pytest

from optsym import rules

@pytest.mark.parametrize("name", rules.names())
def test_verify_rule_json_passes_with_bitwise_parity(run_json, name):
    rule = rules.get(name)
    if rule.reference.kind == "package":
        pytest.importorskip(rule.reference.module, reason=f"{name}'s reference: "
                            f"pip install {rule.reference.pip}")
    code, out = run_json("verify", name, "--steps", "100")
    assert out["rule"] == name and out["reference"] == rule.reference_class
    assert out["passed"] is True and code == 0, [r for r in out["results"] if not r["passed"]]
    parity = [r for r in out["results"] if r["backend"] == "torch-parity"]
    # every configuration of the sweep, both dtypes
    assert len(parity) == 2 * len(rule.sweep)
    assert {r["dtype"] for r in parity} == {"float32", "float64"}
    for r in parity:
        assert r["max_ulp"] == 0 and r["steps"] >= 100 and r["device"] == "cpu"
        assert r["mode"] == "trajectory"
    textbook = [r for r in out["results"] if r["backend"] != "torch-parity"]
    assert textbook and all(r["worst_ratio"] is not None and 0 <= r["worst_ratio"] <= 1
                            for r in textbook)
    for r in out["results"]:
        assert set(r) >= {"config", "backend", "dtype", "device", "steps", "max_abs", "max_rel",
                          "max_ulp", "passed"}


def test_textbook_backends_really_differ_from_torch(run_json):
    """The textbook forms are not bitwise equal to torch: the bound is doing real work."""
    _, out = run_json("verify", "adam", "--backend", "numpy", "--dtype", "float32")
    assert out["passed"]
    assert max(r["max_ulp"] for r in out["results"]) > 0
    assert all(0 < r["worst_ratio"] <= 1 for r in out["results"])


def test_single_configuration_from_options(run_json):
    code, out = run_json("verify", "adam", "--amsgrad", "--weight-decay", "0.1", "--lr", "0.05",
                         "--dtype", "float32", "--steps", "30")
    assert code == 0
    assert {tuple(sorted(r["overrides"])) for r in out["results"]} == {
        ("amsgrad", "lr", "weight_decay")}
    assert all(r["config"]["beta2"] == 0.999 and r["config"]["amsgrad"] is True
               for r in out["results"])
    assert {r["backend"] for r in out["results"]} == {"torch-parity", "torch", "numpy"}


def test_table_output(run_cli):
    result = run_cli("verify", "sgd", "--momentum", "0.9", "--nesterov", "--steps", "20")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:9] == ["config", "backend", "dtype", "device", "steps", "max_abs",
                                    "max_rel", "max_ulp", "verdict"]
    assert sum(" PASS" in line for line in lines) == 6
    assert "6/6 checks passed" in result.stdout


def test_proofs_are_shown(run_cli):
    result = run_cli("verify", "adam", "--amsgrad", "--proofs", "--steps", "5")
    assert result.exit_code == 0
    assert "proof [amsgrad]" in result.stdout
    for output in ("param", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
        assert f"  {output}: holds" in result.stdout
