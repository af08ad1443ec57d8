"""Plain-text tables of the dynamics results (what ``optsym plot curves`` / ``sweep`` print)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from optsym.dynamics.curves import Curves


def _g(v) -> str:
    if v is None or not np.isfinite(v):
        return "-" if v is None or np.isnan(v) else "inf"
    return f"{v:.4g}"


def curves_table(curves: Sequence[Curves], clip: tuple[str, float] | None = None) -> str:
    """One line per racer: lr and the final loss, gradient norm, distance and update size
    (``clip``: the clipping the runs had, named in the footer)."""
    w = max([12, *(len(c.label) for c in curves)])  # a convention's label is long
    head = f"{'rule':<{w}} {'lr':>9} {'loss':>11} {'grad norm':>11} {'distance':>11} " \
           f"{'update':>11}"
    lines = [head, "-" * len(head)]
    for c in curves:
        tag = " (diverged)" if c.diverged else ""
        lines.append(f"{c.label:<{w}} {c.config['lr']:>9.3g} {_g(c.final('loss')):>11} "
                     f"{_g(c.final('grad_norm')):>11} {_g(c.final('distance')):>11} "
                     f"{_g(c.final('update')):>11}{tag}")
    runs = curves[0].runs if curves else 1
    steps = curves[0].paths.shape[1] - 1 if curves else 0
    what = f"median of {runs} runs " if runs > 1 else ""
    clipped = "" if clip is None else f"gradients clipped by {clip[0]} {clip[1]:g}, "
    lines.append(f"(values after {steps} steps, {clipped}{what}of optsym's generated code)")
    return "\n".join(lines)


def sweep_table(sweep, raced: Sequence[Curves] | None = None) -> str:
    """The sweep as a grid (rules across, lrs down), the best of each rule starred."""
    labels = [r.label for r in sweep.rows]
    lines = [f"{sweep.quantity} after {sweep.steps} steps on {sweep.objective}",
             f"{'lr':>10} " + " ".join(f"{lab:>12}" for lab in labels)]
    for i, lr in enumerate(sweep.lrs):
        cells = []
        for r in sweep.rows:
            star = "*" if r.best_lr == lr else " "
            cells.append(f"{_g(r.final[i]) + star:>12}")
        lines.append(f"{lr:>10.3g} " + " ".join(cells))
    lines.append("(* each rule's best lr; inf: diverged)")
    if raced:
        lines.append("each rule at its own best lr:")
        lines += ["  " + line for line in curves_table(raced).splitlines()]
    return "\n".join(lines)


__all__ = ["curves_table", "sweep_table"]
