"""The adam-constant-gradient derivation: bias-corrected steps of length eta from the start."""

from __future__ import annotations

import math
import time

import pytest

from optsym.derivations import adam_constant as mod
from optsym.spec import SpecError

D = mod.DERIVATION


def _failed(checks):
    return [c for c in checks if not c.passed]


@pytest.mark.parametrize("overrides", [
    {},
    {"g": -3.0, "beta1": 0.5, "beta2": 0.9, "eps": 1e-3, "t": 50, "lr": 0.1},
    {"beta1": 0.0, "beta2": 0.0, "g": 1e-6, "t": 1},
])
def test_cross_checks_pass(overrides):
    checks = D.cross_checks(D.config(overrides))
    assert len(checks) == 8 and not _failed(checks), [c.as_dict() for c in _failed(checks)]


def test_results_by_hand():
    v = D.instantiate(D.config())
    assert v["m_t"] == pytest.approx(0.5 * (1 - 0.9**10), rel=1e-14)
    assert v["v_t"] == pytest.approx(0.25 * (1 - 0.999**10), rel=1e-12)
    assert v["m_hat"] == 0.5 and v["v_hat"] == 0.25
    assert v["step"] == pytest.approx(-1e-3 * 0.5 / (0.5 + 1e-8), rel=1e-15)
    assert v["sign_step"] == -1e-3
    # the uncorrected first step is 0.1/sqrt(0.001) = 3.16 times LARGER than eta, not smaller
    assert v["uncorrected_ratio"] == pytest.approx(0.1 / math.sqrt(0.001), rel=1e-14)
    assert v["uncorrected_ratio"] > 3.16
    assert v["uncorrected_first_step"] == pytest.approx(
        -1e-3 * 0.1 * 0.5 / (math.sqrt(0.001) * 0.5 + 1e-8), rel=1e-13)
    # a negative gradient moves the parameter up, by eta
    v = D.instantiate(D.config({"g": -2.0, "eps": 0.0}))
    assert v["step"] == pytest.approx(1e-3, rel=1e-15)


def test_large_t_instantiates_quickly():
    # sqrt(1 - beta2^t) of an exact rational made SymPy factor huge integers (see _lazy.py)
    start = time.perf_counter()
    v = D.instantiate(D.config({"t": 2000}))
    assert time.perf_counter() - start < 3
    assert v["uncorrected_step_t"] == pytest.approx(
        -1e-3 * 0.5 * (1 - 0.9**2000) / (0.5 * math.sqrt(1 - 0.999**2000) + 1e-8), rel=1e-12)


def _mutated(key, expr):
    return D.with_result(key, expr)


def test_a_step_without_the_eps_is_caught(monkeypatch):
    # -eta sign(g) is off by eta*eps/|g| only: the 1e-12 tolerance still sees it at eps = 1e-6
    monkeypatch.setattr(mod, "DERIVATION", _mutated("step", -mod.lr * mod.g / abs(mod.g)))
    failed = [c.description for c in _failed(mod.cross_checks(D.config({"eps": 1e-6})))]
    assert any("displacement at t = 1, 2, 10, 100" in d for d in failed)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"beta1": 1.0}, r"Invalid beta parameter at index 0"),
    ({"beta2": -0.1}, r"Invalid beta parameter at index 1"),
    ({"g": 0.0}, "--g must be nonzero"),
    ({"eps": -1e-8}, "Invalid epsilon value"),
    ({"lr": 0.0}, "--lr must be > 0"),
    ({"t": 0}, r"--t must be an integer in \[1, 10000\]"),
])
def test_bad_parameters(overrides, message):
    with pytest.raises(SpecError, match=message):
        D.config(overrides)
