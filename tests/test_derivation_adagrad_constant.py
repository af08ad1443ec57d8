"""The adagrad-constant-gradient derivation: eta/sqrt(t) steps, 2 eta sqrt(t) total; RMSprop."""

from __future__ import annotations

import math
import time

import pytest
import sympy as sp

from optsym.derivations import adagrad_constant as mod
from optsym.spec import SpecError

D = mod.DERIVATION
ZETA_HALF = -1.4603545088095868  # zeta(1/2), DLMF 25.6


def _failed(checks):
    return [c for c in checks if not c.passed]


@pytest.mark.parametrize("overrides", [
    {},
    {"g": -2.5, "t": 7, "alpha": 0.9, "eps": 1e-6, "lr": 0.3},
    {"alpha": 0.0, "t": 1},
])
def test_cross_checks_pass(overrides):
    checks = D.cross_checks(D.config(overrides))
    assert len(checks) == 12 and not _failed(checks), [c.as_dict() for c in _failed(checks)]


def test_results_by_hand():
    v = D.instantiate(D.config())
    harmonic = math.fsum(1 / math.sqrt(j) for j in range(1, 101))
    assert v["adagrad_total"] == pytest.approx(-0.01 * harmonic, rel=1e-14)
    assert v["adagrad_accumulator"] == 100
    assert v["adagrad_step"] == pytest.approx(-0.01 / (10 + 1e-10), rel=1e-15)
    assert v["adagrad_effective_lr"] == pytest.approx(0.001, rel=1e-15)
    assert v["adagrad_total_asymptotic"] == pytest.approx(-0.2, rel=1e-15)
    assert v["harmonic_lower"] <= harmonic <= v["harmonic_upper"]
    assert v["adagrad_relative_error"] == pytest.approx((harmonic - 20) / 20, abs=1e-7)
    assert v["adagrad_relative_error"] * 10 == pytest.approx(ZETA_HALF / 2, abs=0.03)
    # RMSprop: no bias correction, so the first step is eta/sqrt(1 - alpha) = 10 eta
    v = D.instantiate(D.config({"t": 1, "eps": 0.0}))
    assert v["rmsprop_step"] == pytest.approx(-0.1, rel=1e-13)
    assert v["rmsprop_accumulator"] == pytest.approx(0.01, rel=1e-13)
    assert v["rmsprop_step_limit"] == pytest.approx(-0.01, rel=1e-15)
    assert v["rmsprop_effective_lr"] == pytest.approx(0.01, rel=1e-15)


def test_sympy_limit_of_the_harmonic_number_is_recorded_honestly():
    t = sp.Symbol("t", integer=True, positive=True)
    wrong = sp.limit(sp.harmonic(t, sp.Rational(1, 2)) / sp.sqrt(t), t, sp.oo)
    step = next(s for s in D.sheet().steps if "limit(harmonic" in s.justification)
    assert f"returns {wrong}" in step.justification
    # SymPy 1.14 answers 0; if SymPy is fixed the text says so instead
    assert ("wrong" in step.justification) == (wrong != 2)


def test_large_t_instantiates_quickly():
    start = time.perf_counter()
    v = D.instantiate(D.config({"t": 3000}))
    assert time.perf_counter() - start < 3
    assert v["rmsprop_step"] == pytest.approx(-0.01 / (math.sqrt(1 - 0.99**3000) + 1e-10),
                                              rel=1e-12)


def _mutated(key, expr):
    return D.with_result(key, expr)


def test_the_asymptotic_total_claimed_exact_is_caught(monkeypatch):
    asymptotic = D.result("adagrad_total_asymptotic").expr
    monkeypatch.setattr(mod, "DERIVATION", _mutated("adagrad_total", asymptotic))
    failed = [c.description for c in _failed(mod.cross_checks(D.config()))]
    assert any("total displacement after t steps" in d for d in failed)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"alpha": 1.0}, r"--alpha must be in \[0, 1\)"),
    ({"g": 0.0}, "--g must be nonzero"),
    ({"t": 0}, r"--t must be an integer in \[1, 10000\]"),
    ({"t": 20000}, r"--t must be an integer in \[1, 10000\]"),
    ({"lr": -0.1}, "--lr must be > 0"),
    ({"eps": -1.0}, "--eps must be >= 0"),
])
def test_bad_parameters(overrides, message):
    with pytest.raises(SpecError, match=message):
        D.config(overrides)
