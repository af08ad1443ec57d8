r"""Linear and polynomial ramps: linear (``LinearLR``), linear warmup (``LinearLR`` rising to the
peak), polynomial decay (``PolynomialLR``).

.. math::

    \begin{align*}
    \text{linear:}\quad \eta_k &= \eta \Bigl(s + (e - s) \frac{\min(k, N)}{N}\Bigr) \\
    \text{warmup:}\quad \eta_k &= \eta \Bigl(s + (1 - s) \frac{\min(k, W)}{W}\Bigr)
        \qquad (\eta_0 = s\eta,\ \eta_W = \eta \text{, the peak, then constant}) \\
    \text{polynomial:}\quad \eta_k &= \eta \Bigl(1 - \frac{\min(k, N)}{N}\Bigr)^{p}
    \end{align*}

torch computes each by recursion: ``LinearLR`` multiplies the previous lr by
:math:`1 + (e - s) / (N s + (k - 1)(e - s))`, ``PolynomialLR`` by
:math:`\bigl((1 - k/N) / (1 - (k-1)/N)\bigr)^p`; the induction step of each is proved below.
"""

from __future__ import annotations

import sympy as sp

from optsym.pyops import parse
from optsym.schedules.spec import (
    LR,
    Branch,
    Param,
    Phase,
    Schedule,
    TorchForm,
    eta_max,
    horizon,
    k,
    positive_param,
    steps_param,
)

ETA = eta_max()
START = Param("start_factor", 1 / 3, "factor at k = 0", symbol=sp.Symbol("start_factor",
              positive=True), valid=lambda x: 0 < x <= 1,
              error="{name} must be in (0, 1] (as torch's LinearLR checks), got {value}")
END = Param("end_factor", 1.0, "factor from k = total_iters on",
            symbol=sp.Symbol("end_factor", nonnegative=True), valid=lambda x: 0 <= x <= 1,
            error="{name} must be in [0, 1], got {value}")
TOTAL = steps_param("total_iters", 5, "steps of the ramp")
WARMUP = steps_param("warmup", 10, "warmup steps: the lr reaches the peak at k = warmup")
WARM_START = Param("start_factor", 0.1, "lr at k = 0 as a fraction of the peak",
                   symbol=START.symbol, valid=START.valid, error=START.error)
POWER = positive_param("power", 1.0, "exponent of the decay")

eta, s0, s1, n, w, p = (ETA.symbol, START.symbol, END.symbol, TOTAL.symbol, WARMUP.symbol,
                        POWER.symbol)


def _ramp_phases(total: sp.Symbol, end: sp.Expr) -> tuple[Phase, ...]:
    return (Phase(sp.S.Zero, total, eta * (s0 + (end - s0) * k / total), "ramp"),
            Phase(total, sp.oo, eta * end, "hold"))


def _ramp_torch(total: sp.Symbol, end: sp.Expr) -> TorchForm:
    names = {"k": k, "lr": LR, "start_factor": s0, "end_factor": end, "total_iters": total}
    step = ("lr * (1.0 + (end_factor - start_factor) / "
            "(total_iters * start_factor + (k - 1) * (end_factor - start_factor)))")
    return TorchForm(
        initial=parse("lr * start_factor", {**names, "lr": eta}),
        branches=(Branch(sp.Gt(k, total), LR, (1,), "after the ramp: unchanged"),
                  Branch(sp.true, parse(step, names), (0,), "ramp")))


LINEAR = Schedule(
    name="linear", title="Linear (LinearLR)", doc=__doc__,
    params=(ETA, START, END, TOTAL, horizon()),
    phases=lambda c: _ramp_phases(n, s1), torch=lambda c: _ramp_torch(n, s1),
    reference=lambda c: f"LinearLR(opt, start_factor={c['start_factor']!r}, "
                        f"end_factor={c['end_factor']!r}, total_iters={c['total_iters']})",
    horizon=lambda c: c["horizon"])

WARMUP_LR = Schedule(
    name="warmup", title="Linear warmup to a constant peak (LinearLR)", doc=__doc__,
    params=(ETA, WARMUP, WARM_START, horizon()),
    phases=lambda c: _ramp_phases(w, sp.S.One), torch=lambda c: _ramp_torch(w, sp.S.One),
    reference=lambda c: f"LinearLR(opt, start_factor={c['start_factor']!r}, end_factor=1.0, "
                        f"total_iters={c['warmup']})",
    horizon=lambda c: c["horizon"],
    torch_note="k = 0 is the first step's lr (start_factor * eta); the peak eta is reached at "
               "k = warmup, the lr of step warmup + 1, and held.  torch's LinearLR requires "
               "start_factor > 0; a warmup from 0 is warmup-cosine's.")


# ---- polynomial (PolynomialLR) -------------------------------------------------------------
def polynomial_phases(cfg) -> tuple[Phase, ...]:
    return (Phase(sp.S.Zero, n, eta * (1 - k / n) ** p, "decay"),
            Phase(n, sp.oo, sp.S.Zero, "zero"))


def polynomial_torch(cfg) -> TorchForm:
    names = {"k": k, "lr": LR, "total_iters": n, "power": p}
    step = "lr * ((1.0 - k / total_iters) / (1.0 - (k - 1) / total_iters)) ** power"
    return TorchForm(initial=eta, branches=(
        Branch(sp.Gt(k, n), LR, (1,), "after total_iters: unchanged"),
        Branch(sp.true, parse(step, names), (0,), "decay")))


POLYNOMIAL = Schedule(
    name="polynomial", title="Polynomial decay (PolynomialLR)", doc=__doc__,
    params=(ETA, TOTAL, POWER, horizon()), phases=polynomial_phases, torch=polynomial_torch,
    reference=lambda c: f"PolynomialLR(opt, total_iters={c['total_iters']}, "
                        f"power={c['power']!r})",
    horizon=lambda c: c["horizon"])
