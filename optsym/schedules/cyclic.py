r"""Cyclical schedules: cyclic (``CyclicLR``: triangular, triangular2, exp_range) and one-cycle
(``OneCycleLR``, cosine or linear annealing).

.. math::

    \begin{align*}
    \text{cyclic:}\quad c &= \lfloor 1 + k / (u + d) \rfloor, \quad
        x = 1 + \tfrac{k}{u + d} - c, \quad
        h = \begin{cases} x / \rho & x \le \rho \\ (x - 1)/(\rho - 1) & x > \rho \end{cases},
        \quad \rho = \tfrac{u}{u + d} \\
    \eta_k &= \eta_{\min} + (\eta - \eta_{\min})\, h\, \sigma, \qquad
        \sigma = 1,\ 2^{1-c},\ \gamma^k \ \text{(triangular, triangular2, exp\_range)} \\
    \text{one-cycle:}\quad \eta_k &= \begin{cases}
        a(\eta / \delta,\ \eta,\ k / e_1) & k \le e_1 \\
        a(\eta,\ \eta / (\delta \phi),\ (k - e_1)/(N - 1 - e_1)) & k > e_1 \end{cases}, \quad
        e_1 = p N - 1
    \end{align*}

with the annealing :math:`a(s, e, x) = e + \tfrac{s - e}{2} (1 + \cos \pi x)` (cos) or
:math:`(e - s) x + s` (linear).  torch evaluates both in closed form at each step.  Both
schedulers also cycle the momentum by default; optsym models the learning rate only, and the
reference passes ``cycle_momentum=False``.  ``OneCycleLR``'s ``three_phase`` is not modelled.
"""

from __future__ import annotations

import sympy as sp

from optsym.pyops import parse
from optsym.schedules.spec import (
    MIN_ETA_CHECK,
    Branch,
    J,
    Param,
    Phase,
    Schedule,
    Tail,
    TorchForm,
    eta_max,
    gamma,
    horizon,
    k,
    positive_param,
    steps_param,
)

ETA = eta_max()
BASE = Param("eta_min", 0.01, "lowest learning rate (CyclicLR's base_lr)",
             symbol=sp.Symbol("eta_min", nonnegative=True), valid=lambda x: x >= 0,
             error="{name} must be >= 0, got {value}")
UP = steps_param("step_size_up", 10, "steps from eta_min up to eta_max")
DOWN = Param("step_size_down", 0, "steps back down (0: the same as step_size_up)", "int",
             valid=lambda x: x >= 0, error="{name} must be an integer >= 0, got {value}")
MODE = Param("mode", "triangular", "amplitude policy", "choice",
             choices=("triangular", "triangular2", "exp_range"))
GAMMA = gamma(1.0, "exp_range: amplitude factor per step")
TOTAL = steps_param("total_steps", 100, "steps of the cycle (torch stops after them)")
PCT = Param("pct_start", 0.3, "fraction of the steps spent rising", valid=lambda x: 0 <= x <= 1,
            error="{name} must be in [0, 1], got {value}")
ANNEAL = Param("anneal", "cos", "annealing strategy", "choice", choices=("cos", "linear"))
DIV = positive_param("div_factor", 25.0, "initial lr = eta_max / div_factor")
FINAL = positive_param("final_div_factor", 1e4, "final lr = initial lr / final_div_factor")

eta, base, up, gam, n = ETA.symbol, BASE.symbol, UP.symbol, GAMMA.symbol, TOTAL.symbol
div, final = DIV.symbol, FINAL.symbol


def _down(cfg) -> sp.Expr:
    """torch: ``step_size_down = step_size_up`` when not given."""
    return up if cfg["step_size_down"] == 0 else sp.Integer(cfg["step_size_down"])


_SCALE = {"triangular": "1.0", "triangular2": "1 / (2.0 ** (cycle - 1))", "exp_range":
          "gamma ** k"}


def cyclic_formula(cfg) -> sp.Expr:
    size = up + _down(cfg)
    cycle = sp.floor(1 + k / size)
    x = 1 + k / size - cycle
    ratio = up / size
    height = sp.Piecewise((x / ratio, x <= ratio), ((x - 1) / (ratio - 1), True))
    scale = {"triangular": sp.S.One, "triangular2": 2 ** (1 - cycle),
             "exp_range": gam**k}[cfg["mode"]]
    return base + (eta - base) * height * scale


def cyclic_torch(cfg) -> TorchForm:
    names = {"k": k, "base_lr": base, "max_lr": eta, "gamma": gam,
             "total_size": up + _down(cfg), "step_ratio": parse("u / (u + d)", {
                 "u": up, "d": _down(cfg)})}
    cycle = parse("floor(1 + k / total_size)", names)
    x = parse("1.0 + k / total_size - cycle", {**names, "cycle": cycle})
    factor = sp.Piecewise((parse("x / step_ratio", {**names, "x": x}),
                           sp.Le(x, names["step_ratio"])),
                          (parse("(x - 1) / (step_ratio - 1)", {**names, "x": x}), True))
    scale = parse(_SCALE[cfg["mode"]], {**names, "cycle": cycle})
    lr = parse("base_lr + (max_lr - base_lr) * scale_factor * scale",
               {**names, "scale_factor": factor, "scale": scale})
    return TorchForm(initial=lr, branches=(Branch(sp.true, lr),), closed=True)


def _cyclic_tail(cfg) -> Tail:
    size = cfg["step_size_up"] + (cfg["step_size_down"] or cfg["step_size_up"])
    if cfg["mode"] == "triangular":
        return Tail("periodic", size)
    if cfg["eta_min"] > 0:
        return Tail("floor", block=base, note="the amplitude decays and the lr tends to eta_min")
    if cfg["mode"] == "triangular2":  # eta_k <= eta * 2^(1 - c) on cycle c = j + 1
        return Tail("dominated", size, block=eta * 2**-J)
    return Tail("dominated", block=eta * gam**k)  # exp_range: eta_k <= eta * gamma^k


CYCLIC = Schedule(
    name="cyclic", title="Cyclic (CyclicLR)", doc=__doc__,
    params=(ETA, BASE, UP, DOWN, MODE, GAMMA, horizon()),
    phases=lambda c: (Phase(sp.S.Zero, sp.oo, cyclic_formula(c), c["mode"]),),
    torch=cyclic_torch,
    reference=lambda c: f"CyclicLR(opt, base_lr={c['eta_min']!r}, max_lr={c['eta_max']!r}, "
                        f"step_size_up={c['step_size_up']}, step_size_down="
                        f"{c['step_size_down'] or None}, mode={c['mode']!r}, "
                        f"gamma={c['gamma']!r}, cycle_momentum=False)",
    horizon=lambda c: c["horizon"], checks=(MIN_ETA_CHECK,), tail=_cyclic_tail,
    formula=cyclic_formula,
    torch_note=lambda c: "torch computes 1 / 2.0 ** (cycle - 1), which raises OverflowError "
                         "after 1025 cycles." if c["mode"] == "triangular2" else "")


# ---- one-cycle -----------------------------------------------------------------------------
def _end1(cfg) -> sp.Rational:
    """torch's ``float(pct_start * total_steps) - 1``, exactly as the double it computes."""
    return sp.Rational(float(cfg["pct_start"] * cfg["total_steps"]) - 1)


def _anneal(cfg, start: sp.Expr, end: sp.Expr, x: sp.Expr) -> sp.Expr:
    if cfg["anneal"] == "cos":
        return end + (start - end) / 2 * (1 + sp.cos(sp.pi * x))
    return (end - start) * x + start


def onecycle_phases(cfg) -> tuple[Phase, ...]:
    e1, initial = _end1(cfg), eta / div
    first = sp.floor(e1) + 1  # the phase ends after the last k <= e1
    return (Phase(sp.S.Zero, first, _anneal(cfg, initial, eta, k / e1), "rise"),
            Phase(first, sp.oo, _anneal(cfg, eta, initial / final, (k - e1) / (n - 1 - e1)),
                  "anneal", joint=e1))


_ANNEAL_TORCH = {"cos": "end + (start - end) / 2.0 * (cos(pi * pct) + 1)",
                 "linear": "(end - start) * pct + start"}


def onecycle_torch(cfg) -> TorchForm:
    e1 = parse(repr(float(_end1(cfg))), {})
    initial = parse("max_lr / div_factor", {"max_lr": eta, "div_factor": div})
    low = parse("initial_lr / final_div_factor", {"initial_lr": initial,
                                                  "final_div_factor": final})
    names = {"k": k, "end_step": e1, "total": n, "initial": initial, "max": eta, "low": low}

    def anneal(start: str, end: str, pct: str) -> sp.Expr:
        return parse(_ANNEAL_TORCH[cfg["anneal"]], {
            "start": names[start], "end": names[end], "pct": parse(pct, names)})

    lr = sp.Piecewise((anneal("initial", "max", "(k - 0.0) / (end_step - 0.0)"), sp.Le(k, e1)),
                      (anneal("max", "low", "(k - end_step) / (total - 1 - end_step)"), True))
    return TorchForm(initial=lr, branches=(Branch(sp.true, lr),), closed=True)


def _onecycle_bad(c) -> bool:
    e1 = float(c["pct_start"] * c["total_steps"]) - 1
    return not 0 < e1 < c["total_steps"] - 1


ONECYCLE = Schedule(
    name="onecycle", title="One-cycle (OneCycleLR)", doc=__doc__,
    params=(ETA, TOTAL, PCT, ANNEAL, DIV, FINAL),
    phases=onecycle_phases, torch=onecycle_torch,
    reference=lambda c: f"OneCycleLR(opt, max_lr={c['eta_max']!r}, "
                        f"total_steps={c['total_steps']}, pct_start={c['pct_start']!r}, "
                        f"anneal_strategy={c['anneal']!r}, div_factor={c['div_factor']!r}, "
                        f"final_div_factor={c['final_div_factor']!r}, cycle_momentum=False)",
    horizon=lambda c: c["total_steps"],
    checks=((_onecycle_bad, "--pct-start * --total-steps - 1 must lie strictly between 0 and "
             "--total-steps - 1 (torch divides by both phase lengths)"),),
    tail=lambda c: Tail("undefined", note="torch's OneCycleLR raises after total_steps steps"))
