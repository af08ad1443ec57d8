"""The sgd-noise derivation: the variance recursion, its fixed point and the minibatch floor."""

from __future__ import annotations

import pytest

from optsym.derivations import sgd_noise as mod
from optsym.spec import SpecError

D = mod.DERIVATION


def _failed(checks):
    return [c for c in checks if not c.passed]


@pytest.mark.parametrize("overrides", [
    {},
    {"lr": 0.5, "lam": 2.0, "sigma": 0.3, "B": 4, "t": 3, "seed": 1},
    {"lr": 1.5, "lam": 1.0, "B": 8, "seed": 2},        # 1 - eta lambda < 0: oscillating
])
def test_cross_checks_pass(overrides):
    checks = D.cross_checks(D.config(overrides))
    assert len(checks) >= 4 and not _failed(checks), [c.as_dict() for c in _failed(checks)]


def test_results_by_hand():
    # V = (1 - eta lam)^2 V + eta^2 sigma^2 / B  =>  V* = eta^2 sigma^2 / (B (1 - (1 - eta lam)^2))
    for lr, lam, sigma, B in ((0.1, 1.0, 1.0, 1), (0.5, 2.0, 0.3, 4), (1.5, 1.0, 2.0, 8)):
        v = D.instantiate(D.config({"lr": lr, "lam": lam, "sigma": sigma, "B": B, "t": 7}))
        a2 = (1 - lr * lam) ** 2
        fixed = lr**2 * sigma**2 / B / (1 - a2)
        assert v["stationary_variance"] == pytest.approx(fixed, rel=1e-12)
        assert v["minibatch_noise_variance"] == pytest.approx(sigma**2 / B, rel=1e-15)
        assert v["max_stable_lr"] == pytest.approx(2 / lam, rel=1e-15)
        # unroll the recursion from V_0 = 0
        var = 0.0
        for _ in range(7):
            var = a2 * var + lr**2 * sigma**2 / B
        assert v["variance_t"] == pytest.approx(var, rel=1e-12)
    v = D.instantiate(D.config())
    assert v["stationary_variance"] == pytest.approx(0.1 / 1.9, rel=1e-14)


def _mutated(key, expr):
    return D.with_result(key, expr)


def test_a_floor_without_the_batch_factor_is_caught(monkeypatch):
    wrong = mod.eta * mod.sigma**2 / (mod.lam * (2 - mod.eta * mod.lam))   # forgot 1/B
    monkeypatch.setattr(mod, "DERIVATION", _mutated("stationary_variance", wrong))
    failed = [c.description for c in _failed(mod.cross_checks(D.config()))]
    assert failed and all(d.startswith("B = 8") for d in failed)


def test_the_small_step_approximation_is_caught(monkeypatch):
    # eta sigma^2/(2 B lambda) is 5% off at eta lambda = 0.1: beyond 4 standard errors (~3%)
    approx = mod.eta * mod.sigma**2 / (2 * mod.B * mod.lam)
    monkeypatch.setattr(mod, "DERIVATION", _mutated("stationary_variance", approx))
    assert _failed(mod.cross_checks(D.config()))


@pytest.mark.parametrize(("overrides", "message"), [
    ({"lr": 2.0, "lam": 1.0}, r"--lr \(2\) must be < 2/lam = 2/1"),
    ({"lam": -1.0}, "--lam must be > 0"),
    ({"lr": 0.0}, "--lr must be > 0"),
    ({"sigma": 0.0}, "--sigma must be > 0"),
    ({"B": 0}, "--B must be an integer >= 1"),
    ({"t": 0}, "--t must be an integer >= 1"),
])
def test_bad_parameters(overrides, message):
    with pytest.raises(SpecError, match=message):
        D.config(overrides)
