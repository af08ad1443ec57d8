r"""The figures of the claims that have one (``optsym claims NAME -o FILE``).

Each draws what its claim measured (``Claim.data``) against what was derived; nothing is
computed here.  Text is at least 8 pt at the figure's size.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from optsym.dynamics.claim import Claim
from optsym.dynamics.figures import COLORS, FONT
from optsym.figures._common import check_path, pyplot, save
from optsym.spec import SpecError


def _noise_floor(fig, claim: Claim) -> None:
    data = claim.data
    left, right = fig.subplots(1, 2)
    for i, r in enumerate(data.runs):
        color = COLORS[i % len(COLORS)]
        steps = np.arange(r.excess.shape[1])
        with np.errstate(all="ignore"):
            low, high = np.percentile(r.excess, (10, 90), axis=0)
        left.plot(steps, r.excess.mean(axis=0), color=color, lw=1.3, label=r.label)
        left.fill_between(steps, low, high, color=color, alpha=0.15, lw=0)
        if r.floor is not None:
            left.axhline(r.floor, color=color, ls="--", lw=1.0)
    left.axvline(data.window, color="0.5", ls=":", lw=1.0)
    left.annotate("floor measured from here", (data.window, 1), xycoords=("data", "axes fraction"),
                  xytext=(4, -12), textcoords="offset points", color="0.35")
    left.set_yscale("log")
    left.set_ylim(bottom=max(1e-7, 0.02 * min(float(np.mean(r.excess[:, -20:]))
                                              for r in data.runs)))
    left.set_xlabel("step t")
    left.set_ylabel("F(theta_t) - F*")
    left.set_title("mean of the runs (10-90 % band); dashed: derived floor")
    left.legend(loc="upper right")
    fixed = [row for row in data.sweep if not row["scaled"]]
    scaled = [row for row in data.sweep if row["scaled"] or row["lr"] == fixed[0]["lr"]
              and row["batch"] == data.runs[0].batch]
    for rows, color, marker, text in ((fixed, COLORS[0], "o", f"lr {fixed[0]['lr']:g}"),
                                      (sorted(scaled, key=lambda r: r["batch"]), COLORS[2],
                                       "s", "lr proportional to B (linear scaling)")):
        if not rows:
            continue
        bs = [r["batch"] for r in rows]
        right.plot(bs, [r["derived"] for r in rows], color=color, lw=1.2,
                   label=f"derived, {text}")
        right.plot(bs, [r["measured"] for r in rows], color=color, marker=marker, ls="none",
                   ms=6, mfc="none", mew=1.4, label=f"measured, {text}")
    right.set_xscale("log", base=2)
    ticks = sorted({r["batch"] for r in data.sweep})
    right.set_xticks(ticks, [str(b) for b in ticks])
    right.set_yscale("log")
    right.set_xlabel("batch size B")
    right.set_ylabel(f"floor: mean F - F* over steps {data.window}+")
    right.set_title("the floor against the batch size")
    right.legend(loc="best")
    for ax in (left, right):
        ax.grid(alpha=0.3, which="both")
    n = len(data.problem.xs)
    fig.suptitle(f"noise floor of minibatch SGD (least squares, N = {n}, "
                 f"{data.runs[0].excess.shape[0]} runs): {'HOLDS' if claim.holds else 'FAILS'}")


#: claim name -> (figure size, drawing function)
FIGURES: dict[str, tuple[tuple[float, float], Callable]] = {
    "noise-floor": ((12.0, 4.8), _noise_floor),
}


def has_figure(name: str) -> bool:
    return name in FIGURES


def claim_figure(path: str | Path, claim: Claim) -> Path:
    """Draw ``claim``'s figure into ``path`` (.png, .pdf or .svg)."""
    check_path(path)
    if claim.name not in FIGURES or claim.data is None:
        raise SpecError(f"the claim {claim.name} has no figure (those with one: "
                        f"{', '.join(FIGURES)})")
    size, draw = FIGURES[claim.name]
    plt = pyplot()
    with plt.rc_context(FONT):
        fig = plt.figure(figsize=size, dpi=100)
        try:
            draw(fig, claim)
            fig.tight_layout()
        except BaseException:
            plt.close(fig)
            raise
    return save(fig, path)


__all__ = ["FIGURES", "claim_figure", "has_figure"]
