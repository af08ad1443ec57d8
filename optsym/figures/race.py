r"""The optimizer race: trajectories of several optimizers from one start on a 2-D objective.

Every iterate is computed by optsym's generated code for the rule
(:func:`optsym.trajectory.run_generated`), fed with the objective's exact gradient; nothing here
re-implements an update.  Besides the rule names (``sgd``, ``adam``, ...) a racer may be one of
the :data:`ALIASES`: ``gd`` (SGD without momentum), ``momentum`` (SGD with momentum 0.9, torch's
heavy ball) and ``nesterov`` (the same with Nesterov's look-ahead).  One learning rate is shared
by all racers unless it is left out (then each rule's default applies); other options are given
per racer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from optsym.figures._common import check_path, pyplot, save
from optsym.spec import SpecError

#: racer name -> (rule, options)
ALIASES: dict[str, tuple[str, dict[str, Any]]] = {
    "gd": ("sgd", {"momentum": 0.0}),
    "momentum": ("sgd", {"momentum": 0.9}),
    "nesterov": ("sgd", {"momentum": 0.9, "nesterov": True}),
}
#: the racers of the course's race figure (those that exist among the rules)
DEFAULT_RACERS = ("gd", "momentum", "nesterov", "rmsprop", "adagrad", "adam")
MAX_STEPS = 100_000
COLORS = ("#1f5fa8", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
          "#17becf", "#7f7f7f", "#bcbd22")


@dataclass(frozen=True)
class Racer:
    """A racer: its label, the rule it runs and the rule's options (overrides)."""

    label: str
    rule: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    """One racer's trajectory: ``path[t]`` is the iterate after t steps (row 0 is x0)."""

    racer: Racer
    config: dict[str, Any]
    path: np.ndarray

    @property
    def diverged(self) -> bool:
        """Not finite, or a million times farther from the start than the start's scale."""
        if not np.all(np.isfinite(self.path)):
            return True
        scale = max(1.0, float(np.max(np.abs(self.path[0]))))
        return bool(np.max(np.abs(self.path - self.path[0])) > 1e6 * scale)


def racer(name: str, lr: float | None = None,
          options: Mapping[str, Any] | None = None) -> Racer:
    """The racer called ``name`` (an alias, a rule name, or ``METHOD@CONVENTION`` for a
    convention of the table: ``nesterov@sutskever``) with ``lr`` and ``options``."""
    from optsym import rules
    from optsym.dynamics.stepper import CONVENTION_MARK, config_for

    key = name.strip().lower()
    method = key.partition(CONVENTION_MARK)[0]
    rule_name, base = ALIASES.get(key, (key, {}))
    if method not in ALIASES and method not in rules.names():
        from optsym.spec import unknown_name_message

        raise SpecError(unknown_name_message("racer", name, [*ALIASES, *rules.names()]))
    opts = {} if CONVENTION_MARK in key else dict(base)
    if lr is not None:
        opts["lr"] = float(lr)
    opts.update(options or {})
    config_for(rule_name, opts)  # validated as torch validates it
    return Racer(key, rule_name, opts)


def racer_config(r: Racer) -> dict[str, Any]:
    """The racer's validated configuration (a convention's: its own spec's)."""
    from optsym.dynamics.stepper import config_for

    return config_for(r.rule, r.options)


def race_data(objective, x0: Sequence, racers: Sequence[Racer], steps: int) -> list[Run]:
    """Each racer's trajectory from ``x0`` on ``objective`` over ``steps`` steps, as optsym's
    generated code (torch-parity target, float64) computes it."""
    from optsym.dynamics.stepper import CONVENTION_MARK, objective_stream, run_stream
    from optsym.trajectory import run_generated

    if not 1 <= steps <= MAX_STEPS:
        raise SpecError(f"steps must be from 1 to {MAX_STEPS}, got {steps}")
    if not racers:
        raise SpecError("the race needs at least one racer")
    out = []
    for r in racers:
        cfg = racer_config(r)
        with np.errstate(all="ignore"):
            if CONVENTION_MARK in r.rule:  # its own variables, its own gradient point
                path = run_stream(r.rule, r.options, x0, steps, objective_stream(objective))
            else:
                path = np.array(run_generated(r.rule, cfg, objective, x0, steps), dtype=float)
        out.append(Run(r, cfg, path))
    return out


def _limits(runs: Sequence[Run], x0: np.ndarray) -> tuple[tuple[float, float], ...]:
    """A box around the start and the trajectories (points far away, as in a divergence, are
    left out: the box is at most 4 times the start's scale wide each way)."""
    scale = max(1.0, float(np.max(np.abs(x0))))
    pts = np.vstack([r.path for r in runs] + [x0[None, :]])
    near = pts[np.all(np.isfinite(pts), axis=1) & np.all(np.abs(pts - x0) <= 4 * scale,
                                                         axis=1)]
    out = []
    for i in range(2):
        lo, hi = float(near[:, i].min()), float(near[:, i].max())
        pad = max(0.12 * (hi - lo), 0.15 * scale)
        out.append((lo - pad, hi + pad))
    return tuple(out)


def _contours(ax, objective, xlim, ylim) -> None:
    import torch

    xs = np.linspace(*xlim, 160)
    ys = np.linspace(*ylim, 160)
    X, Y = np.meshgrid(xs, ys)
    with torch.no_grad():
        Z = objective.torch()(torch.tensor(np.stack([X, Y]), dtype=torch.float64)).numpy()
    Z = np.broadcast_to(Z, X.shape)
    lo = float(np.nanmin(Z))
    shifted = Z - lo
    top = float(np.nanmax(shifted))
    if top > 0:
        levels = np.unique(lo + np.geomspace(max(top * 1e-4, 1e-12), top, 18))
        ax.contour(X, Y, Z, levels=levels, colors="0.75", linewidths=0.6)


def draw_race(ax, objective, x0: Sequence, runs: Sequence[Run], legend: bool = True) -> None:
    """The objective's contours and each run's trajectory on ``ax``."""
    start = np.array([float(v) for v in x0])
    xlim, ylim = _limits(runs, start)
    _contours(ax, objective, xlim, ylim)
    several_lrs = len({run.config.get("lr") for run in runs}) > 1
    for i, run in enumerate(runs):
        p = run.path
        finite = np.all(np.isfinite(p), axis=1)
        end = int(np.argmin(finite)) if not finite.all() else len(p)
        label = run.racer.label
        if several_lrs and not run.racer.label.startswith("lr="):
            label += f", lr {run.config['lr']:g}"
        label += " (diverged)" if run.diverged else ""
        color = COLORS[i % len(COLORS)]
        ax.plot(p[:end, 0], p[:end, 1], lw=1.3, color=color, label=label, alpha=0.9)
        ax.plot(p[end - 1, 0], p[end - 1, 1], marker="o", ms=4, color=color)
    ax.plot(*start, marker="s", ms=6, color="k", ls="none", label="start")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    names = [str(v) for v in objective.variables]
    ax.set_xlabel(f"${names[0]}$")
    ax.set_ylabel(f"${names[1]}$")
    ax.set_title(objective.name, fontsize=9)
    if legend:
        ax.legend(fontsize=8, loc="best")


def race_figure(path: str | Path, objectives: Sequence, x0: Sequence,
                racers: Sequence[Racer], steps: int,
                size: tuple[float, float] | None = None, legend_below: bool = False) -> Path:
    """One panel per objective (each 2-D), the racers' trajectories from ``x0``; ``size``:
    the figure's (width, height) in inches (default 5.2 x 4.4 per panel); ``legend_below``:
    one legend under the panels instead of one in each (narrow panels at print size)."""
    check_path(path)
    for obj in objectives:
        if obj.dim != 2:
            raise SpecError(f"the race draws 2-D objectives; {obj.name!r} has {obj.dim} "
                            "variables")
    data = [race_data(obj, x0, racers, steps) for obj in objectives]
    plt = pyplot()
    fig, axes = plt.subplots(1, len(objectives), dpi=120, squeeze=False,
                             figsize=size or (5.2 * len(objectives), 4.4))
    try:
        for ax, obj, runs in zip(axes[0], objectives, data):
            draw_race(ax, obj, x0, runs, legend=not legend_below)
        lrs = sorted({run.config.get("lr") for runs in data for run in runs})
        shown = ", ".join(f"{v:g}" for v in lrs if v is not None)
        fig.suptitle(f"{steps} steps of optsym's generated code from "
                     f"({', '.join(f'{float(v):g}' for v in x0)}), lr {shown}", fontsize=9)
        if legend_below:
            handles, labels = axes[0][0].get_legend_handles_labels()
            rows = -(-len(labels) // 4)
            fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
            fig.tight_layout(rect=(0, 0.06 + 0.055 * rows, 1, 1))
        else:
            fig.tight_layout()
    except BaseException:
        plt.close(fig)
        raise
    return save(fig, path)
