"""The condition number from a symbolic Hessian: hand values, torch's Hessian, mutations."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import sympy as sp

from optsym.derivation import Result, Sheet
from optsym.derivations import condition_number as cn
from optsym.spec import SpecError

VALLEY = {"a": 2.0, "b": 1.5, "c": 3.0, "seed": 3, "n": 50, "d": 5, "scale": 0.1}


@pytest.mark.parametrize("cfg", [{}, VALLEY,
                                 {"a": 1.0, "b": -0.999, "c": 1.0, "seed": 7, "n": 5000, "d": 10,
                                  "scale": 1.0},
                                 {"a": 1e-3, "b": 0.0, "c": 1e3, "scale": 100.0}])
def test_cross_checks_pass(cfg):
    checks = cn.cross_checks(cn.DERIVATION.config(cfg))
    assert len(checks) >= 15
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]


def test_two_by_two_by_hand():
    # det(H - l I) = l^2 - 5 l + (6 - 2.25) = 0  =>  l = (5 +- sqrt(25 - 15))/2
    values = cn.DERIVATION.instantiate(cn.DERIVATION.config(VALLEY))
    big, small = (5 + math.sqrt(10)) / 2, (5 - math.sqrt(10)) / 2
    assert values["L"] == pytest.approx(big, rel=1e-14)
    assert values["mu"] == pytest.approx(small, rel=1e-14)
    assert values["kappa"] == pytest.approx(big / small, rel=1e-13)
    assert values["stable_step"] == pytest.approx(2 / big, rel=1e-14)
    # the narrow valley b = 0: L = c, mu = a
    values = cn.DERIVATION.instantiate(cn.DERIVATION.config({"a": 1, "b": 0, "c": 10}))
    assert (values["L"], values["mu"], values["kappa"]) == pytest.approx((10, 1, 10), rel=1e-14)
    assert values["stable_step"] == pytest.approx(0.2, rel=1e-14)


def test_two_by_two_symbolic_identities():
    big, small = cn.DERIVATION.result("L").expr, cn.DERIVATION.result("mu").expr
    assert sp.simplify(big + small - (cn.a + cn.c)) == 0  # the trace
    assert sp.simplify(big * small - (cn.a * cn.c - cn.b**2)) == 0  # the determinant
    assert sp.simplify(cn.DERIVATION.result("kappa").expr - big / small) == 0


def test_least_squares_hessian_from_torch_autograd():
    torch = pytest.importorskip("torch")
    cfg = cn.DERIVATION.config({"seed": 5, "n": 40, "d": 4})
    X, Y = cn.dataset(cfg)
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)

    def loss(w):
        return ((Xt @ w - Yt) ** 2).sum() / (2 * cfg["n"])

    hessian = torch.autograd.functional.hessian(loss, torch.zeros(4, dtype=torch.float64))
    np.testing.assert_allclose(hessian.numpy(), X.T @ X / cfg["n"], rtol=1e-12, atol=1e-12)


def test_population_values_and_band_by_hand():
    values = cn.DERIVATION.instantiate(cn.DERIVATION.config({"scale": 10, "n": 1000, "d": 3}))
    assert values["ls_L_population"] == pytest.approx(100.0)
    assert values["ls_mu_population"] == pytest.approx(1.0)
    assert values["ls_kappa_population"] == pytest.approx(100.0)
    assert values["ls_stable_step_population"] == pytest.approx(0.02)
    t = math.sqrt(2 * math.log(2e6))  # 2 exp(-t^2/2) = 1e-6
    delta = math.sqrt(3 / 1000) + t / math.sqrt(1000)
    assert values["ls_factor_low"] == pytest.approx((1 - delta) ** 2, rel=1e-12)
    assert values["ls_factor_high"] == pytest.approx((1 + delta) ** 2, rel=1e-12)
    small = cn.DERIVATION.instantiate(cn.DERIVATION.config({"scale": 0.1}))
    assert small["ls_L_population"] == pytest.approx(1.0)
    assert small["ls_mu_population"] == pytest.approx(0.01)


def test_band_holds_over_seeds():
    """The band has failure probability 1e-6: it holds for every one of 200 seeds."""
    for seed in range(200):
        cfg = cn.DERIVATION.config({"seed": seed, "n": 200, "d": 4, "scale": 3.0})
        values = cn.DERIVATION.instantiate(cfg)
        X, _ = cn.dataset(cfg)
        ev = np.linalg.eigvalsh(X.T @ X / cfg["n"])
        assert values["ls_factor_low"] <= ev[-1] / values["ls_L_population"] \
            <= values["ls_factor_high"]
        assert values["ls_factor_low"] <= ev[0] / values["ls_mu_population"] \
            <= values["ls_factor_high"]


def test_renders():
    d = cn.DERIVATION
    text = d.as_text(d.config({}), cn.cross_checks(d.config({})))
    assert "FAIL" not in text and "X^T X/n" in text
    assert r"\sqrt{4 b^{2} + \left(a - c\right)^{2}}" in d.as_latex()


def _mutant(key, expr):
    good = cn.DERIVATION.sheet()
    wrong = Sheet(list(good.steps), [Result(r.key, r.description, expr) if r.key == key else r
                                     for r in good.results])
    return dataclasses.replace(cn.DERIVATION, name=f"condition-number-{key}", build=lambda: wrong)


@pytest.mark.parametrize("key, expr, cfg, fails", [
    ("L", (cn.a + cn.c) / 2 + cn.b, VALLEY, ["(a) L equals"]),
    ("stable_step", 2 / cn.a, {}, ["(a) f(x, y): generated GD at 0.99 * 2/L converges"]),
    ("kappa", cn.c / cn.a, VALLEY, ["(a) kappa equals numpy eigvalsh"]),
    ("ls_L_population", cn.s, {}, ["the data's L over its population value"]),
])
def test_a_wrong_result_fails_its_cross_check(monkeypatch, key, expr, cfg, fails):
    mutant = _mutant(key, expr)
    monkeypatch.setattr(cn, "DERIVATION", mutant)
    failed = [c.description for c in cn.cross_checks(mutant.config(cfg)) if not c.passed]
    for part in fails:
        assert any(part in f for f in failed), (part, failed)


@pytest.mark.parametrize("bad", [{"b": 4.0}, {"b": -3.2}, {"a": 0.0}, {"c": -1.0},
                                 {"a": 1.0, "b": 1.0, "c": 1.0},
                                 {"a": 1.0, "b": 0.99999999999, "c": 1.0},
                                 {"n": 2, "d": 3}, {"d": 1}, {"n": 100000}, {"scale": 0.0},
                                 {"seed": -1}, {"b": math.nan}])
def test_bad_parameters(bad):
    with pytest.raises(SpecError):
        cn.DERIVATION.config(bad)


def test_bad_parameter_message():
    with pytest.raises(SpecError, match=r"need a\*c > b\*\*2, got --a 1, --b 4, --c 10"):
        cn.DERIVATION.config({"b": 4})
