"""EMA derivation: results against hand-computed values, cross-checks, and a mutation."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from optsym.derivation import Result, Sheet
from optsym.derivations import ema
from optsym.spec import SpecError


@pytest.mark.parametrize("cfg", [{}, {"mu": 0.5, "k": 3, "t": 4, "lr": 0.01, "g": -2.0},
                                 {"mu": 0.99, "t": 200}])
def test_cross_checks_pass(cfg):
    checks = ema.cross_checks(ema.DERIVATION.config(cfg))
    assert checks and all(c.passed for c in checks), [c for c in checks if not c.passed]


def test_results_by_hand():
    values = ema.DERIVATION.instantiate(ema.DERIVATION.config({"mu": 0.9, "k": 10}))
    assert values["weight"] == pytest.approx(0.3486784401, rel=1e-12)  # 0.9**10
    assert values["window"] == pytest.approx(10.0)
    assert values["effective_lr"] == pytest.approx(1.0)  # 0.1 / (1 - 0.9)
    # half-life by hand: 0.9^h = 1/2, h = ln 2 / ln(10/9) = 0.693147.../0.105360... = 6.5788...
    assert values["half_life"] == pytest.approx(0.6931471805599453 / 0.10536051565782628,
                                                rel=1e-12)
    assert sp.simplify(ema.DERIVATION.result("ema_weight_sum").expr - (1 - ema.mu**ema.t)) == 0


def test_a_wrong_terminal_velocity_fails_its_cross_check(monkeypatch):
    good = ema.DERIVATION.sheet()
    wrong = Sheet(list(good.steps), [Result(r.key, r.description, ema.eta / (1 + ema.mu))
                                     if r.key == "effective_lr" else r for r in good.results])
    mutant = dataclasses.replace(ema.DERIVATION, name="ema-mutant", build=lambda: wrong)
    monkeypatch.setattr(ema, "DERIVATION", mutant)
    checks = ema.cross_checks(mutant.config())
    assert not all(c.passed for c in checks)


def test_a_wrong_half_life_fails_its_cross_check(monkeypatch):
    good = ema.DERIVATION.sheet()
    wrong = Sheet(list(good.steps), [Result(r.key, r.description, sp.log(2) / (1 - ema.mu))
                                     if r.key == "half_life" else r for r in good.results])
    mutant = dataclasses.replace(ema.DERIVATION, name="ema-mutant-half", build=lambda: wrong)
    monkeypatch.setattr(ema, "DERIVATION", mutant)
    checks = ema.cross_checks(mutant.config())
    assert [c.passed for c in checks if "half-life" in c.description] == [False]


@pytest.mark.parametrize("bad", [{"mu": 1.0}, {"mu": 0.0}, {"t": 0}, {"lr": -1.0}])
def test_bad_parameters(bad):
    with pytest.raises(SpecError):
        ema.DERIVATION.config(bad)
