"""GD on a quadratic: results against hand-computed values, cross-checks, and mutations."""

from __future__ import annotations

import dataclasses
import math

import pytest
import sympy as sp

from optsym.derivation import Result, Sheet
from optsym.derivations import gd_quadratic as gq
from optsym.spec import SpecError


@pytest.mark.parametrize("cfg", [{}, {"L": 100.0, "mu": 0.5, "eps": 1e-8},
                                 {"L": 3.0, "mu": 3.0, "eps": 0.01},
                                 {"L": 2.0, "mu": 1.9, "eps": 1e-12}])
def test_cross_checks_pass(cfg):
    checks = gq.cross_checks(gq.DERIVATION.config(cfg))
    assert len(checks) >= 10
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]


def test_results_by_hand():
    values = gq.DERIVATION.instantiate(gq.DERIVATION.config({"L": 10, "mu": 1, "eps": 1e-6}))
    assert values["stable_step"] == pytest.approx(0.2, rel=1e-14)
    assert values["optimal_step"] == pytest.approx(2 / 11, rel=1e-14)
    assert values["kappa"] == pytest.approx(10.0, rel=1e-14)
    # at eta = 2/11 both ends contract by the same factor: 1 - 2/11 = 20/11 - 1 = 9/11
    assert values["rate"] == pytest.approx(9 / 11, rel=1e-14)
    assert values["iterations"] == pytest.approx(math.log(1e-6) / math.log(9 / 11), rel=1e-12)
    # the smallest t with (9/11)^t <= 1e-6, by counting
    t, power = 0, 1.0
    while power > 1e-6:
        t, power = t + 1, power * 9 / 11
    assert values["iterations_needed"] == t == 69
    assert values["iterations_simple"] == pytest.approx(5 * math.log(1e6), rel=1e-12)
    assert values["iterations_simple"] >= values["iterations"]


def test_symbolic_forms():
    d = gq.DERIVATION
    assert sp.simplify(d.result("optimal_step").expr - 2 / (gq.mu + gq.L)) == 0
    assert sp.simplify(d.result("stable_step").expr - 2 / gq.L) == 0
    rate = d.result("rate").expr.subs(gq.L, gq.kappa * gq.mu)
    assert sp.simplify(rate - (gq.kappa - 1) / (gq.kappa + 1)) == 0
    # at mu = L one step lands on x*: the step count is 1, not ceil(0) = 0
    values = d.instantiate(d.config({"L": 4.0, "mu": 4.0}))
    assert values["rate"] == 0.0 and values["iterations_needed"] == 1.0


def test_renders():
    d = gq.DERIVATION
    text = d.as_text(d.config({}), gq.cross_checks(d.config({})))
    assert "2/(L + mu)" in text and "FAIL" not in text
    assert r"\frac{2}{L + \mu}" in d.as_latex()


def _mutant(key, expr):
    good = gq.DERIVATION.sheet()
    wrong = Sheet(list(good.steps), [Result(r.key, r.description, expr) if r.key == key else r
                                     for r in good.results])
    return dataclasses.replace(gq.DERIVATION, name=f"gd-quadratic-{key}", build=lambda: wrong)


@pytest.mark.parametrize("key, expr, fails", [
    ("optimal_step", 1 / gq.L, ["grid search", "contracts by the rate"]),
    ("stable_step", 2 / gq.mu, ["converges"]),
    ("stable_step", 1 / gq.L, ["diverges"]),
    ("rate", (gq.L - gq.mu) / gq.L, ["contracts by the rate", "spectral radius"]),
])
def test_a_wrong_result_fails_its_cross_check(monkeypatch, key, expr, fails):
    mutant = _mutant(key, expr)
    monkeypatch.setattr(gq, "DERIVATION", mutant)
    failed = [c.description for c in gq.cross_checks(mutant.config()) if not c.passed]
    for part in fails:
        assert any(part in f for f in failed), (part, failed)


@pytest.mark.parametrize("bad", [{"mu": 20.0}, {"mu": 0.0}, {"mu": -1.0}, {"L": -1.0},
                                 {"L": math.inf}, {"eps": 1.0}, {"eps": 0.0}, {"eps": 1e-13},
                                 {"L": 1e5, "mu": 1.0}])
def test_bad_parameters(bad):
    with pytest.raises(SpecError):
        gq.DERIVATION.config(bad)


def test_bad_parameter_messages():
    with pytest.raises(SpecError, match=r"--mu \(20\) must not exceed --L \(10\)"):
        gq.DERIVATION.config({"mu": 20})
