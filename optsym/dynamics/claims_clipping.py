r"""Gradient clipping at a cliff, and value clipping turning the gradient's direction.

The objective (:data:`CLIFF`) is a wide well with a cliff across the way in:

.. math::

    f(x, y) = 50 \tanh\bigl(5 (x - 2)\bigr) - 10\, e^{-(x^2 + 4 y^2)/32},

flat on both sides of :math:`x = 2` but for the well, and with slope up to :math:`50 \cdot 5 = 250`
on the wall.  GD at :math:`\eta = 0.5` creeps down the well's side until a step lands on the
wall; the next step is :math:`\eta \cdot \partial_x f` long (tens to a hundred), throwing the
iterate onto the plateau at :math:`f \approx -50`, where the well's gradient
:math:`\propto e^{-x^2/32}` is below :math:`10^{-70}`: the run is lost.  Clipping the gradient
to norm :math:`c` bounds every step by :math:`\eta c` (here 0.5), so the wall is crossed in
short steps and the run reaches the minimum :math:`f \approx -60` at the origin.  Whether plain
GD is thrown depends on where its steps land on the wall: the claim also counts, over a grid of
starts, how many plain runs are lost and how many clipped ones.

Value clipping :math:`\operatorname{clamp}(g, -c, c)` also bounds the step (by
:math:`\eta c \sqrt n`) but changes the ratio of the coordinates: on the wall
:math:`g \approx (250, g_y)` becomes :math:`(1, g_y)`, so the direction turns toward :math:`y`;
norm clipping scales and keeps the direction.  The angle is measured at every step between the
raw gradient and the one the generated clip returned, and each clipped gradient is compared with
``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` applied to the same raw gradient.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from optsym.dynamics.claim import Claim

CLIFF = "50*tanh(5*(x - 2)) - 10*exp(-(x^2 + 4*y^2)/32)"
#: a run is lost when it ends above this (the plateau past the wall is at -50)
LOST_ABOVE = -55.0
#: a run reached the minimum when it ends below this (the minimum is about -60)
REACHED_BELOW = -59.9
#: norm clipping keeps the direction: its largest angle is below this (rounding only)
NORM_ANGLE_MAX = 1e-4
#: value clipping turns it: its largest angle is above this
VALUE_ANGLE_MIN = 10.0


def torch_clip(raw: np.ndarray, clip: tuple[str, float]) -> np.ndarray:
    """``raw`` clipped by ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` (float64)."""
    import torch

    p = torch.zeros(len(raw), dtype=torch.float64, requires_grad=True)
    p.grad = torch.tensor(raw, dtype=torch.float64)
    if clip[0] == "norm":
        torch.nn.utils.clip_grad_norm_([p], clip[1])
    else:
        torch.nn.utils.clip_grad_value_([p], clip[1])
    return p.grad.numpy().copy()


def run(obj, x0: Sequence[float], lr: float, steps: int, clip: tuple[str, float] | None,
        rule: str = "gd", compare: bool = True) -> dict:
    """One run's path, losses, update sizes, angles and (``compare``) the largest difference of
    its clipped gradients to torch's clip of the same raw gradients."""
    from optsym.dynamics.clipped import angle_degrees, clipped
    from optsym.dynamics.stepper import objective_stream, run_stream, values

    record: list = []
    path = run_stream(rule, {"lr": lr}, x0, steps, clipped(objective_stream(obj), clip, record))
    loss, _ = values(obj, path)
    with np.errstate(all="ignore"):
        update = np.linalg.norm(np.diff(path, axis=0), axis=1)
    angles = [angle_degrees(raw, out) for raw, out in record]
    gap = 0.0 if clip is None or not compare else max(
        float(np.max(np.abs(out - torch_clip(raw, clip)))) for raw, out in record)
    return {"path": path, "loss": loss, "update": update, "angles": np.array(angles),
            "torch_gap": gap}


def check_clipping(plain_final: float, plain_max_update: float, norm_final: float,
                   norm_max_update: float, bound: float, value_final: float,
                   norm_angle: float, value_angle: float, torch_gap: float,
                   lost_plain: int, lost_clipped: int) -> bool:
    """Plain GD is thrown (a step over 10x the clipped bound) and ends lost on the plateau;
    norm-clipped GD keeps every step within ``bound`` = lr*c and reaches the minimum, as does
    value-clipped GD; norm clipping keeps the direction, value clipping turns it; the generated
    clip equals torch's; on the grid plain runs are lost and no clipped one is."""
    return bool(plain_final > LOST_ABOVE and plain_max_update > 10 * bound
                and norm_final < REACHED_BELOW and norm_max_update <= bound * (1 + 1e-12)
                and value_final < REACHED_BELOW
                and norm_angle < NORM_ANGLE_MAX and value_angle > VALUE_ANGLE_MIN
                and torch_gap == 0.0 and lost_plain > 0 and lost_clipped == 0)


def clipping_cliff(lr: float = 0.5, threshold: float = 1.0, steps: int = 60,
                   x0: Sequence[float] = (4.0, 2.0),
                   grid: tuple[Sequence[float], Sequence[float]] = ((3.0, 3.5, 4.0, 4.5, 5.0,
                                                                    5.5, 6.0),
                                                                   (-2.0, -1.0, 0.0, 1.0, 2.0)),
                   kinds: tuple[str | None, str | None] = ("norm", "value")) -> Claim:
    """The cliff without and with clipping (``kinds``: the clipping of the two clipped runs, a
    test may replace them)."""
    from optsym.objective import parse_objective

    obj = parse_objective(CLIFF)
    clips = [None if k is None else (k, threshold) for k in kinds]
    plain = run(obj, x0, lr, steps, None)
    norm = run(obj, x0, lr, steps, clips[0])
    value = run(obj, x0, lr, steps, clips[1])
    lost_plain = lost_clipped = 0
    for gx in grid[0]:
        for gy in grid[1]:
            lost_plain += bool(run(obj, (gx, gy), lr, steps, None, compare=False)["loss"][-1]
                               > LOST_ABOVE)
            lost_clipped += bool(run(obj, (gx, gy), lr, steps, clips[0],
                                     compare=False)["loss"][-1] > LOST_ABOVE)
    bound = lr * threshold

    def fin(r: dict) -> float:
        v = float(r["loss"][-1])
        return v if np.isfinite(v) else float("inf")

    measured = {
        "plain": {"final_loss": fin(plain), "max_update": float(np.nanmax(plain["update"])),
                  "thrown_at_step": int(np.nanargmax(plain["update"])) + 1,
                  "final_x": plain["path"][-1].tolist()},
        "clip_norm": {"final_loss": fin(norm), "max_update": float(np.nanmax(norm["update"])),
                      "max_angle_deg": float(norm["angles"].max()),
                      "final_x": norm["path"][-1].tolist()},
        "clip_value": {"final_loss": fin(value),
                       "max_update": float(np.nanmax(value["update"])),
                       "max_angle_deg": float(value["angles"].max()),
                       "final_x": value["path"][-1].tolist()},
        "step_bound": bound, "torch_gap": max(norm["torch_gap"], value["torch_gap"]),
        "grid_starts": len(grid[0]) * len(grid[1]), "grid_lost_plain": lost_plain,
        "grid_lost_clipped": lost_clipped}
    holds = check_clipping(measured["plain"]["final_loss"], measured["plain"]["max_update"],
                           measured["clip_norm"]["final_loss"],
                           measured["clip_norm"]["max_update"], bound,
                           measured["clip_value"]["final_loss"],
                           measured["clip_norm"]["max_angle_deg"],
                           measured["clip_value"]["max_angle_deg"], measured["torch_gap"],
                           lost_plain, lost_clipped)
    p = measured["plain"]
    return Claim(
        "clipping-cliff",
        f"plain GD steps onto the cliff and is thrown {p['max_update']:.3g} away (step "
        f"{p['thrown_at_step']}), ending lost at f = {p['final_loss']:.4g}; clipping the "
        f"gradient to norm {threshold:g} keeps every step <= lr*c = {bound:g} and reaches the "
        f"minimum; value clipping turns the gradient by up to "
        f"{measured['clip_value']['max_angle_deg']:.1f} degrees, norm clipping by 0",
        f"f = {CLIFF}, GD lr {lr:g} from ({', '.join(f'{v:g}' for v in x0)}), {steps} steps; "
        f"lost: f_T > {LOST_ABOVE:g}; clips are the generated torch-parity code, compared with "
        "torch.nn.utils.clip_grad_norm_/clip_grad_value_",
        measured, holds,
        [f"regime: of {measured['grid_starts']} starts on a grid x0 in {min(grid[0]):g}.."
         f"{max(grid[0]):g}, y0 in {min(grid[1]):g}..{max(grid[1]):g}, plain GD is lost from "
         f"{lost_plain}, norm-clipped GD from {lost_clipped}: whether a plain step lands on the "
         "wall depends on the start"],
        data={"objective": obj, "x0": list(x0), "runs": {"plain GD": plain,
                                                          f"clip norm {threshold:g}": norm,
                                                          f"clip value {threshold:g}": value}})


__all__ = ["CLIFF", "check_clipping", "clipping_cliff", "run", "torch_clip"]
