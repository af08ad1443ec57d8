"""The Nesterov derivation: its cross-checks, hand-computed values, torch's form, mutations."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
import sympy as sp

from optsym.derivation import document
from optsym.derivations import heavy_ball, nesterov
from optsym.spec import SpecError

D = nesterov.DERIVATION


def _mutated(key: str, expr: sp.Expr):
    """The derivation with the result ``key`` replaced by ``expr``."""
    return D.with_result(key, expr)


def _failed(checks) -> list[str]:
    return [c.description for c in checks if not c.passed]


@pytest.mark.parametrize("overrides", [{}, {"L": 10.0, "mu": 0.1}, {"L": 2.0, "mu": 0.5},
                                       {"L": 1.0, "mu": 1e-4}])
def test_cross_checks_pass(overrides):
    checks = nesterov.cross_checks(D.config(overrides))
    assert len(checks) == 5
    assert not _failed(checks), [c.as_dict() for c in checks if not c.passed]


def test_values_by_hand():
    # L = 1, mu = 0.01: sqrt(kappa) = 10, beta = 9/11, rate = 1 - 1/10
    values = D.instantiate(D.config({"L": 1, "mu": 0.01}))
    assert values["kappa"] == pytest.approx(100.0, rel=1e-12)
    assert values["eta"] == pytest.approx(1.0, rel=1e-12)
    assert values["beta"] == pytest.approx(9 / 11, rel=1e-12)
    assert values["rate"] == pytest.approx(0.9, rel=1e-12)
    # 2 (1 + 9/11) / (1 + 18/11) = 40/29
    assert values["eta_max"] == pytest.approx(40 / 29, rel=1e-12)
    # L = 4, mu = 1: sqrt(kappa) = 2, beta = 1/3, rate = 1/2, eta_max = (8/3)/(5/3)/4 = 0.4
    values = D.instantiate(D.config({"L": 4, "mu": 1}))
    assert (values["eta"], values["beta"], values["rate"], values["eta_max"]) == pytest.approx(
        (0.25, 1 / 3, 0.5, 0.4), rel=1e-12)


def test_double_root_by_hand():
    """z^2 - (1 + beta)(1 - mu/L) z + beta (1 - mu/L) at beta = 9/11, mu/L = 0.01: the double
    root (20/11)(0.99)/2 = 0.9 (numpy.roots, independent of the derivation)."""
    b, q = 9 / 11, 0.99
    roots = np.roots([1, -(1 + b) * q, b * q])
    assert roots == pytest.approx([0.9, 0.9], abs=1e-6)
    assert abs(roots[0] - roots[1]) < 1e-6
    # at a larger lambda the pair is complex with modulus sqrt(beta q) < 0.9
    q = 1 - 0.5
    roots = np.roots([1, -(1 + b) * q, b * q])
    assert np.iscomplexobj(roots) and np.abs(roots) == pytest.approx([np.sqrt(b * q)] * 2)


def test_symbolic_forms():
    L, mu = nesterov.L, nesterov.mu
    rate = D.result("rate").expr
    assert sp.simplify(rate - (1 - sp.sqrt(mu / L))) == 0
    k = sp.Symbol("k", positive=True)     # sqrt(kappa)
    assert sp.simplify(D.result("beta").expr.subs(L, k**2 * mu) - (k - 1) / (k + 1)) == 0
    # 2 (1 + beta) / ((1 + 2 beta) L) at beta = (k - 1)/(k + 1) is 4 k / ((3 k - 1) L)
    assert sp.simplify(D.result("eta_max").expr.subs(L, k**2 * mu)
                       - 4 * k / ((3 * k - 1) * k**2 * mu)) == 0


def test_rates_compared():
    """Heavy ball (optimal) beats Nesterov (standard tuning), which beats gradient descent."""
    for L, mu in ((1.0, 0.01), (1.0, 1e-4), (3.0, 1.0)):
        nag = D.instantiate(D.config({"L": L, "mu": mu}))["rate"]
        hb = heavy_ball.DERIVATION.instantiate(
            heavy_ball.DERIVATION.config({"L": L, "mu": mu}))["rate_opt"]
        gd = (L / mu - 1) / (L / mu + 1)
        assert hb < nag < gd


def test_torch_nesterov_is_this_method():
    """torch.optim.SGD(momentum=beta, nesterov=True) iterates theta_t = y_t of x_{t+1} = y_t - eta
    grad f(y_t), y_{t+1} = x_{t+1} + beta (x_{t+1} - x_t), from x_0 = y_0."""
    torch = pytest.importorskip("torch")
    lams = np.array([0.01, 0.3, 1.0])
    eta, beta = 0.9, 0.7
    p = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=eta, momentum=beta, nesterov=True)
    x, y = np.ones(3), np.ones(3)
    for _ in range(50):
        opt.zero_grad()
        (0.5 * (torch.tensor(lams) * p**2).sum()).backward()
        opt.step()
        x_next = y - eta * lams * y
        x, y = x_next, x_next + beta * (x_next - x)
        assert p.detach().numpy() == pytest.approx(y, rel=1e-12, abs=1e-15)


def test_mutated_rate_fails(monkeypatch):
    L, mu = nesterov.L, nesterov.mu
    # the square of the true rate (what the function values do)
    monkeypatch.setattr(nesterov, "DERIVATION", _mutated("rate", (1 - sp.sqrt(mu / L))**2))
    failed = _failed(nesterov.cross_checks(D.defaults()))
    assert any("max |eigenvalue|" in f for f in failed)
    assert any("generated SGD(nesterov=True)" in f for f in failed)


def test_mutated_momentum_fails(monkeypatch):
    # heavy ball's optimal momentum instead of Nesterov's: no double root, another rate
    monkeypatch.setattr(nesterov, "DERIVATION",
                        _mutated("beta", heavy_ball.DERIVATION.result("beta_opt").expr))
    failed = _failed(nesterov.cross_checks(D.defaults()))
    assert any("double root" in f for f in failed)
    assert any("max |eigenvalue|" in f for f in failed)


def test_mutated_stability_bound_fails(monkeypatch):
    monkeypatch.setattr(nesterov, "DERIVATION", _mutated("eta_max", 2 / nesterov.L))
    failed = _failed(nesterov.cross_checks(D.defaults()))
    assert failed == ["eta_max at the standard beta by bisection on the spectral radius"]


def test_mutated_jury_test_fails(monkeypatch):
    # Jury's test without p(-1) > 0 misses Nesterov's step bound
    monkeypatch.setattr(nesterov, "jury_quadratic",
                        lambda c1, c0: sp.And(c0 < 1, c0 > -1, 1 + c1 + c0 > 0))
    failed = _failed(nesterov.cross_checks(D.defaults()))
    assert any("Jury's conditions" in f for f in failed)


@pytest.mark.parametrize("overrides, message", [
    ({"mu": 2.0}, "--mu (2) must be less than --L (1)"),
    ({"mu": 1.0}, "must be less than --L"),
    ({"mu": -0.5}, "--mu must be > 0"),
    ({"L": 0.0}, "--L must be > 0"),
])
def test_bad_parameters(overrides, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        D.config(overrides)


def test_renderings():
    cfg = D.defaults()
    text = D.as_text(cfg)
    assert "rate" in text and "= 0.9" in text
    assert r"\begin{align*}" in D.as_latex()


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_latex_compiles(tmp_path):
    (tmp_path / "d.tex").write_text(document(D.as_latex()))
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
