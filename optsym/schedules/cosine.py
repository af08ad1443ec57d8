r"""Cosine schedules: annealing (``CosineAnnealingLR``), warm restarts
(``CosineAnnealingWarmRestarts``) and linear warmup + cosine decay (the transformer / LLM recipe).

.. math::

    \begin{align*}
    \text{cosine:}\quad \eta_k &= \eta_{\min} + \tfrac12 (\eta - \eta_{\min})
        \bigl(1 + \cos(\pi k / T)\bigr) \\
    \text{restarts:}\quad \eta_k &= \eta_{\min} + \tfrac12 (\eta - \eta_{\min})
        \bigl(1 + \cos(\pi k_{\text{cur}} / T_i)\bigr), \quad T_i = T_0 T_{\text{mult}}^i \\
    \text{warmup-cosine:}\quad \eta_k &= \begin{cases} \eta\, k / W & k < W \\
        \eta_{\min} + \tfrac12 (\eta - \eta_{\min})\bigl(1 + \cos(\pi \tfrac{k - W}{T - W})\bigr)
        & W \le k < T \\ \eta_{\min} & k \ge T \end{cases}
    \end{align*}

``CosineAnnealingLR`` computes the lr by a recursion,
:math:`\eta_k = \frac{1 + \cos(\pi k/T)}{1 + \cos(\pi (k-1)/T)} (\eta_{k-1} - \eta_{\min})
+ \eta_{\min}`, with a separate case where the denominator vanishes; past :math:`T` it keeps
following the cosine back up (period :math:`2T`).  Warm restarts compute the closed form from an
integer state (:math:`k_{\text{cur}}, T_i`).  Warmup-cosine follows the convention of Hugging
Face's ``get_cosine_schedule_with_warmup`` (the lr starts at 0 and reaches the peak at
:math:`k = W`) with optax's ``warmup_cosine_decay_schedule`` floor: it decays to
:math:`\eta_{\min}` and holds it from :math:`T` on.
"""

from __future__ import annotations

import sympy as sp

from optsym.pyops import parse
from optsym.schedules.spec import (
    LR,
    MAX_STEPS,
    MIN_ETA_CHECK,
    Branch,
    Param,
    Phase,
    Schedule,
    Tail,
    TorchForm,
    eta_max,
    eta_min,
    horizon,
    k,
    steps_param,
)
from optsym.spec import Assign

ETA, ETA_MIN = eta_max(), eta_min()
T_MAX = steps_param("T", 100, "half period: steps from eta_max down to eta_min")
T0 = steps_param("T_0", 10, "length of the first cycle")
T_MULT = steps_param("T_mult", 1, "factor by which each cycle is longer than the last")
WARMUP = Param("warmup", 10, "warmup steps: the lr reaches the peak at k = warmup", "int",
               sp.Symbol("warmup", integer=True, nonnegative=True), valid=lambda x: x >= 0,
               error="{name} must be an integer >= 0, got {value}")

eta, eta_lo, T, T_0, m, w = (ETA.symbol, ETA_MIN.symbol, T_MAX.symbol, T0.symbol,
                             T_MULT.symbol, WARMUP.symbol)


def _cos_decay(x: sp.Expr) -> sp.Expr:
    """eta_min + (eta - eta_min)(1 + cos(pi x)) / 2: from eta at x = 0 to eta_min at x = 1."""
    return eta_lo + (eta - eta_lo) * (1 + sp.cos(sp.pi * x)) / 2


# ---- cosine annealing ----------------------------------------------------------------------
def cosine_torch(cfg) -> TorchForm:
    names = {"k": k, "lr": LR, "base_lr": eta, "eta_min": eta_lo, "T_max": T}
    return TorchForm(initial=eta, branches=(
        Branch(sp.Eq(parse("(k - 1 - T_max) % (2 * T_max)", names), 0),
               parse("lr + (base_lr - eta_min) * (1 - cos(pi / T_max)) / 2", names),
               note="k - 1 = T_max (mod 2 T_max): the denominator below would be 0"),
        Branch(sp.true, parse("(1 + cos(pi * k / T_max)) / (1 + cos(pi * (k - 1) / T_max)) "
                              "* (lr - eta_min) + eta_min", names), (0,), "recursion")))


COSINE = Schedule(
    name="cosine", title="Cosine annealing (CosineAnnealingLR)", doc=__doc__,
    params=(ETA, T_MAX, ETA_MIN),
    phases=lambda c: (Phase(sp.S.Zero, sp.oo, _cos_decay(k / T), "cosine"),),
    torch=cosine_torch,
    reference=lambda c: f"CosineAnnealingLR(opt, T_max={c['T']}, eta_min={c['eta_min']!r})",
    horizon=lambda c: c["T"], checks=(MIN_ETA_CHECK,),
    tail=lambda c: Tail("periodic", 2 * c["T"]),
    torch_note="torch keeps following the cosine past T (back up to eta at 2T): it is "
               "periodic, not clamped at eta_min.")


# ---- warm restarts -------------------------------------------------------------------------
T_cur = sp.Symbol("T_cur", integer=True, nonnegative=True)
T_i = sp.Symbol("T_i", integer=True, positive=True)


def restart_phases(cfg) -> tuple[Phase, ...]:
    """One phase per cycle: for T_mult > 1 up to MAX_STEPS (a few dozen cycles, as they grow
    geometrically), for T_mult = 1 (where the closed form is one formula with Mod) over four
    horizons, for the analysis."""
    out, start, length, i = [], 0, cfg["T_0"], 0
    reach = 4 * cfg["horizon"] if cfg["T_mult"] == 1 else MAX_STEPS
    while start < reach + cfg["T_0"]:
        begin = sp.Integer(start) if cfg["T_mult"] != 1 else i * T_0
        cycle = T_0 * cfg["T_mult"] ** i  # T_mult shapes the phases: taken as its value
        out.append(Phase(begin, begin + cycle, _cos_decay((k - begin) / cycle), f"cycle {i}"))
        start, length, i = start + length, length * cfg["T_mult"], i + 1
    last = out[-1]
    return tuple(out[:-1]) + (Phase(last.start, sp.oo, last.expr, last.label),)


def restart_formula(cfg) -> sp.Expr | None:
    return _cos_decay(sp.Mod(k, T_0) / T_0)


def restart_torch(cfg) -> TorchForm:
    names = {"base_lr": eta, "eta_min": eta_lo, "T_cur": T_cur, "T_i": T_i}
    lr = parse("eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2", names)
    return TorchForm(
        initial=lr, branches=(Branch(sp.true, lr),), closed=True,
        state_init=(Assign(T_i, T_0), Assign(T_cur, sp.S.Zero)),
        state_step=(Assign(T_cur, T_cur + 1),
                    Assign(T_cur, sp.Piecewise((sp.Mod(T_cur, T_i), sp.Ge(T_cur, T_i)),
                                               (T_cur, True)), "restart"),
                    Assign(T_i, sp.Piecewise((T_i * m, sp.Eq(T_cur, 0)), (T_i, True)))))


RESTARTS = Schedule(
    name="cosine-restarts", title="Cosine with warm restarts (CosineAnnealingWarmRestarts)",
    doc=__doc__, params=(ETA, T0, T_MULT, ETA_MIN, horizon()),
    phases=restart_phases, torch=restart_torch,
    reference=lambda c: f"CosineAnnealingWarmRestarts(opt, T_0={c['T_0']}, "
                        f"T_mult={c['T_mult']}, eta_min={c['eta_min']!r})",
    horizon=lambda c: c["horizon"], checks=(MIN_ETA_CHECK,),
    tail=lambda c: Tail("periodic", c["T_0"]) if c["T_mult"] == 1 else Tail("cycles"),
    formula=lambda c: restart_formula(c) if c["T_mult"] == 1 else None)


# ---- warmup + cosine -----------------------------------------------------------------------
#: the LambdaLR multiplier a user writes (Hugging Face's form, with an eta_min floor r)
WARMUP_COSINE_LAMBDA = ("k / warmup if k < warmup else (r + (1 - r) * 0.5 * "
                        "(1 + cos(pi * (k - warmup) / (T - warmup))) if k < T else r)")


def warmup_cosine_phases(cfg) -> tuple[Phase, ...]:
    return (Phase(sp.S.Zero, w, eta * k / w, "linear warmup from 0"),
            Phase(w, T, _cos_decay((k - w) / (T - w)), "cosine decay"),
            Phase(T, sp.oo, eta_lo, "hold eta_min"))


def warmup_cosine_torch(cfg) -> TorchForm:
    names = {"k": k, "warmup": w, "T": T, "base_lr": eta,
             "r": parse("eta_min / base_lr", {"eta_min": eta_lo, "base_lr": eta})}
    lr = parse(f"base_lr * ({WARMUP_COSINE_LAMBDA})", names)
    return TorchForm(initial=lr, branches=(Branch(sp.true, lr),), closed=True)


WARMUP_COSINE = Schedule(
    name="warmup-cosine", title="Linear warmup + cosine decay", doc=__doc__,
    params=(ETA, WARMUP, T_MAX, ETA_MIN),
    phases=warmup_cosine_phases, torch=warmup_cosine_torch,
    reference=lambda c: (f"LambdaLR(opt, lambda k: {WARMUP_COSINE_LAMBDA}) with "
                         f"warmup={c['warmup']}, T={c['T']}, r = eta_min/eta_max"),
    horizon=lambda c: c["T"],
    checks=((lambda c: c["warmup"] >= c["T"], "--warmup ({warmup}) must be less than --T ({T})"),
            MIN_ETA_CHECK),
    torch_note="k = 0 gives lr 0 and the peak eta is the lr at k = warmup (as in Hugging Face's "
               "get_cosine_schedule_with_warmup, plus an eta_min floor held from T on, as in "
               "optax); torch has no class for it: the reference is a LambdaLR.")
