r"""Warmup-stable-decay (WSD), a schedule written outside optsym and loaded with ``--spec``.

.. math::

    \eta_k = \begin{cases}
        \eta\, k / W & k < W \quad \text{(linear warmup from 0)} \\
        \eta & W \le k < T - D \quad \text{(stable)} \\
        \eta_{\min} + (\eta - \eta_{\min}) (T - k) / D & T - D \le k < T
            \quad \text{(linear decay)} \\
        \eta_{\min} & k \ge T
    \end{cases}

torch has no class for it; its reference is the ``LambdaLR`` a user writes from the definition
(:func:`wsd_reference`).  The torch form is the same multiplier, written once as Python source
and read with :func:`optsym.pyops.parse` (nothing is evaluated); the closed form above is the
independent check, and optsym proves the two equal at every step.

    optsym schedule --spec examples/wsd.py wsd --warmup 10 --decay 20 --T 100
    optsym verify --spec examples/wsd.py wsd
    optsym verify --spec examples/wsd.py adam --schedule wsd --schedule-opt T=50 --steps 60
"""

from __future__ import annotations

import sympy as sp

from optsym.loader import scheduler_reference
from optsym.pyops import parse
from optsym.schedules.spec import Branch, Phase, Schedule, TorchForm, eta_max, eta_min, k, steps_param

ETA, ETA_MIN = eta_max(), eta_min()
WARMUP = steps_param("warmup", 10, "warmup steps: the lr reaches the peak at k = warmup")
DECAY = steps_param("decay", 20, "steps of the final linear decay")
T = steps_param("T", 100, "the step at which the decay ends")

eta, eta_lo, w, d, big_t = (p.symbol for p in (ETA, ETA_MIN, WARMUP, DECAY, T))

#: the multiplier of eta as the LambdaLR computes it (r = eta_min / eta_max)
LAMBDA = ("k / warmup if k < warmup else (1.0 if k < T - decay else "
          "(r + (1 - r) * (T - k) / decay if k < T else r))")


def phases(cfg) -> tuple[Phase, ...]:
    return (Phase(sp.S.Zero, w, eta * k / w, "linear warmup from 0"),
            Phase(w, big_t - d, eta, "stable"),
            Phase(big_t - d, big_t, eta_lo + (eta - eta_lo) * (big_t - k) / d, "linear decay"),
            Phase(big_t, sp.oo, eta_lo, "hold eta_min"))


def torch_form(cfg) -> TorchForm:
    names = {"k": k, "warmup": w, "decay": d, "T": big_t, "base_lr": eta,
             "r": parse("eta_min / base_lr", {"eta_min": eta_lo, "base_lr": eta})}
    lr = parse(f"base_lr * ({LAMBDA})", names)
    return TorchForm(initial=lr, branches=(Branch(sp.true, lr),), closed=True)


@scheduler_reference("wsd")
def wsd_reference(optimizer, cfg):
    """The torch scheduler a user writes for WSD: a ``LambdaLR`` from the definition."""
    from torch.optim.lr_scheduler import LambdaLR

    warmup, decay, total = cfg["warmup"], cfg["decay"], cfg["T"]
    r = cfg["eta_min"] / cfg["eta_max"]

    def factor(k: int) -> float:
        if k < warmup:
            return k / warmup
        if k < total - decay:
            return 1.0
        if k < total:
            return r + (1 - r) * (total - k) / decay
        return r

    return LambdaLR(optimizer, factor)


SCHEDULE = Schedule(
    name="wsd", title="Warmup-stable-decay", doc=__doc__,
    params=(ETA, WARMUP, DECAY, T, ETA_MIN),
    phases=phases, torch=torch_form,
    reference=lambda c: (f"LambdaLR(opt, lambda k: {LAMBDA}) with warmup={c['warmup']}, "
                         f"decay={c['decay']}, T={c['T']}, r = eta_min/eta_max"),
    horizon=lambda c: c["T"],
    checks=((lambda c: c["warmup"] + c["decay"] > c["T"],
             "--warmup ({warmup}) + --decay ({decay}) must not exceed --T ({T})"),
            (lambda c: c["eta_min"] > c["eta_max"],
             "--eta-min ({eta_min}) must not exceed --eta-max ({eta_max})")),
    torch_note="torch has no class for it: the reference is a LambdaLR written from the "
               "definition.",
)
