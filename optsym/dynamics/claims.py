r"""The course's statements about optimizer behaviour, each measured and checked.

Each claim runs optsym's generated code (:func:`optsym.dynamics.stepper.run_stream`), records
the numbers and applies a check that fails when the behaviour is reversed; the check is a
separate pure function of the numbers, so a test can feed it the reversed numbers.

* ``momentum-regime``: heavy ball (torch's SGD momentum, :math:`\beta = 0.9`) against GD from
  :math:`(-1.5, 2)` for 80 steps.  On :math:`x^2 + 10y^2` at :math:`\eta = 0.03` momentum ends
  *farther* from the optimum; on :math:`x^2 + 100y^2` at :math:`\eta = 0.009` it ends nearer.
  The derived linear rates say why:

  .. math::

      \rho_{GD} = \max_i |1 - \eta\lambda_i|, \qquad
      \rho_{HB} = \max_i \rho\!\begin{pmatrix} 1 + \beta - \eta\lambda_i & -\beta \\
      1 & 0 \end{pmatrix} \;(= \sqrt\beta \text{ when the roots are complex}),

  :math:`0.94 < 0.949` in the first setting, :math:`0.982 > 0.949` in the second: momentum helps
  only when GD's rate is worse than :math:`\sqrt\beta`.  The check: the simulated order flips
  between the settings and agrees with the derived rates in both.
* ``weight-decay-retention``: a weight fed a zero-mean stream :math:`\pm s` for 200 steps (lr
  0.01, decay 0.1); its retention :math:`x_T / x_0` is the mean over the two sign orders (which
  cancels the stream's own drift).  Adam + L2 keeps large-gradient weights and decays small ones
  (the decay term :math:`\lambda x` is divided by :math:`\sqrt{\hat v} \approx s`); AdamW keeps
  the same fraction at every scale, :math:`(1 - \eta\lambda)^T`.
* ``rosenbrock-adam-slowest``: on Rosenbrock from :math:`(-1.5, 2)` at a shared lr 1e-3 for 500
  steps, Adam ends highest of GD, momentum, RMSprop and Adam: its steps have size
  :math:`\approx \eta` whatever the gradient, so 500 steps of 1e-3 cannot cross the valley.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from optsym.dynamics.claim import Claim
from optsym.dynamics.claims_adaptive import adagrad_rare_features, adam_early_updates
from optsym.dynamics.claims_saddle import saddle_escape
from optsym.dynamics.claims_clipping import clipping_cliff
from optsym.dynamics.claims_nesterov import nesterov_heavy_ball
from optsym.dynamics.claims_newton import newton_saddle
from optsym.dynamics.claims_resume import resume_state
from optsym.dynamics.noise_floor import noise_floor
from optsym.spec import SpecError


# ---- momentum's regime -------------------------------------------------------------------------
MOMENTUM_SETTINGS = (("x^2 + 10*y^2", 0.03), ("x^2 + 100*y^2", 0.009))


def derived_rates(eigenvalues: Sequence[float], lr: float, beta: float) -> tuple[float, float]:
    r""":math:`(\rho_{GD}, \rho_{HB})`: the spectral radii of the two methods' linear maps."""
    gd = max(abs(1 - lr * lam) for lam in eigenvalues)
    hb = max(max(abs(np.linalg.eigvals(np.array([[1 + beta - lr * lam, -beta], [1.0, 0.0]]))))
             for lam in eigenvalues)
    return float(gd), float(hb)


def _hessian_eigenvalues(objective) -> list[float]:
    import sympy as sp

    H = sp.hessian(objective.expr, objective.variables)
    return sorted(float(v) for v in H.eigenvals())


def check_momentum_regime(rows: Sequence[Mapping[str, float]]) -> bool:
    """Momentum ends farther than GD in the first setting and nearer in the second, and in each
    the simulated winner is the one with the smaller derived rate."""
    if len(rows) != 2:
        return False
    first, second = rows
    flips = first["momentum"] > first["gd"] and second["momentum"] < second["gd"]
    agree = all((r["momentum"] < r["gd"]) == (r["rate_hb"] < r["rate_gd"]) for r in rows)
    return bool(flips and agree)


def momentum_regime(beta: float = 0.9, steps: int = 80, x0: Sequence[float] = (-1.5, 2.0),
                    settings: Sequence[tuple[str, float]] = MOMENTUM_SETTINGS,
                    methods: tuple[str, str] = ("gd", "momentum")) -> Claim:
    """Heavy ball against GD in the two settings (``methods`` may be swapped by a test)."""
    from optsym.dynamics.optimum import distances, minima
    from optsym.dynamics.stepper import objective_stream, run_stream
    from optsym.objective import parse_objective

    rows, curves = [], []
    for text, lr in settings:
        obj = parse_objective(text)
        dist, curve = {}, {}
        for key, method in zip(("gd", "momentum"), methods):
            cfg = {"lr": lr, "momentum": beta} if method == "momentum" else {"lr": lr}
            path = run_stream(method, cfg, x0, steps, objective_stream(obj))
            curve[key] = distances(path, minima(obj))
            dist[key] = float(curve[key][-1])
        gd_rate, hb_rate = derived_rates(_hessian_eigenvalues(obj), lr, beta)
        rows.append({"objective": text, "lr": lr, **dist, "rate_gd": gd_rate,
                     "rate_hb": hb_rate})
        curves.append(curve)
    first, second = rows
    statement = (f"momentum (beta {beta:g}) ends farther from the optimum than GD on "
                 f"{first['objective']} at lr {first['lr']:g}, and nearer on "
                 f"{second['objective']} at lr {second['lr']:g}; the derived rates predict both")
    return Claim("momentum-regime", statement,
                 f"from ({', '.join(f'{v:g}' for v in x0)}), {steps} steps, distance to the "
                 "optimum", {"settings": rows}, check_momentum_regime(rows),
                 [f"sqrt(beta) = {np.sqrt(beta):.4f}: momentum wins where GD's rate "
                  "max|1 - lr*lambda| is above it"],
                 data={"rows": rows, "curves": curves, "beta": beta})


# ---- Adam + L2 against AdamW -------------------------------------------------------------------
def retention(rule: str, cfg: Mapping[str, Any], scale: float, steps: int) -> float:
    r""":math:`x_T / x_0` from :math:`x_0 = 1` under the stream :math:`\pm s`, averaged over the
    two sign orders."""
    from optsym.dynamics.stepper import run_stream

    out = []
    for first in (1.0, -1.0):
        def grad(t: int, x: np.ndarray, first=first) -> np.ndarray:
            return np.array([first * scale if t % 2 == 1 else -first * scale])

        out.append(float(run_stream(rule, cfg, [1.0], steps, grad)[-1][0]))
    return float(np.mean(out))


def check_retention(rows: Sequence[Mapping[str, float]], decay_only: float) -> bool:
    """Adam + L2 keeps the largest-gradient weight at least 0.5 more than the smallest; AdamW
    keeps every scale within 0.005 of the pure decay factor."""
    big = max(rows, key=lambda r: r["scale"])
    small = min(rows, key=lambda r: r["scale"])
    coupled = big["adam_l2"] - small["adam_l2"] > 0.5
    decoupled = all(abs(r["adamw"] - decay_only) < 0.005 for r in rows)
    return bool(coupled and decoupled)


def weight_decay_retention(scales: Sequence[float] = (10.0, 1.0, 0.1, 0.01), lr: float = 0.01,
                           weight_decay: float = 0.1, steps: int = 200,
                           rules: tuple[str, str] = ("adam", "adamw")) -> Claim:
    """Retention under Adam + L2 and AdamW against the gradient scale."""
    cfg = {"lr": lr, "weight_decay": weight_decay}
    rows = [{"scale": float(s), "adam_l2": retention(rules[0], cfg, s, steps),
             "adamw": retention(rules[1], cfg, s, steps)} for s in scales]
    decay_only = (1 - lr * weight_decay) ** steps
    return Claim("weight-decay-retention",
                 "Adam + L2 decays a weight less the larger its gradients; AdamW decays every "
                 f"weight by the same factor (1 - lr*wd)^T = {decay_only:.4f}",
                 f"x0 = 1, gradients +-s alternating, lr {lr:g}, weight decay {weight_decay:g}, "
                 f"{steps} steps, mean of the two sign orders",
                 {"decay_only": decay_only, "scales": rows},
                 check_retention(rows, decay_only),
                 data={"rows": rows, "decay_only": decay_only, "lr": lr,
                       "weight_decay": weight_decay, "steps": steps})


# ---- Rosenbrock at a shared small lr -----------------------------------------------------------
ROSENBROCK_RULES = ("gd", "momentum", "rmsprop", "adam")


def check_slowest(finals: Mapping[str, float], slowest: str = "adam") -> bool:
    """``slowest`` has the highest final loss of all (a non-finite loss counts as highest)."""
    def key(v: float) -> float:
        return v if np.isfinite(v) else float("inf")

    return bool(max(finals, key=lambda k: key(finals[k])) == slowest
                and sum(key(v) == key(finals[slowest]) for v in finals.values()) == 1)


def rosenbrock_adam_slowest(lr: float = 1e-3, steps: int = 500,
                            x0: Sequence[float] = (-1.5, 2.0),
                            rules: Sequence[str] = ROSENBROCK_RULES) -> Claim:
    """The final Rosenbrock value of each rule at a shared lr."""
    from optsym.dynamics.stepper import objective_stream, run_stream, values
    from optsym.objective import builtin

    obj = builtin("rosenbrock")
    finals, curves = {}, {}
    for rule in rules:
        path = run_stream(rule, {"lr": lr}, x0, steps, objective_stream(obj))
        finals[rule] = float(values(obj, path[-1:])[0][0])
        curves[rule] = {"path": path, "loss": values(obj, path)[0]}
    return Claim("rosenbrock-adam-slowest",
                 f"at one shared lr {lr:g} Adam is the slowest of {', '.join(rules)} on "
                 "Rosenbrock (its step is about lr whatever the gradient)",
                 f"from ({', '.join(f'{v:g}' for v in x0)}), {steps} steps, f(x_T)",
                 {"final_loss": finals}, check_slowest(finals),
                 ["a shared lr suits some rules only: `optsym plot sweep --best` runs each "
                  "at its own"],
                 data={"curves": curves, "finals": finals, "lr": lr, "objective": obj,
                       "x0": x0})


#: claim name -> function
CLAIMS: dict[str, Callable[[], Claim]] = {
    "momentum-regime": momentum_regime,
    "weight-decay-retention": weight_decay_retention,
    "rosenbrock-adam-slowest": rosenbrock_adam_slowest,
    "adagrad-rare-features": adagrad_rare_features,
    "adam-early-updates": adam_early_updates,
    "saddle-escape": saddle_escape,
    "noise-floor": noise_floor,
    "clipping-cliff": clipping_cliff,
    "nesterov-heavy-ball": nesterov_heavy_ball,
    "newton-saddle": newton_saddle,
    "resume-state": resume_state,
}


def names() -> list[str]:
    return list(CLAIMS)


def run(name: str | None = None) -> list[Claim]:
    """The named claim, or all of them."""
    if name is None:
        return [fn() for fn in CLAIMS.values()]
    key = name.strip().lower()
    if key not in CLAIMS:
        from optsym.spec import unknown_name_message

        raise SpecError(unknown_name_message("claim", name, list(CLAIMS)))
    return [CLAIMS[key]()]


__all__ = ["Claim", "CLAIMS", "names", "run", "momentum_regime", "weight_decay_retention",
           "rosenbrock_adam_slowest", "check_momentum_regime", "check_retention",
           "check_slowest", "derived_rates", "retention", "adagrad_rare_features",
           "adam_early_updates"]
