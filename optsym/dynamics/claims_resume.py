r"""Resuming Adam without its state: it helps in transit and hurts near the optimum.

A run restarted from a checkpoint of the parameters alone (a fresh ``torch.optim.Adam``: the
moments :math:`m, v` at 0 and the step count at 0) takes Adam's *first* step again:

.. math::

    \hat m_1 = g, \quad \hat v_1 = g^2 \quad\Longrightarrow\quad
    x_{T+1} = x_T - \eta\, \frac{g}{|g| + \epsilon} \approx x_T - \eta\, \operatorname{sign}(g),

an update of size :math:`\eta` in every coordinate, whatever the gradient's size (the early
updates of ``adam-early-updates``).  Which way that cuts depends on where the run is:

* **in transit** (far from the optimum): the kept :math:`v` still remembers the large early
  gradients (:math:`\beta_2 = 0.999`: a memory of about 1000 steps), so the kept run's steps
  are smaller than :math:`\eta`; the reset forgets them and moves faster.  On
  :math:`x^2 + 10y^2` at :math:`\eta = 0.01`, resumed at step 300, the loss one step later is
  lower after the reset;
* **near the optimum** (:math:`|x_T| \ll \eta`): the kept run's steps have shrunk with the
  gradient; the reset's step of :math:`\eta` per coordinate lands at
  :math:`f(x_T - \eta \operatorname{sign} g) \approx \eta^2 \sum_i c_i` for
  :math:`f = \sum_i c_i x_i^2` (:math:`11\eta^2` here), orders of magnitude above
  :math:`f(x_T)`; with gradient noise the same kick lifts the run off its noise floor for tens
  of steps.

The claim ``resume-state`` measures the three settings on optsym's generated Adam code
(:func:`optsym.dynamics.stepper.run_stream`; the resumed run is a second ``run_stream`` from
:math:`x_T`, the same gradient noise from step :math:`T + 1` on) and checks the first resumed
step against the formula above, evaluated by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from optsym.dynamics.claim import Claim

VALLEY = "x^2 + 10*y^2"
#: (label, lr, gradient noise sigma, runs)
SETTINGS = (("in transit", 0.01, 0.0, 1), ("near the optimum", 0.03, 0.0, 1),
            ("at the noise floor", 0.03, 1.0, 16))
#: a noisy run's reset must raise the mean loss after the resume by at least this factor
HURT_FACTOR = 1.5
#: further noise levels at the floor's lr, measured (not checked): how the hurt scales
NOISE_SWEEP = (0.1, 3.0)


def noisy_stream(objective, sigma: float, noise: np.ndarray, offset: int = 0):
    r"""``grad(t, x)`` = :math:`\nabla f(x) + \sigma\, \xi_{\text{offset} + t}` (torch autograd
    in float64), ``noise[k]`` the draw of step k + 1: a resumed run from step T passes
    ``offset = T`` and sees the same draws as the continuing one."""
    import torch

    f = objective.torch()

    def grad(t: int, x: np.ndarray) -> np.ndarray:
        leaf = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(f(leaf), leaf)
        return g.numpy() + sigma * noise[offset + t - 1]

    return grad


def first_reset_step(objective, x: Sequence[float], lr: float, eps: float = 1e-8
                     ) -> np.ndarray:
    r""":math:`x - \eta\, g/(|g| + \epsilon)`: Adam's first step from ``x``, by hand (the
    bias-corrected moments after one step are :math:`g` and :math:`g^2`)."""
    _, grad = objective.numpy()
    g = grad(np.asarray(x, dtype=float))
    return np.asarray(x, dtype=float) - lr * g / (np.abs(g) + eps)


#: the key of a run's mean loss curves (kept, reset) after the resume: the figure's, not JSON's
CURVES = "_curves"


def resume_runs(lr: float, sigma: float, runs: int, resume_at: int = 300, after: int = 50,
                x0: Sequence[float] = (-1.5, 2.0), seed: int = 0, rule: str = "adam",
                progress=None) -> dict[str, Any]:
    """The loss over the ``after`` steps past ``resume_at``, kept state against reset, as the
    mean over ``runs`` (run r's noise from seed ``seed + r``)."""
    from optsym.dynamics.stepper import run_stream, values
    from optsym.objective import parse_objective

    obj = parse_objective(VALLEY)
    kept, reset, at, predicted = [], [], [], []
    total = resume_at + after
    for r in range(runs):
        noise = np.random.default_rng(seed + r).standard_normal((total, obj.dim))
        full = run_stream(rule, {"lr": lr}, x0, total, noisy_stream(obj, sigma, noise))
        again = run_stream(rule, {"lr": lr}, full[resume_at], after,
                           noisy_stream(obj, sigma, noise, resume_at))
        kept.append(values(obj, full[resume_at:])[0])
        reset.append(values(obj, again)[0])
        at.append(full[resume_at])
        if sigma == 0:
            predicted.append(float(values(obj, first_reset_step(obj, full[resume_at],
                                                                lr)[None])[0][0]))
        if progress is not None:
            progress.advance()
    kept_m, reset_m = np.mean(kept, axis=0), np.mean(reset, axis=0)
    return {"lr": lr, "sigma": sigma, "runs": runs, "loss_at_resume": float(kept_m[0]),
            "kept_next": float(kept_m[1]), "reset_next": float(reset_m[1]),
            "predicted_reset_next": float(np.mean(predicted)) if predicted else None,
            "kept_window": float(np.mean(kept_m[1:])),
            "reset_window": float(np.mean(reset_m[1:])),
            "sum_c_lr2": 11 * lr**2, "x_at_resume": np.mean(at, axis=0).tolist(),
            CURVES: {"kept": kept_m, "reset": reset_m}}


def check_resume(transit: dict, near: dict, floor: dict, factor: float = HURT_FACTOR) -> bool:
    """In transit the reset's next loss and window mean are lower than the kept run's; near the
    optimum its next loss is over 100x the kept one; at the noise floor its window mean is over
    ``factor`` x the kept one; and in both deterministic settings the reset's next loss is the
    hand-derived first step's to 1e-9 relative."""
    def derived(row: dict) -> bool:
        p = row["predicted_reset_next"]
        return p is not None and abs(row["reset_next"] - p) <= 1e-9 * abs(p)

    return bool(transit["reset_next"] < transit["kept_next"]
                and transit["reset_window"] < transit["kept_window"]
                and near["reset_next"] > 100 * near["kept_next"]
                and floor["reset_window"] > factor * floor["kept_window"]
                and derived(transit) and derived(near))


def resume_state(resume_at: int = 300, after: int = 50, rule: str = "adam",
                 settings: Sequence[tuple[str, float, float, int]] = SETTINGS,
                 noise_sweep: Sequence[float] = NOISE_SWEEP, quiet: bool | None = None
                 ) -> Claim:
    """The three settings of :data:`SETTINGS` (``rule`` may be swapped by a test), and the
    floor's setting at the noise levels of ``noise_sweep`` (measured only)."""
    from optsym.progress import Progress

    total = sum(s[3] for s in settings) + len(noise_sweep) * settings[2][3]
    with Progress("resume-state", total, quiet=quiet) as bar:
        rows = [{"setting": label, **resume_runs(lr, sigma, runs, resume_at, after, rule=rule,
                                                 progress=bar)}
                for label, lr, sigma, runs in settings]
        transit, near, floor = rows
        sweep = [resume_runs(floor["lr"], s, floor["runs"], resume_at, after, rule=rule,
                             progress=bar) for s in noise_sweep]
    ratios = [{"sigma": r["sigma"], "kept_window": r["kept_window"],
               "reset_window": r["reset_window"],
               "ratio": r["reset_window"] / r["kept_window"]} for r in (*sweep, floor)]
    ratios.sort(key=lambda r: r["sigma"])
    return Claim(
        "resume-state",
        f"resuming {rule} at step {resume_at} without its state (moments and step count reset) "
        f"helps in transit (lr {transit['lr']:g}: loss one step later "
        f"{transit['reset_next']:.3f} vs {transit['kept_next']:.3f} kept) and hurts near the "
        f"optimum (lr {near['lr']:g}: {near['reset_next']:.3g} vs {near['kept_next']:.2g}; "
        f"about 11 lr^2 = {near['sum_c_lr2']:.3g}) and at the noise floor (sigma "
        f"{floor['sigma']:g}: mean loss over the next {after} steps {floor['reset_window']:.3g} "
        f"vs {floor['kept_window']:.3g})",
        f"f = {VALLEY} from (-1.5, 2), {rule}'s generated code (default betas, eps); resumed "
        f"run: a fresh state from x_{resume_at}, the same gradient noise after it; noisy: mean "
        f"of {floor['runs']} runs",
        {"resume_at": resume_at, "after": after,
         "settings": [{k: v for k, v in r.items() if k != CURVES} for r in rows],
         "noise_sweep": ratios},
        check_resume(transit, near, floor),
        data={"resume_at": resume_at, "rows": rows},
        notes=["at the floor's lr the reset raises the mean loss after it by "
         + ", ".join(f"{r['ratio']:.2f}x at sigma {r['sigma']:g}" for r in ratios)
         + " (measured, not checked): the higher the floor, the less a kick of lr matters",
         "the reset re-runs Adam's first step, x - lr*g/(|g| + eps): lr in every coordinate "
         "whatever the gradient (adam-early-updates)",
         "in transit the kept v still holds the large early gradients (beta2 = 0.999), so the "
         "kept steps are shorter than lr; the reset forgets them"])


__all__ = ["resume_state", "resume_runs", "check_resume", "first_reset_step", "noisy_stream",
           "SETTINGS"]
