r"""The dynamics figures: training curves (five panels against the step) and the lr sweep.

Every number drawn comes from :mod:`optsym.dynamics.curves` and :mod:`optsym.dynamics.sweep`
(optsym's generated code); this module only draws.  Several runs are drawn as their median
with the 10 %-90 % band shaded.  Text is at least 8 pt at the figure's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from optsym.dynamics.curves import LABELS, METRICS, Curves
from optsym.figures._common import check_path, pyplot, save

COLORS = ("#1f5fa8", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
          "#17becf", "#7f7f7f", "#bcbd22")
FONT = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
        "xtick.labelsize": 8, "ytick.labelsize": 8}


def _positive(values: np.ndarray) -> bool:
    v = values[np.isfinite(values)]
    return v.size > 0 and bool(np.all(v > 0))


def _label(c: Curves, several_lrs: bool) -> str:
    text = c.label
    if several_lrs:
        text += f", lr {c.config['lr']:.3g}"
    return text + (" (diverged)" if c.diverged else "")


def draw_metric(ax, curves: Sequence[Curves], name: str, legend: bool = False) -> None:
    """One metric of every racer against the step: the median line, the band if several runs."""
    several = len({c.config.get("lr") for c in curves}) > 1
    logy = True
    for i, c in enumerate(curves):
        s = c.summary(name)
        steps = np.arange(len(s["median"]))
        color = COLORS[i % len(COLORS)]
        ax.plot(steps, s["median"], lw=1.4, color=color, label=_label(c, several))
        if c.runs > 1:
            ax.fill_between(steps, s["low"], s["high"], color=color, alpha=0.2, lw=0)
        logy = logy and _positive(s["median"])
    if logy and name != "lr":
        ax.set_yscale("log")
    if name == "lr":
        top = max(float(np.nanmax(c.metrics["lr"])) for c in curves)
        ax.set_ylim(0, 1.15 * top if np.isfinite(top) and top > 0 else 1)
    ax.set_title(LABELS[name])
    ax.set_xlabel("step t")
    ax.grid(alpha=0.3)
    if legend:
        ax.legend(loc="best")


def curves_figure(path: str | Path, objective, x0: Sequence, curves: Sequence[Curves],
                  sigma: float = 0.0, clip: tuple[str, float] | None = None) -> Path:
    """Five panels (loss, gradient norm, lr, distance, update size) and a caption panel."""
    check_path(path)
    plt = pyplot()
    with plt.rc_context(FONT):
        fig, axes = plt.subplots(2, 3, figsize=(12, 6.8), dpi=100)
        try:
            flat = axes.ravel()
            shown = [m for m in METRICS if m != "distance"
                     or any(np.isfinite(c.metrics["distance"]).any() for c in curves)]
            for ax, name in zip(flat, shown):
                draw_metric(ax, curves, name)
            for ax in flat[len(shown):]:
                ax.axis("off")
            handles, labels = flat[0].get_legend_handles_labels()
            flat[-1].legend(handles, labels, loc="center", fontsize=10, frameon=False,
                            title="rule", title_fontsize=10)
            runs = curves[0].runs
            noise = (f", gradient noise sigma {sigma:g}, median and 10-90 % band of {runs} "
                     "runs" if sigma > 0 else "")
            start = ", ".join(f"{float(v):g}" for v in x0)
            clipping = "" if clip is None else f", gradients clipped by {clip[0]} {clip[1]:g}"
            fig.suptitle(f"{objective.name} from ({start}): optsym's generated code{noise}"
                         f"{clipping}")
            fig.tight_layout()
        except BaseException:
            plt.close(fig)
            raise
    return save(fig, path)


def sweep_figure(path: str | Path, sweep, best_curves: Sequence[Curves] | None = None,
                 objective=None, x0: Sequence | None = None) -> Path:
    """Final loss against lr per rule with each rule's best marked; with ``best_curves`` a
    second panel: the loss of each rule run at its own best lr (and its trajectories on a 2-D
    objective)."""
    check_path(path)
    plt = pyplot()
    panels = 1 + (best_curves is not None) + (best_curves is not None and objective is not None
                                              and objective.dim == 2)
    with plt.rc_context(FONT):
        fig, axes = plt.subplots(1, panels, figsize=(5.0 * panels, 4.4), dpi=100,
                                 squeeze=False)
        try:
            ax = axes[0][0]
            for i, row in enumerate(sweep.rows):
                color = COLORS[i % len(COLORS)]
                ax.plot(sweep.lrs, row.final, marker="o", ms=3.5, lw=1.3, color=color,
                        label=row.label)
                if row.best_lr is not None:
                    ax.plot(row.best_lr, row.best_final, marker="*", ms=13, color=color,
                            mec="k", mew=0.6, ls="none")
                    ax.annotate(f"{row.best_lr:.3g}", (row.best_lr, row.best_final),
                                textcoords="offset points", xytext=(4, -11), color=color)
                bad = ~np.isfinite(row.final)
                if bad.any():
                    ax.plot(np.asarray(sweep.lrs)[bad],
                            np.full(bad.sum(), _top(sweep) * 1.6 ** (i + 1)),
                            marker="x", ms=6, color=color, ls="none")
            ax.set_xscale("log")
            if all(_positive(np.asarray(r.final)) for r in sweep.rows):
                ax.set_yscale("log")
            ax.set_xlabel("learning rate")
            ax.set_ylabel(f"{sweep.quantity} after {sweep.steps} steps")
            ax.set_title(f"lr sweep on {sweep.objective} (star: best, x: diverged)")
            ax.grid(alpha=0.3)
            ax.legend(loc="best")
            if best_curves is not None:
                draw_metric(axes[0][1], best_curves, "loss", legend=True)
                axes[0][1].set_title("loss, each rule at its own best lr")
            if panels == 3:
                from optsym.figures.race import Racer, Run, draw_race

                runs = [Run(Racer(c.label, c.rule, {}), c.config, c.paths[0])
                        for c in best_curves]
                draw_race(axes[0][2], objective, x0, runs)
                axes[0][2].set_title("trajectories at each rule's best lr")
            fig.tight_layout()
        except BaseException:
            plt.close(fig)
            raise
    return save(fig, path)


def _top(sweep) -> float:
    vals = np.concatenate([np.asarray(r.final, dtype=float) for r in sweep.rows])
    vals = vals[np.isfinite(vals)]
    return float(vals.max()) if vals.size else 1.0


__all__ = ["curves_figure", "sweep_figure", "draw_metric"]
