"""The smooth-convex-gd derivation: contraction factor, O(1/t) bounds, and their cross-checks."""

from __future__ import annotations

import importlib.util

import pytest
import sympy as sp

from optsym.derivations import smooth_convex_gd as mod
from optsym.spec import SpecError

D = mod.DERIVATION


def _failed(checks):
    return [c for c in checks if not c.passed]


def test_cross_checks_pass_at_the_defaults():
    # PEPit's part runs in test_pepit_worst_cases_match (its import and SDPs take seconds)
    checks = mod._checks(D.config(), pepit=False)
    assert len(checks) == 7 and not _failed(checks)


def test_cross_checks_include_pepit_when_it_is_installed(monkeypatch):
    calls = []
    monkeypatch.setattr(mod, "pepit_checks", lambda cfg: calls.append(cfg) or [])
    mod.cross_checks(D.config())
    assert len(calls) == (1 if importlib.util.find_spec("PEPit") else 0)


@pytest.mark.parametrize("overrides", [
    {"L": 10.0, "mu": 1.0, "eta": 2 / 11, "t": 5},      # the optimal step 2/(mu + L)
    {"L": 2.0, "mu": 0.5, "eta": 0.95, "t": 3},         # beyond 1/L: |1 - eta L| dominates
    {"L": 1.0, "mu": 0.0, "eta": 0.5, "t": 4},          # mu = 0: convex only, rho = 1
])
def test_cross_checks_pass_elsewhere(overrides):
    assert not _failed(mod._checks(D.config(overrides), pepit=False))


def test_pepit_worst_cases_match():
    pytest.importorskip("PEPit", reason="PEPit (optional: pip install pepit) is not installed")
    checks = mod.pepit_checks(D.config({"L": 2.0, "mu": 0.5, "eta": 0.8, "t": 6}))
    assert len(checks) == 3 and not _failed(checks), [c.as_dict() for c in checks]


def test_results_by_hand():
    v = D.instantiate(D.config())
    assert v["contraction_factor"] == pytest.approx(0.9, rel=1e-15)        # |1 - 0.1|, |1 - 1|
    assert v["distance_ratio"] == pytest.approx(0.9**10, rel=1e-14)
    assert v["convex_classical"] == pytest.approx(1 / 20, rel=1e-15)
    assert v["convex_tight"] == pytest.approx(1 / 42, rel=1e-15)
    assert v["classical_over_tight"] == pytest.approx(2.1, rel=1e-15)
    # the optimal step 2/(mu + L) gives (kappa - 1)/(kappa + 1)
    v = D.instantiate(D.config({"L": 10.0, "mu": 1.0, "eta": 2 / 11, "t": 2}))
    assert v["contraction_factor"] == pytest.approx(9 / 11, rel=1e-14)
    assert v["distance_ratio"] == pytest.approx(81 / 121, rel=1e-14)


def test_tight_is_below_classical_for_every_t():
    t = sp.Symbol("t", integer=True, positive=True)
    gap = D.result("convex_classical").expr - D.result("convex_tight").expr
    assert all(gap.subs({t: k, mod.L: 3}) > 0 for k in range(1, 50))


def _mutated(key, expr):
    return D.with_result(key, expr)


def test_a_wrong_tight_value_is_caught(monkeypatch):
    # the classical L/(2t) claimed as the exact worst case: the Huber function does not reach it
    monkeypatch.setattr(mod, "DERIVATION", _mutated("convex_tight", mod.L / (2 * mod.t)))
    failed = [c.description for c in _failed(mod._checks(D.config(), pepit=False))]
    assert any("Huber function with kink" in d for d in failed)


def test_a_wrong_contraction_factor_is_caught(monkeypatch):
    # forgetting the |1 - eta mu| end: the quadratic mu x^2/2 contracts more slowly
    monkeypatch.setattr(mod, "DERIVATION", _mutated(
        "distance_ratio", sp.Abs(1 - mod.eta * mod.L) ** mod.t))
    cfg = D.config({"L": 1.0, "mu": 0.1, "eta": 0.5})
    failed = [c.description for c in _failed(mod._checks(cfg, pepit=False))]
    assert any("attained" in d for d in failed)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"mu": 2.0, "L": 1.0}, "--mu (2) must not exceed --L (1)"),
    ({"eta": 2.0}, "--eta (2) must be < 2/L"),
    ({"mu": -0.5}, "--mu must be >= 0"),
    ({"L": -1.0, "mu": -2.0}, "--L must be > 0"),
    ({"t": 0}, "--t must be an integer >= 1"),
])
def test_bad_parameters(overrides, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        D.config(overrides)
