"""The heavy-ball derivation: its cross-checks, hand-computed values, torch's form, mutations."""

from __future__ import annotations

import math
import re
import shutil
import subprocess

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from optsym.derivation import document
from optsym.derivations import heavy_ball
from optsym.spec import SpecError

D = heavy_ball.DERIVATION


def _mutated(key: str, expr: sp.Expr):
    """The derivation with the result ``key`` replaced by ``expr``."""
    return D.with_result(key, expr)


def _failed(checks) -> list[str]:
    return [c.description for c in checks if not c.passed]


@pytest.mark.parametrize("overrides", [{}, {"L": 10.0, "mu": 0.1, "eta": 0.2, "beta": 0.9},
                                       {"L": 2.0, "mu": 0.5, "eta": 0.5, "beta": 0.0},
                                       {"L": 1.0, "mu": 1e-4, "eta": 3.5, "beta": 0.8}])
def test_cross_checks_pass(overrides):
    checks = heavy_ball.cross_checks(D.config(overrides))
    assert len(checks) == 7
    assert not _failed(checks), [c.as_dict() for c in checks if not c.passed]


def test_optimal_parameters_by_hand():
    # L = 1, mu = 0.01: sqrt(L) + sqrt(mu) = 1.1, sqrt(kappa) = 10
    values = D.instantiate(D.config({"L": 1, "mu": 0.01}))
    assert values["kappa"] == pytest.approx(100.0, rel=1e-12)
    assert values["eta_opt"] == pytest.approx(4 / 1.21, rel=1e-12)
    assert values["eta_opt"] == pytest.approx(3.305785124, rel=1e-9)
    assert values["beta_opt"] == pytest.approx((9 / 11) ** 2, rel=1e-12)
    assert values["beta_opt"] == pytest.approx(0.6694214876, rel=1e-9)
    assert values["rate_opt"] == pytest.approx(9 / 11, rel=1e-12)
    # and a direct numeric search finds the same optimum
    found = heavy_ball.search_optimum(0.01, 1.0)
    assert found == pytest.approx((4 / 1.21, 81 / 121, 9 / 11), rel=1e-3)


def test_optimum_is_a_double_root_and_locally_optimal():
    """Independent numerics at the hand values: numpy.roots of Polyak's polynomial."""
    eta_s, beta_s, lams = 4 / 1.21, (9 / 11) ** 2, (0.01, 1.0)

    def radius(e, b):
        return max(np.abs(np.roots([1, -(1 + b - e * lam), b])).max() for lam in lams)

    # double roots +-9/11 at the two ends (a defective matrix: roots only to ~sqrt(eps))
    for lam, sign in zip(lams, (1, -1)):
        roots = np.roots([1, -(1 + beta_s - eta_s * lam), beta_s])
        assert roots == pytest.approx([sign * 9 / 11] * 2, abs=1e-6)
    assert radius(eta_s, beta_s) == pytest.approx(9 / 11, abs=1e-7)
    for de in (-1e-3, 0, 1e-3):
        for db in (-1e-3, 0, 1e-3):
            assert radius(eta_s + de, beta_s + db) >= 9 / 11 - 1e-7


def test_symbolic_forms():
    L, mu = heavy_ball.L, heavy_ball.mu
    eta_opt, beta_opt, rate_opt = (D.result(k).expr for k in ("eta_opt", "beta_opt", "rate_opt"))
    assert sp.simplify(eta_opt - 4 / (sp.sqrt(L) + sp.sqrt(mu)) ** 2) == 0
    assert sp.simplify(beta_opt - rate_opt**2) == 0
    k = sp.Symbol("k", positive=True)     # sqrt(kappa)
    assert sp.simplify(rate_opt.subs(L, k**2 * mu) - (k - 1) / (k + 1)) == 0
    assert sp.simplify(D.result("eta_max").expr - 2 * (1 + heavy_ball.beta) / L) == 0


def test_stability_query_by_hand():
    # eta = 1, beta = 0.5, L = 1, mu = 0.01: a_mu = 1.49, a_L = 0.5; 1.49^2 > 4 * 0.5 (real
    # roots, the larger 1.49/2 + sqrt(1.49^2 - 2)/2), 0.5^2 < 2 (complex, modulus sqrt(0.5))
    values = D.instantiate(D.defaults())
    assert values["eta_max"] == pytest.approx(3.0, rel=1e-12)
    assert values["rate_at"] == pytest.approx((1.49 + math.sqrt(1.49**2 - 2)) / 2, rel=1e-12)
    # an unstable query: eta = 5 > 2 (1 + 0.2) = 2.4
    values = D.instantiate(D.config({"eta": 5, "beta": 0.2}))
    assert values["eta_max"] == pytest.approx(2.4, rel=1e-12)
    assert values["rate_at"] > 1


@pytest.mark.parametrize("c1, c0, inside", [
    (0.0, -0.25, True),      # roots +-0.5
    (-2.5, 1.0, False),      # roots 0.5, 2
    (0.0, 1.0, False),       # roots +-i, on the circle
    (0.0, 0.5, True),        # complex, modulus sqrt(0.5)
    (1.8, 0.81, True),       # double root -0.9
    (2.1, 1.1, False),       # roots -1, -1.1
    (-1.9, 0.9, False),      # roots 1, 0.9: on the circle
    (0.1, -1.0, False),      # |a_0| = 1
])
def test_jury_quadratic_by_hand(c1, c0, inside):
    # exact rationals: the boundary cases sit exactly on the circle
    c1, c0 = sp.Rational(str(c1)), sp.Rational(str(c0))
    assert bool(heavy_ball.jury_quadratic(c1, c0)) is inside


@settings(max_examples=300, deadline=None)
@given(st.floats(-3, 3), st.floats(-2, 2))
def test_jury_quadratic_matches_roots(c1, c0):
    radius = np.abs(np.roots([1.0, c1, c0])).max()
    if abs(radius - 1) < 1e-9:
        return
    assert bool(heavy_ball.jury_quadratic(sp.Float(c1), sp.Float(c0))) is bool(radius < 1)


def test_torch_sgd_momentum_is_polyak():
    """torch.optim.SGD(momentum=beta) iterates = x_{t+1} = x_t - eta lam x_t + beta (x_t - x_{t-1})
    with x_{-1} = x_0."""
    torch = pytest.importorskip("torch")
    lams = np.array([0.01, 0.3, 1.0])
    eta, beta = 1.7, 0.6
    p = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=eta, momentum=beta)
    x_prev, x = np.ones(3), np.ones(3)
    for _ in range(50):
        opt.zero_grad()
        (0.5 * (torch.tensor(lams) * p**2).sum()).backward()
        opt.step()
        x_prev, x = x, x - eta * lams * x + beta * (x - x_prev)
        assert p.detach().numpy() == pytest.approx(x, rel=1e-12, abs=1e-15)


def test_mutated_rate_fails(monkeypatch):
    L, mu = heavy_ball.L, heavy_ball.mu
    # gradient descent's best rate (kappa - 1)/(kappa + 1) instead of heavy ball's
    monkeypatch.setattr(heavy_ball, "DERIVATION", _mutated("rate_opt", (L - mu) / (L + mu)))
    failed = _failed(heavy_ball.cross_checks(D.defaults()))
    assert any("numeric search" in f for f in failed)
    assert any("generated SGD code" in f for f in failed)


def test_mutated_step_fails(monkeypatch):
    L, mu = heavy_ball.L, heavy_ball.mu
    monkeypatch.setattr(heavy_ball, "DERIVATION", _mutated("eta_opt", 2 / (L + mu)))
    failed = _failed(heavy_ball.cross_checks(D.defaults()))
    assert any("numeric search" in f for f in failed)
    assert any("generated SGD code" in f for f in failed)


def test_mutated_stability_bound_fails(monkeypatch):
    monkeypatch.setattr(heavy_ball, "DERIVATION", _mutated("eta_max", 2 / heavy_ball.L))
    failed = _failed(heavy_ball.cross_checks(D.defaults()))
    assert any("eta_max(beta)" in f for f in failed)
    assert any("bisection" in f for f in failed)


def test_mutated_jury_test_fails(monkeypatch):
    # forgetting p(-1) > 0 (the condition that bounds the step)
    monkeypatch.setattr(heavy_ball, "jury_quadratic",
                        lambda c1, c0: sp.And(c0 < 1, c0 > -1, 1 + c1 + c0 > 0))
    failed = _failed(heavy_ball.cross_checks(D.defaults()))
    assert any("numpy.roots" in f for f in failed)
    assert any("Jury's conditions" in f for f in failed)


@pytest.mark.parametrize("overrides, message", [
    ({"mu": 2.0}, "--mu (2) must be less than --L (1)"),
    ({"mu": 1.0}, "must be less than --L"),
    ({"mu": 0.0}, "--mu must be > 0"),
    ({"L": -1.0, "mu": -2.0}, "--L must be > 0"),
    ({"beta": 1.0}, "--beta must be in [0, 1)"),
    ({"beta": -0.1}, "--beta must be in [0, 1)"),
    ({"eta": 0.0}, "--eta must be > 0"),
])
def test_bad_parameters(overrides, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        D.config(overrides)


def test_renderings():
    cfg = D.defaults()
    text = D.as_text(cfg)
    assert "eta_opt" in text and "3.305785124" in text
    data = D.as_dict(cfg)
    assert {r["key"]: r["value"] for r in data["results"]}["rate_opt"] == pytest.approx(9 / 11)
    assert r"\begin{align*}" in D.as_latex()


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_latex_compiles(tmp_path):
    (tmp_path / "d.tex").write_text(document(D.as_latex()))
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
