r"""Heavy-ball momentum's stability region in :math:`(\eta, \beta)`, with the optimum marked.

Everything drawn comes from the ``heavy-ball`` derivation (:mod:`optsym.derivations.heavy_ball`),
lambdified, not from a formula written here:

* the stable region: the derivation's Jury conditions (``jury_quadratic``) on the coefficients of
  its characteristic polynomial :math:`p(z)`, at :math:`\lambda = \mu` and :math:`\lambda = L`;
* the spectral radius :math:`\rho(\eta, \beta)` (result ``rate_at``) as contour lines;
* the stability bound :math:`\eta < \eta_{\max}(\beta)` (result ``eta_max``);
* the optimum :math:`(\eta^*, \beta^*)` with rate :math:`\rho^*` (``eta_opt``, ``beta_opt``,
  ``rate_opt``) at the given :math:`\mu, L`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp

from optsym.figures._common import check_path, pyplot, save

DERIVATION = "heavy-ball"


@dataclass(frozen=True)
class StabilityData:
    """The region on an (eta, beta) grid: arrays indexed [beta, eta]."""

    mu: float
    L: float
    etas: np.ndarray
    betas: np.ndarray
    #: Jury's conditions hold at lambda = mu and lambda = L
    stable: np.ndarray
    #: the derived spectral radius rho(eta, beta)
    rho: np.ndarray
    #: the derived largest stable step at each beta
    eta_max: np.ndarray
    eta_opt: float
    beta_opt: float
    rate_opt: float


def _by_name(expr: sp.Basic) -> dict[str, sp.Symbol]:
    return {s.name: s for s in expr.free_symbols}


def _charpoly(derivation) -> sp.Expr:
    """The derivation's characteristic polynomial p(z) (the step ``p(z) = ...``)."""
    for step in derivation.sheet().steps:
        e = step.expr
        if isinstance(e, sp.Eq) and e.lhs == sp.Symbol("p(z)"):
            return e.rhs
    raise LookupError("the heavy-ball derivation has no step p(z) = ...")


def jury_region(derivation=None):
    r"""A numpy function ``(eta, beta, lam) -> bool array``: Jury's conditions on the
    derivation's :math:`p(z)` (both roots strictly inside the unit circle)."""
    from optsym import derivations
    from optsym.derivations.heavy_ball import jury_quadratic

    derivation = derivation or derivations.get(DERIVATION)
    p = _charpoly(derivation)
    names = _by_name(p)
    poly = sp.Poly(p, names["z"])
    _, c1, c0 = poly.all_coeffs()
    region = jury_quadratic(c1, c0)
    return sp.lambdify((names["eta"], names["beta"], names["lambda"]), region, "numpy")


def stability_data(mu: float = 0.01, L: float = 1.0, n: int = 301) -> StabilityData:
    r"""The stable region and the spectral radius on an ``n`` x ``n`` grid of
    :math:`0 < \eta \le 4.2/L`, :math:`0 \le \beta < 1`, and the derived optimum."""
    from optsym import derivations

    d = derivations.get(DERIVATION)
    cfg = d.config({"mu": mu, "L": L})
    res = d.instantiate(cfg)
    rate_at = d.result("rate_at").expr
    s = _by_name(rate_at)
    rho_f = sp.lambdify((s["eta"], s["beta"], s["mu"], s["L"]), rate_at, "numpy")
    eta_max_expr = d.result("eta_max").expr
    t = _by_name(eta_max_expr)
    eta_max_f = sp.lambdify((t["beta"], t["L"]), eta_max_expr, "numpy")
    etas = np.linspace(4.2 / L / n, 4.2 / L, n)
    betas = np.linspace(0.0, 0.995, n)
    E, B = np.meshgrid(etas, betas)
    jury = jury_region(d)
    stable = np.asarray(jury(E, B, mu) & jury(E, B, L), dtype=bool)
    rho = np.asarray(rho_f(E, B, mu, L), dtype=float) * np.ones_like(E)
    return StabilityData(mu=float(mu), L=float(L), etas=etas, betas=betas, stable=stable,
                         rho=rho, eta_max=np.asarray(eta_max_f(betas, L), float) * np.ones(n),
                         eta_opt=res["eta_opt"], beta_opt=res["beta_opt"],
                         rate_opt=res["rate_opt"])


def _levels(rate_opt: float) -> list[float]:
    """Contour levels of rho from just above the optimal rate to 1.

    At a huge condition number the optimal rate rounds to 1 (mu = 1e-40: 1 - rate = 2e-20),
    so the first gap is kept at least one float64 epsilon."""
    gaps = np.geomspace(max(1 - rate_opt, float(np.finfo(float).eps)), 1e-3, 7)
    return sorted({float(1 - g) for g in gaps} | {float(1 - gaps[0] * 0.98)})


def _eta_max_latex() -> str:
    from optsym import derivations
    from optsym.spec import latex

    return latex(derivations.get(DERIVATION).result("eta_max").expr)


def stability_figure(path: str | Path, mu: float = 0.01, L: float = 1.0,
                     n: int = 301) -> Path:
    """The stable (eta, beta) region, contours of rho, the bound eta_max(beta) and the
    optimum."""
    check_path(path)
    data = stability_data(mu, L, n)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    E, B = np.meshgrid(data.etas, data.betas)
    ax.contourf(E, B, data.stable.astype(float), levels=[0.5, 1.5], colors=["#e3eef9"])
    shown = np.where(data.stable, data.rho, np.nan)
    levels = _levels(data.rate_opt)
    filled = ax.contourf(E, B, shown, levels=levels, cmap="Blues_r", alpha=0.85)
    lines = ax.contour(E, B, shown, levels=levels, colors="#1f3f68", linewidths=0.6)
    ax.clabel(lines, fontsize=8, fmt="%.3g")
    fig.colorbar(filled, ax=ax, label=r"spectral radius $\rho(\eta, \beta)$")
    ax.plot(data.eta_max, data.betas, color="#b33", lw=1.5, ls="--",
            label=rf"$\eta_{{\max}}(\beta) = {_eta_max_latex()}$ ($\rho = 1$)")
    ax.plot([data.eta_opt], [data.beta_opt], marker="*", ms=14, color="#e8a317",
            markeredgecolor="k", ls="none",
            label=rf"optimum $\eta^* = {data.eta_opt:.4g}$, $\beta^* = {data.beta_opt:.4g}$, "
                  rf"$\rho^* = {data.rate_opt:.4g}$")
    ax.set_xlim(0, data.etas[-1])
    ax.set_ylim(0, 1)
    ax.set_xlabel(r"step size $\eta$")
    ax.set_ylabel(r"momentum $\beta$")
    ax.set_title(rf"heavy ball, $\mu = {data.mu:g}$, $L = {data.L:g}$: stable region and "
                 r"$\rho(\eta, \beta)$", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return save(fig, path)
