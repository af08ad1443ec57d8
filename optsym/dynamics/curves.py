r"""Training curves: what each step of a rule does on an objective, over R (noisy) runs.

For each run and each step :math:`t` (row 0 is the start):

.. math::

    \begin{align*}
    \text{loss}_t &= f(x_t), &
    \text{grad norm}_t &= \|\nabla f(x_t)\|_2, &
    \text{lr}_t &= \eta_t, \\
    \text{distance}_t &= \min_{x^\star} \|x_t - x^\star\|_2, &
    \text{update}_t &= \|x_t - x_{t-1}\|_2 &&
    \end{align*}

(the gradient norm is the exact gradient's, not the noisy one the rule saw).  With noise
:math:`\sigma > 0` run :math:`r` draws :math:`\xi_t` from the generator seeded ``seed + r``;
the summary of R runs is the median and the 10 % and 90 % quantiles at each step.  Every iterate
comes from :func:`optsym.dynamics.stepper.run_stream` (optsym's generated code).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from optsym.dynamics.optimum import distances, minima
from optsym.dynamics.stepper import objective_stream, run_stream, values
from optsym.spec import SpecError

#: the per-step quantities, in the order they are drawn
METRICS = ("loss", "grad_norm", "lr", "distance", "update")
LABELS = {"loss": "loss f(x_t)", "grad_norm": "gradient norm |grad f(x_t)|",
          "lr": "learning rate", "distance": "distance to the optimum",
          "update": "update size |x_t - x_(t-1)|"}
MAX_STEPS = 20_000
MAX_RUNS = 200
#: the band drawn around the median of several runs
BAND = (10, 90)


@dataclass(frozen=True)
class Curves:
    """One racer's runs: ``metrics[name]`` has shape ``(runs, steps + 1)`` (``lr`` and
    ``update`` are NaN in column 0, where no step has been taken)."""

    label: str
    rule: str
    config: dict[str, Any]
    paths: np.ndarray
    metrics: dict[str, np.ndarray]

    @property
    def runs(self) -> int:
        return self.paths.shape[0]

    def summary(self, name: str) -> dict[str, np.ndarray]:
        """Median and band of one metric over the runs, per step (NaN-aware)."""
        m = self.metrics[name]
        with np.errstate(all="ignore"), _quiet():
            return {"median": np.nanmedian(m, axis=0),
                    "low": np.nanpercentile(m, BAND[0], axis=0),
                    "high": np.nanpercentile(m, BAND[1], axis=0)}

    def final(self, name: str = "loss") -> float:
        """The median over the runs of the metric after the last step."""
        return float(self.summary(name)["median"][-1])

    @property
    def diverged(self) -> bool:
        """Any run not finite, or a million times farther from the start than the start's
        scale (the race's criterion)."""
        if not np.all(np.isfinite(self.paths)):
            return True
        start = self.paths[0, 0]
        scale = max(1.0, float(np.max(np.abs(start))))
        return bool(np.max(np.abs(self.paths - start)) > 1e6 * scale)


class _quiet:
    """Silence NumPy's all-NaN-slice warnings (a diverged run is a result)."""

    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._w.__exit__(*exc)


def one_run(objective, x0: Sequence, rule: str, cfg: dict, steps: int, sigma: float = 0.0,
            seed: int = 0, lrs: Sequence[float] | None = None,
            points: Sequence[np.ndarray] | None = None,
            clip: tuple[str, float] | None = None,
            config: dict | None = None) -> dict[str, np.ndarray]:
    """The iterates and the :data:`METRICS` of one run (arrays of length ``steps + 1``);
    ``points``: the minima for the distance (default: :func:`~optsym.dynamics.optimum.minima`);
    ``clip``: ``("norm" | "value", c)``, the generated clipping before every step
    (:mod:`optsym.dynamics.clipped`); ``config``: the full configuration when ``cfg`` holds
    only a convention's options."""
    from optsym.dynamics.clipped import clipped

    stream = clipped(objective_stream(objective, sigma, seed), clip)
    path = run_stream(rule, cfg, x0, steps, stream, lrs)
    with np.errstate(all="ignore"):
        return _metrics(objective, path, config or cfg, steps, lrs,
                        minima(objective) if points is None else points)


def _metrics(objective, path, cfg, steps, lrs, points) -> dict[str, np.ndarray]:
    loss, gnorm = values(objective, path)
    lr = np.full(steps + 1, np.nan)
    lr[1:] = cfg["lr"] if lrs is None else np.asarray(lrs[:steps], dtype=float)
    update = np.full(steps + 1, np.nan)
    update[1:] = np.linalg.norm(np.diff(path, axis=0), axis=1)
    dist = distances(path, points)
    return {"path": path, "loss": loss, "grad_norm": gnorm, "lr": lr,
            "distance": np.full(steps + 1, np.nan) if dist is None else dist,
            "update": update}


def curves_data(objective, x0: Sequence, racers: Sequence, steps: int, sigma: float = 0.0,
                runs: int = 1, seed: int = 0,
                lrs: Sequence[float] | Callable[[float], Sequence[float]] | None = None,
                optimum: Sequence[float] | None = None,
                clip: tuple[str, float] | None = None, progress=None) -> list[Curves]:
    """Each racer's (:class:`optsym.figures.race.Racer`) curves over ``runs`` runs; ``lrs``
    is the lr of each step, or a function of the rule's lr giving it (a schedule); ``clip``
    clips every racer's gradients (``("norm" | "value", c)``); ``progress`` (an
    :class:`optsym.progress.Progress`) advances once per run."""
    from optsym.dynamics.stepper import CONVENTION_MARK
    from optsym.figures.race import racer_config

    if not 1 <= steps <= MAX_STEPS:
        raise SpecError(f"steps must be from 1 to {MAX_STEPS}, got {steps}")
    if not 1 <= runs <= MAX_RUNS:
        raise SpecError(f"runs must be from 1 to {MAX_RUNS}, got {runs}")
    if runs > 1 and sigma == 0:
        raise SpecError("several runs differ only with noise: give a sigma > 0 or one run")
    if not racers:
        raise SpecError("the curves need at least one rule")
    if len(x0) != objective.dim:
        raise SpecError(f"the start has {len(x0)} coordinates; {objective.name!r} has "
                        f"{objective.dim} variables")
    points = minima(objective, optimum)
    out = []
    for r in racers:
        cfg = racer_config(r)
        own = lrs(cfg["lr"]) if callable(lrs) else lrs
        each = []
        for k in range(runs):
            each.append(one_run(objective, x0, r.rule, r.options if CONVENTION_MARK in r.rule
                                else cfg, steps, sigma, seed + k, own, points, clip, cfg))
            if progress is not None:
                progress.advance()
        metrics = {m: np.stack([e[m] for e in each]) for m in METRICS}
        out.append(Curves(r.label, r.rule, cfg, np.stack([e["path"] for e in each]), metrics))
    return out


def _plain(a: np.ndarray) -> list:
    return [None if not np.isfinite(v) else float(v) for v in a]


def curves_json(curves: Sequence[Curves]) -> list[dict]:
    """Per-step data of each racer: one value per metric and step, or with several runs the
    median and the band (``low``, ``high``); NaN (no step yet, diverged, no known optimum) is
    ``null``."""
    out = []
    for c in curves:
        entry: dict[str, Any] = {"racer": c.label, "rule": c.rule, "config": c.config,
                                 "runs": c.runs, "diverged": c.diverged,
                                 "final": _plain(c.paths[:, -1].mean(axis=0))
                                 if c.runs == 1 else None}
        for m in METRICS:
            s = c.summary(m)
            entry[m] = (_plain(s["median"]) if c.runs == 1 else
                        {k: _plain(v) for k, v in s.items()})
        out.append(entry)
    return out


__all__ = ["Curves", "curves_data", "curves_json", "one_run", "METRICS"]
