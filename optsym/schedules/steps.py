r"""Piecewise-constant schedules: constant (``ConstantLR``), step (``StepLR``), multistep
(``MultiStepLR``).

.. math::

    \begin{align*}
    \text{constant:}\quad \eta_k &= \begin{cases} f\,\eta & k < N \\ \eta & k \ge N \end{cases} \\
    \text{step:}\quad \eta_k &= \eta\, \gamma^{\lfloor k / s \rfloor} \\
    \text{multistep:}\quad \eta_k &= \eta\, \gamma^{\#\{i \,:\, m_i \le k\}}
    \end{align*}

torch computes all three by recursion on the previous learning rate: it multiplies
``group["lr"]`` by :math:`\gamma` (or :math:`f`, then :math:`1/f`) at the boundaries and leaves
it alone in between, so after a boundary the value is a product of rounded factors, not
:math:`\eta\gamma^j` rounded once.
"""

from __future__ import annotations

import sympy as sp

from optsym.pyops import parse
from optsym.spec import SpecError
from optsym.schedules.spec import (
    LR,
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
    steps_param,
)

ETA = eta_max()
GAMMA = gamma(0.1)
FACTOR = Param("factor", 1.0, "factor applied for the first total_iters steps",
               symbol=sp.Symbol("factor", positive=True), valid=lambda x: 0 < x <= 1,
               error="{name} must be in (0, 1] (torch divides by it), got {value}")
TOTAL = steps_param("total_iters", 5, "steps with the factor applied")
STEP = steps_param("step_size", 30, "steps between decays")
MILESTONES = Param("milestones", (30, 80), "steps at which the lr is multiplied by gamma",
                   "ints", valid=lambda m: len(m) > 0 and min(m) >= 1,
                   error="{name} must be a non-empty list of integers >= 1, got {value}")

eta, gam, f, n_total, s = ETA.symbol, GAMMA.symbol, FACTOR.symbol, TOTAL.symbol, STEP.symbol
_NAMES = {"k": k, "lr": LR, "gamma": gam, "factor": f, "total_iters": n_total,
          "step_size": s}


def _open(cfg) -> int:
    return cfg["horizon"]


# ---- constant (torch.optim.lr_scheduler.ConstantLR) ---------------------------------------
def constant_phases(cfg) -> tuple[Phase, ...]:
    return (Phase(sp.S.Zero, n_total, f * eta, "factor applied"),
            Phase(n_total, sp.oo, eta, "base lr"))


def constant_torch(cfg) -> TorchForm:
    return TorchForm(
        initial=parse("lr * factor", {**_NAMES, "lr": eta}),
        branches=(Branch(sp.Eq(k, n_total), parse("lr * (1.0 / factor)", _NAMES),
                         note="k == total_iters: undo the factor"),
                  Branch(sp.true, LR, (0, 1), "otherwise unchanged")))


CONSTANT = Schedule(
    name="constant", title="Constant (ConstantLR)", doc=__doc__,
    params=(ETA, FACTOR, TOTAL, horizon()), phases=constant_phases, torch=constant_torch,
    reference=lambda c: f"ConstantLR(opt, factor={c['factor']!r}, "
                        f"total_iters={c['total_iters']})",
    horizon=_open,
    torch_note="torch undoes the factor by multiplying by 1.0/factor at k = total_iters, so "
               "the lr after it is eta*factor*(1/factor), not eta, in floating point.")


# ---- step (StepLR) -------------------------------------------------------------------------
def step_formula(cfg) -> sp.Expr:
    return eta * gam ** sp.floor(k / s)


#: the most decay intervals a horizon may hold: each is a phase with its own boundary, jump and
#: induction step (derived symbolically: about 25 ms each)
MAX_INTERVALS = 200


def step_phases(cfg) -> tuple[Phase, ...]:
    """One phase per decay interval up to the horizon, then the formula."""
    blocks = -(-cfg["horizon"] // cfg["step_size"])
    if blocks > MAX_INTERVALS:
        raise SpecError(f"step: --horizon {cfg['horizon']} with --step-size {cfg['step_size']} "
                        f"holds {blocks} decay intervals; optsym derives each one and takes at "
                        f"most {MAX_INTERVALS}: give a shorter --horizon or a longer --step-size "
                        "(the closed form eta*gamma^floor(k/s) holds at every k)")
    out = tuple(Phase(j * s, (j + 1) * s, eta * gam**j, f"interval {j}") for j in range(blocks))
    return out + (Phase(blocks * s, sp.oo, step_formula(cfg), "beyond the horizon"),)


def step_torch(cfg) -> TorchForm:
    blocks = len(step_phases(cfg))
    return TorchForm(
        initial=eta,
        branches=(Branch(sp.Ne(parse("k % step_size", _NAMES), 0), LR, tuple(range(blocks - 1)),
                         "between decays: unchanged"),
                  Branch(sp.true, parse("lr * gamma", _NAMES), note="k a multiple of step_size")))


STEP_LR = Schedule(
    name="step", title="Step decay (StepLR)", doc=__doc__,
    params=(ETA, STEP, GAMMA, horizon()), phases=step_phases, torch=step_torch,
    reference=lambda c: f"StepLR(opt, step_size={c['step_size']}, gamma={c['gamma']!r})",
    horizon=_open, formula=step_formula,
    tail=lambda c: Tail("blocks", c["step_size"], block=eta * gam**J))


# ---- multistep (MultiStepLR) ---------------------------------------------------------------
def _counts(cfg) -> list[tuple[int, int]]:
    """(milestone, how many times it is listed), sorted: torch keeps a Counter."""
    ms = cfg["milestones"]
    return [(m, ms.count(m)) for m in sorted(set(ms))]


def multistep_phases(cfg) -> tuple[Phase, ...]:
    out, start, power = [], sp.S.Zero, 0
    for m, times in _counts(cfg):
        out.append(Phase(start, sp.Integer(m), eta * gam**power, f"gamma^{power}"))
        start, power = sp.Integer(m), power + times
    return tuple(out) + (Phase(start, sp.oo, eta * gam**power, f"gamma^{power}"),)


def multistep_torch(cfg) -> TorchForm:
    counts = _counts(cfg)
    branches = tuple(Branch(sp.Eq(k, m), parse(f"lr * gamma ** {times}", _NAMES),
                            note=f"milestone {m}") for m, times in counts)
    return TorchForm(initial=eta, branches=branches + (
        Branch(sp.true, LR, tuple(range(len(counts) + 1)), "unchanged"),))


MULTISTEP = Schedule(
    name="multistep", title="Multistep decay (MultiStepLR)", doc=__doc__,
    params=(ETA, MILESTONES, GAMMA, horizon()), phases=multistep_phases, torch=multistep_torch,
    reference=lambda c: f"MultiStepLR(opt, milestones={list(c['milestones'])}, "
                        f"gamma={c['gamma']!r})",
    horizon=_open)
