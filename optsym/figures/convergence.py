r"""Convergence on a quadratic: optsym's generated code against the derived rates.

On :math:`f(x, y) = \tfrac12 (\mu x^2 + L y^2)` (minimizer 0) from :math:`(1, 1)`:

* gradient descent (generated SGD code with momentum 0) at the step the ``gd-quadratic``
  derivation finds best, :math:`\eta^* = 2/(\mu + L)`, against that derivation's rate
  :math:`\rho^{*t} \|x_0\|` (result ``rate``);
* heavy ball (generated SGD code with momentum) at the ``heavy-ball`` derivation's
  :math:`(\eta^*, \beta^*)`, against its rate :math:`\rho^* = \sqrt{\beta^*}` (result
  ``rate_opt``; at the optimum the error decays like :math:`t \rho^{*t}`).

The rates and steps come from the derivations (instantiated at :math:`\mu, L`); the iterates from
:func:`optsym.trajectory.run_generated`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp

from optsym.figures._common import check_path, pyplot, save
from optsym.spec import SpecError


@dataclass(frozen=True)
class Curve:
    """One method's error norms ``errors[t] = ||x_t||`` and the derived rate per step."""

    label: str
    config: dict
    errors: np.ndarray
    rate: float


def quadratic(mu: float, L: float):
    r""":math:`\tfrac12 (\mu x^2 + L y^2)` as an :class:`optsym.objective.Objective`."""
    from optsym.objective import Objective

    x, y = sp.symbols("x y", real=True)
    expr = (sp.Rational(mu) * x**2 + sp.Rational(L) * y**2) / 2
    return Objective(f"quadratic mu={mu:g}, L={L:g}", (x, y), expr,
                     f"1/2 (mu x^2 + L y^2), mu = {mu:g}, L = {L:g}")


def convergence_data(mu: float = 1.0, L: float = 10.0, steps: int = 150) -> list[Curve]:
    """Gradient descent and heavy ball at their derived optimal parameters."""
    from optsym import derivations, rules
    from optsym.trajectory import run_generated

    if not 1 <= steps <= 100_000:
        raise SpecError(f"steps must be from 1 to 100000, got {steps}")
    if not 0 < mu < L:
        raise SpecError(f"need 0 < mu < L, got mu = {mu:g}, L = {L:g}")
    gd = derivations.get("gd-quadratic")
    gd_res = gd.instantiate(gd.config({"mu": mu, "L": L}))
    hb = derivations.get("heavy-ball")
    hb_res = hb.instantiate(hb.config({"mu": mu, "L": L}))
    sgd = rules.get("sgd")
    objective = quadratic(mu, L)
    x0 = (1, 1)
    out = []
    for label, opts, rate in (
            ("gradient descent", {"lr": gd_res["optimal_step"], "momentum": 0.0},
             gd_res["rate"]),
            ("heavy ball", {"lr": hb_res["eta_opt"], "momentum": hb_res["beta_opt"]},
             hb_res["rate_opt"])):
        cfg = sgd.config(opts)
        path = np.array(run_generated("sgd", cfg, objective, x0, steps), dtype=float)
        out.append(Curve(label, cfg, np.linalg.norm(path, axis=1), float(rate)))
    return out


def convergence_figure(path: str | Path, mu: float = 1.0, L: float = 10.0,
                       steps: int = 150) -> Path:
    """Error norms of the generated code (solid) against the derived rates (dashed), log
    scale."""
    check_path(path)
    curves = convergence_data(mu, L, steps)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=120)
    colors = ("#1f5fa8", "#d62728")
    t = np.arange(steps + 1)
    for c, color in zip(curves, colors):
        shown = c.errors > 0
        ax.semilogy(t[shown], c.errors[shown], color=color, lw=1.8,
                    label=f"{c.label}: lr={c.config['lr']:.4g}, momentum="
                          f"{c.config['momentum']:.4g} (generated code)")
        ref = c.errors[0] * c.rate ** t
        ax.semilogy(t, ref, color=color, lw=1.0, ls="--",
                    label=rf"derived rate $\rho^{{*t}}\,\|x_0\|$, $\rho^* = {c.rate:.4g}$")
    ax.set_ylim(max(1e-16, float(np.min([c.errors[c.errors > 0].min() for c in curves]))
                    / 10), 10 * curves[0].errors[0])
    ax.set_xlabel("step t")
    ax.set_ylabel(r"$\|x_t - x^*\|$")
    ax.set_title(rf"$f = \frac{{1}}{{2}}(\mu x^2 + L y^2)$, $\mu = {mu:g}$, $L = {L:g}$, "
                 r"from $(1, 1)$", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save(fig, path)
