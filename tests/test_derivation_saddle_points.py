"""The saddle-points derivation: 2^-n for independent signs, 1/2 - sqrt(2)/4 for the 2x2 GOE."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from optsym.derivations import saddle_points as mod
from optsym.spec import SpecError

D = mod.DERIVATION


def _failed(checks):
    return [c for c in checks if not c.passed]


@pytest.mark.parametrize("overrides", [
    {},
    {"n": 6, "samples": 50000, "seed": 3},
    {"n": 1, "samples": 50000, "seed": 1},
])
def test_cross_checks_pass(overrides):
    checks = D.cross_checks(D.config(overrides))
    assert len(checks) >= 9 and not _failed(checks), [c.as_dict() for c in _failed(checks)]


def _goe2_by_quadrature(nodes: int = 300) -> float:
    """P(a > 0, ac > b^2) = int int_{a, c > 0} phi(a) phi(c) erf(sqrt(ac)): Gauss-Legendre on
    (0, 9)^2 after a = x^2, c = y^2 (which removes the sqrt behaviour at 0)."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    x, w = 1.5 * (x + 1), 1.5 * w                      # (0, 3) for sqrt(a), sqrt(c)
    phi = np.exp(-x**4 / 2) / math.sqrt(2 * math.pi) * 2 * x   # density of a, times da/dx
    erf = np.vectorize(math.erf)(np.outer(x, x))        # erf(sqrt(a c)) = erf(x y)
    return float((w * phi) @ erf @ (w * phi))


def test_results_by_hand():
    v = D.instantiate(D.config({"n": 3}))
    assert v["p_signs"] == 0.125
    assert v["p_one"] == 0.5
    assert v["p_goe_2"] == pytest.approx(0.5 - 1 / (2 * math.sqrt(2)), rel=1e-15)
    assert v["p_goe_2"] == pytest.approx(_goe2_by_quadrature(), abs=1e-6)
    assert v["goe_large_n"] == pytest.approx(3 ** (-9 / 4), rel=1e-14)
    assert D.result("p_goe_2").expr == sp.Rational(1, 2) - sp.sqrt(2) / 4


def _mutated(key, expr):
    return D.with_result(key, expr)


def test_the_heuristic_as_the_goe_answer_is_caught(monkeypatch):
    monkeypatch.setattr(mod, "DERIVATION", _mutated("p_goe_2", sp.Rational(1, 4)))
    failed = [c.description for c in _failed(mod.cross_checks(D.config({"samples": 50000})))]
    assert failed == ["n = 2, GOE: P = 1/2 - sqrt(2)/4"]


@pytest.mark.parametrize(("overrides", "message"), [
    ({"n": 0}, r"--n must be an integer in \[1, 10\]"),
    ({"n": 11}, r"--n must be an integer in \[1, 10\]"),
    ({"samples": 10}, r"--samples must be an integer in \[1000, 10000000\]"),
    ({"seed": -1}, "--seed must be an integer >= 0"),
])
def test_bad_parameters(overrides, message):
    with pytest.raises(SpecError, match=message):
        D.config(overrides)
