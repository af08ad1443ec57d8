r"""Learning-rate schedules over the epochs, from each schedule's generated closed form.

:math:`\eta_k` for :math:`k = 0, \dots, n - 1` (:math:`k = 0` is the first optimizer step's lr)
is computed by the code optsym generates from the schedule's closed form
(:func:`optsym.schedules.codegen.load_lrs`), not by a copy of the formula.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from optsym.figures._common import check_path, pyplot, save
from optsym.spec import SpecError

#: the schedules of the overview figure when none are named
DEFAULT_EPOCHS = 100


def schedule_values(spec, cfg: Mapping[str, Any], n: int) -> list[float]:
    r""":math:`\eta_0, \dots, \eta_{n-1}` from the generated closed form."""
    from optsym.schedules.codegen import load_lrs

    return list(load_lrs(spec, cfg, "closed")(n))


def _config_text(cfg: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}"
                     for k, v in cfg.items())


def draw_schedule(ax, spec, cfg: Mapping[str, Any], n: int, boundaries: Sequence[int] = (),
                  title: bool = True) -> list[float]:
    r"""Draw one schedule's :math:`\eta_k` over ``n`` steps on ``ax``; returns the values."""
    ys = schedule_values(spec, cfg, n)
    ax.plot(range(n), ys, lw=1.8, color="#1f5fa8", label=r"$\eta_k$ (closed form)")
    for b in boundaries:
        if b < n:
            ax.axvline(b, color="0.6", ls=":", lw=1)
    horizon = spec.horizon(cfg)
    if horizon < n:
        ax.axvline(horizon, color="#b33", ls="--", lw=1, label=f"horizon H = {horizon}")
    ax.set_xlabel("step k (k = 0: the first optimizer step's lr)")
    ax.set_ylabel("learning rate")
    if title:
        ax.set_title(f"{spec.title}\n{_config_text(cfg)}", fontsize=8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ys


def schedule_figure(path: str | Path, spec, cfg: Mapping[str, Any], n: int | None = None,
                    boundaries: Sequence[int] = (),
                    size: tuple[float, float] = (7, 3.6)) -> Path:
    """One schedule over ``n`` steps (default: its horizon and a tenth beyond); ``size`` in
    inches."""
    from optsym.verify.schedule import default_steps

    check_path(path)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=size, dpi=120)
    try:
        draw_schedule(ax, spec, cfg, default_steps(spec, cfg) if n is None else n, boundaries)
        fig.tight_layout()
    except BaseException:
        plt.close(fig)
        raise
    return save(fig, path)


def schedules_data(names: Sequence[str] | None = None, epochs: int = DEFAULT_EPOCHS,
                   overrides: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict]:
    r"""For each schedule (default: all), its configuration and :math:`\eta_k` over ``epochs``
    steps (one scheduler step per epoch)."""
    from optsym import schedules

    if epochs < 1 or epochs > 100_000:
        raise SpecError(f"epochs must be from 1 to 100000, got {epochs}")
    out = []
    for name in names or schedules.names():
        spec = schedules.get(name)
        cfg = spec.config((overrides or {}).get(spec.name))
        out.append({"name": spec.name, "title": spec.title, "config": cfg,
                    "lr": schedule_values(spec, cfg, epochs)})
    return out


def schedules_figure(path: str | Path, names: Sequence[str] | None = None,
                     epochs: int = DEFAULT_EPOCHS,
                     overrides: Mapping[str, Mapping[str, Any]] | None = None,
                     width: float | None = None, cols: int = 4) -> Path:
    """Small multiples: each schedule's lr over ``epochs`` epochs at its default parameters,
    ``cols`` panels a row (``width``: the figure's width in inches, default 2.6 a panel)."""
    check_path(path)
    data = schedules_data(names, epochs, overrides)
    plt = pyplot()
    cols = min(cols, len(data))
    rows = -(-len(data) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width or 2.6 * cols, 1.9 * rows + 0.4),
                             dpi=120, squeeze=False)
    for ax, d in zip(axes.flat, data):
        ax.plot(range(epochs), d["lr"], lw=1.5, color="#1f5fa8")
        ax.set_title(d["name"], fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    for ax in list(axes.flat)[len(data):]:
        ax.set_visible(False)
    for ax in list(axes.flat)[len(data) - cols:len(data)]:
        ax.set_xlabel("epoch k", fontsize=8)
    fig.suptitle(f"learning rate $\\eta_k$ over {epochs} epochs (default parameters, generated "
                 "closed forms)", fontsize=9)
    fig.tight_layout()
    return save(fig, path)
