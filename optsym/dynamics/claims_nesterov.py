r"""Nesterov, heavy ball and gradient descent on a quadratic: measured rates against derived ones.

On :math:`f = \tfrac12 (\mu x^2 + L y^2)` (:func:`optsym.figures.convergence.quadratic`) from
:math:`(1, 1)`, each method at its derivation's tuning, with the rate that derivation proves
(instantiated, not written here):

* gradient descent, :math:`\eta = 2/(\mu + L)` (``gd-quadratic``):
  :math:`(\kappa - 1)/(\kappa + 1)`;
* heavy ball, :math:`(\eta^*, \beta^*)` (``heavy-ball``):
  :math:`(\sqrt\kappa - 1)/(\sqrt\kappa + 1)`;
* Nesterov, :math:`\eta = 1/L`, :math:`\beta = (\sqrt\kappa - 1)/(\sqrt\kappa + 1)`
  (``nesterov``): :math:`1 - 1/\sqrt\kappa`.

The iterates are torch's ``SGD`` (momentum, ``nesterov=True``) as optsym generates it; the
measured rate is the heavy-ball derivation's fit
:func:`~optsym.derivations.heavy_ball.observed_rate` of :math:`\log(\|x_t\| / t^k)` over the
second half of the run (:math:`k = 1` for the momentum methods, whose tuned rates are double
roots: the error decays like :math:`t \rho^t`).

The check: at every :math:`\kappa` each measured rate is within :data:`RATE_TOLERANCE` of the
derived one, and the order is heavy ball, Nesterov, GD (fastest first).  Nesterov's
:math:`1 - 1/\sqrt\kappa` against GD's :math:`\approx 1 - 2/\kappa` is the acceleration
(:math:`\sqrt\kappa` steps per e-fold instead of :math:`\kappa`); on a quadratic the optimally
tuned heavy ball is faster still.  The common "Nesterov beats heavy ball" needs another regime:
Nesterov's rate holds for every smooth strongly convex function, heavy ball's optimal tuning only
for quadratics (Lessard, Recht & Packard 2016 give a smooth strongly convex function on which
it does not converge).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from optsym.dynamics.claim import Claim

#: measured and derived rates agree to this (absolute, per step)
RATE_TOLERANCE = 5e-4
METHODS = ("gd", "heavy-ball", "nesterov")


def tunings(mu: float, L: float) -> dict[str, tuple[dict, float, int]]:
    """Each method's SGD options, derived rate and the fit's polynomial degree."""
    from optsym import derivations

    def results(name: str) -> dict:
        d = derivations.get(name)
        return d.instantiate(d.config({"mu": mu, "L": L}))

    g, h, n = results("gd-quadratic"), results("heavy-ball"), results("nesterov")
    return {"gd": ({"lr": g["optimal_step"]}, float(g["rate"]), 0),
            "heavy-ball": ({"lr": h["eta_opt"], "momentum": h["beta_opt"]},
                           float(h["rate_opt"]), 1),
            "nesterov": ({"lr": n["eta"], "momentum": n["beta"], "nesterov": True},
                         float(n["rate"]), 1)}


#: the result holding each method's rate in its derivation
RATE_RESULTS = {"gd": ("gd-quadratic", "rate"), "heavy-ball": ("heavy-ball", "rate_opt"),
                "nesterov": ("nesterov", "rate")}


def rate_curves(kappas: Sequence[float]) -> dict[str, np.ndarray]:
    """Each method's derived rate at mu = 1, L = kappa: the derivation's result expression in
    (mu, L), lambdified (for the figure's continuous curves)."""
    import sympy as sp

    from optsym import derivations

    out = {}
    for name, (topic, key) in RATE_RESULTS.items():
        expr = derivations.get(topic).result(key).expr
        sym = {str(s): s for s in expr.free_symbols}
        fn = sp.lambdify((sym["mu"], sym["L"]), expr, "numpy")
        out[name] = np.asarray(fn(1.0, np.asarray(kappas, dtype=float)), dtype=float)
    return out


def errors(mu: float, L: float, cfg: dict, steps: int) -> np.ndarray:
    r""":math:`\|x_t\|` of the generated SGD code with ``cfg`` from :math:`(1, 1)`."""
    from optsym.dynamics.stepper import objective_stream, run_stream
    from optsym.figures.convergence import quadratic

    path = run_stream("sgd", cfg, [1.0, 1.0], steps, objective_stream(quadratic(mu, L)))
    return np.linalg.norm(path, axis=1)


def check_rates(rows: Sequence[dict], tolerance: float = RATE_TOLERANCE) -> bool:
    """Every measured rate within ``tolerance`` of its derived rate, and in every row heavy
    ball faster than Nesterov faster than GD (measured)."""
    def ok(row: dict) -> bool:
        m = row["measured"]
        near = all(abs(m[k] - row["derived"][k]) <= tolerance for k in METHODS)
        return near and m["heavy-ball"] < m["nesterov"] < m["gd"]

    return bool(rows) and all(ok(r) for r in rows)


def nesterov_heavy_ball(kappas: Sequence[float] = (10.0, 100.0, 1000.0), steps: int = 600,
                        shown: float = 100.0, swap: dict[str, dict] | None = None) -> Claim:
    """The three methods at each condition number ``kappa`` (mu = 1, L = kappa); ``swap``
    replaces a method's options (a test's mutation)."""
    from optsym.derivations.heavy_ball import observed_rate

    rows, curves = [], {}
    for kappa in kappas:
        tuned = tunings(1.0, float(kappa))
        row = {"kappa": float(kappa), "derived": {}, "measured": {}, "config": {}}
        for name, (cfg, rate, degree) in tuned.items():
            cfg = {**cfg, **(swap or {}).get(name, {})}
            e = errors(1.0, float(kappa), cfg, steps)
            row["derived"][name] = rate
            row["measured"][name] = observed_rate(e, degree)[0]
            row["config"][name] = {k: float(v) for k, v in cfg.items()}
            if kappa == shown:
                curves[name] = (e, rate)
        rows.append(row)
    main = next((r for r in rows if r["kappa"] == shown), rows[0])
    grid = np.geomspace(min(kappas) / 3, max(kappas) * 3, 40)
    derived_grid = rate_curves(grid)
    d = main["derived"]
    return Claim(
        "nesterov-heavy-ball",
        f"on a quadratic with kappa = {main['kappa']:g}, each at its derived tuning: heavy ball "
        f"contracts by {d['heavy-ball']:.4f} per step, Nesterov by {d['nesterov']:.4f}, GD by "
        f"{d['gd']:.4f}; the generated code measures the same rates at every kappa",
        f"f = (mu x^2 + L y^2)/2, mu = 1, L = kappa in {', '.join(f'{k:g}' for k in kappas)}, "
        f"from (1, 1), {steps} steps, rate fitted over the second half; tunings and rates from "
        "`optsym derive gd-quadratic`, `heavy-ball`, `nesterov`",
        {"kappas": rows, "tolerance": RATE_TOLERANCE}, check_rates(rows),
        ["steps per e-fold of the error at kappa = " + f"{main['kappa']:g}: " + ", ".join(
            f"{k} {-1 / np.log(d[k]):.1f}" for k in METHODS),
         "Nesterov's rate holds for every smooth strongly convex f; heavy ball's tuned rate "
         "only for quadratics (Lessard, Recht & Packard 2016)"],
        data={"curves": curves, "rows": rows, "kappa": main["kappa"], "grid": grid,
              "derived_grid": derived_grid})


__all__ = ["METHODS", "RATE_RESULTS", "RATE_TOLERANCE", "check_rates", "errors",
           "nesterov_heavy_ball", "rate_curves", "tunings"]
