"""Every implementation form is proved equal to its textbook form, for every sweep config."""

from __future__ import annotations

import pytest
import sympy as sp

from optsym import rules
from optsym.proof import numeric_check, prove_rule

CASES = [(r.name, i, path) for r in rules.all_rules() for i in range(len(r.sweep))
         for path in r.path_names]


@pytest.mark.parametrize(("name", "index", "path"), CASES)
def test_implementation_equals_textbook(name, index, path):
    rule = rules.get(name)
    cfg = rule.config(rule.sweep[index])
    obligations = prove_rule(rule, cfg, path=path)
    assert [ob.output for ob in obligations] == ["param"] + [s.name for s in rule.states(cfg)]
    for ob in obligations:
        assert ob.method is not None, ob
        assert ob.numeric_max_diff < 1e-30, ob


def test_numeric_check_detects_a_difference():
    rule = rules.get("adam")
    cfg = rule.config({})
    from optsym.rules.adam import beta1, m

    assert numeric_check(rule, cfg, beta1 * m, beta1 * m) == 0
    assert numeric_check(rule, cfg, beta1 * m, beta1 * m * (1 + sp.Rational(1, 10**20))) > 0
