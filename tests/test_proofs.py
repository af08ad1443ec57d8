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


def test_power_rules_never_assume_a_tensor_is_positive():
    """The forced power rules treat symbols as positive; where a tensor sits in ``Abs`` or
    ``sign`` they must not be used (|g| - g is not 0), and a mutated Adamax without the
    absolute value must not be proved (review finding)."""
    import dataclasses

    import sympy as sp

    import optsym.rules.adamax as am
    from optsym.proof import _is_zero, _is_zero_by_cases, prove_rule
    from optsym.spec import Assign, g

    assert _is_zero(sp.Abs(g) - g) is None and _is_zero(sp.sign(g) - 1) is None
    assert _is_zero_by_cases(sp.Abs(g) - g) is None
    assert _is_zero_by_cases(sp.Abs(g) ** 2 - g**2) is not None  # true identities still hold
    rule = rules.get("adamax")

    def no_abs(cfg):
        return tuple(Assign(e.target, sp.Max(am.beta2 * am.u, g + am.eps))
                     if e.target == am.u else e for e in rule.textbook(cfg))

    mutated = dataclasses.replace(rule, textbook=no_abs)
    by_output = {o.output: o for o in prove_rule(mutated, mutated.config())}
    assert by_output["exp_inf"].method is None and not by_output["exp_inf"].holds
