"""torch's other execution paths (issue: foreach and fused forms), checked on the CPU."""

from __future__ import annotations

import pytest

from optsym import rules

PATHS = [(r.name, p) for r in rules.all_rules() for p in r.path_names if p != "single"]


@pytest.mark.parametrize(("name", "path"), PATHS)
def test_path_verifies(run_json, name, path):
    code, out = run_json("verify", name, "--impl", path, "--steps", "100")
    assert code == 0 and out["passed"] and out["impl"] == path, \
        [r for r in out["results"] if not r["passed"]]
    parity = [r for r in out["results"] if r["backend"] == "torch-parity"]
    assert len(parity) == 2 * len(rules.get(name).sweep)
    if path in rules.get(name).inexact:
        # not claimed bit-exact: checked within the rounding bound, and the criterion says why
        assert all(r["mode"] == "one-step" and "not bit-exact" in r["criterion"] for r in parity)
        assert all(r["worst_ratio"] <= 1 for r in parity)
    else:
        assert all(r["mode"] == "trajectory" and r["max_ulp"] == 0 for r in parity)


def _has_argument(rule, name: str) -> bool:
    from optsym.verify.reference import reference_class

    return name in reference_class(rule).__init__.__code__.co_varnames


def test_foreach_is_bit_exact_for_every_rule_whose_reference_has_it():
    for rule in rules.all_rules():
        if _has_argument(rule, "foreach"):
            assert "foreach" in rule.path_names and "foreach" not in rule.inexact, rule.name


def test_fused_paths_are_the_ones_torch_has():
    for rule in rules.all_rules():
        assert ("fused" in rule.path_names) == _has_argument(rule, "fused"), rule.name


def test_unknown_path_is_a_usage_error(run_cli):
    result = run_cli("verify", "rmsprop", "--impl", "fused")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("optsym: error: torch has no fused path for rmsprop; "
                                     "paths: single, foreach")


def test_adagrad_foreach_has_its_own_order(run_cli):
    """foreach Adagrad scales the gradient by -clr before addcdiv: a different form."""
    single = run_cli("codegen", "adagrad").stdout
    foreach = run_cli("codegen", "adagrad", "--impl", "foreach").stdout
    assert "minus_clr" in foreach and "minus_clr" not in single
    assert "--impl foreach" in foreach
