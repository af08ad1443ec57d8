r"""The figures of the claims (``optsym claims NAME -o FILE``; every claim has one).

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


def _title(fig, claim: Claim, text: str) -> None:
    """The figure's title: what it shows, and the claim's verdict."""
    fig.suptitle(f"{text}: {'HOLDS' if claim.holds else 'FAILS'}")


def _style(ax, xlabel: str, ylabel: str, title: str, legend: str = "best") -> None:
    """One panel's title, labels, log grid and legend."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc=legend)


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
    left.annotate("floor measured from here on", (data.window, 0),
                  xycoords=("data", "axes fraction"), xytext=(4, 6), textcoords="offset points",
                  color="0.35")
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
    _title(fig, claim, f"noise floor of minibatch SGD (least squares, N = {n}, "
                       f"{data.runs[0].excess.shape[0]} runs)")


def _clipping_cliff(fig, claim: Claim) -> None:
    from optsym.figures.race import Racer, Run, draw_race

    data = claim.data
    trace, loss, angle = fig.subplots(1, 3)
    runs = [Run(Racer(label, "sgd", {}), {"lr": 0}, r["path"]) for label, r in
            data["runs"].items()]
    draw_race(trace, data["objective"], data["x0"], runs)
    trace.set_title("trajectories (GD, lr 0.5): the cliff at x = 2")
    (x0, x1), (y0, y1) = trace.get_xlim(), trace.get_ylim()
    for i, r in enumerate(data["runs"].values()):
        end = r["path"][-1]
        if np.all(np.isfinite(end)) and not (x0 <= end[0] <= x1 and y0 <= end[1] <= y1):
            at = (min(max(end[0], x0), x1), min(max(end[1], y0), y1))
            trace.annotate(f"thrown to ({end[0]:.3g}, {end[1]:.2g})", at,
                           xytext=(at[0] + 0.35 * (x1 - x0), at[1] + 0.25 * (y1 - y0)),
                           color=COLORS[i % len(COLORS)],
                           arrowprops={"arrowstyle": "->", "color": COLORS[i % len(COLORS)]})
    best = min(float(np.nanmin(r["loss"])) for r in data["runs"].values())
    for i, (label, r) in enumerate(data["runs"].items()):
        color = COLORS[i % len(COLORS)]
        steps = np.arange(len(r["loss"]))
        loss.plot(steps, r["loss"] - best + 1e-9, color=color, lw=1.4, label=label)
        if label != "plain GD":
            angle.plot(np.arange(1, len(r["angles"]) + 1), r["angles"], color=color, lw=1.4,
                       marker="o", ms=3, label=label)
    loss.set_yscale("log")
    loss.set_xlabel("step t")
    loss.set_ylabel("f(x_t) - min f (+1e-9)")
    loss.set_title("loss: plain GD is thrown onto the plateau")
    loss.legend(loc="best")
    angle.set_xlabel("step t")
    angle.set_ylabel("angle(raw g, clipped g) in degrees")
    angle.set_title("value clipping turns the gradient, norm clipping does not")
    angle.legend(loc="best")
    for ax in (loss, angle):
        ax.grid(alpha=0.3)
    _title(fig, claim, f"clipping at a cliff: f = {data['objective'].name}")


NAMES = {"gd": "gradient descent", "heavy-ball": "heavy ball", "nesterov": "Nesterov"}


def _nesterov(fig, claim: Claim) -> None:
    data = claim.data
    left, right = fig.subplots(1, 2)
    for i, (name, (errors, rate)) in enumerate(data["curves"].items()):
        color = COLORS[i % len(COLORS)]
        t = np.arange(len(errors))
        shown = errors > 1e-300
        left.semilogy(t[shown], errors[shown], color=color, lw=1.6,
                      label=f"{NAMES[name]} (generated code)")
        # the derived slope, through the run's last shown point
        last = int(np.nonzero(shown)[0].max())
        ref = errors[last] * rate ** (t - last)
        left.semilogy(t, ref, color=color, lw=1.0, ls="--",
                      label=f"derived rate {rate:.4f}^t")
    left.set_ylim(1e-60, 10)
    left.set_xlabel("step t")
    left.set_ylabel("|x_t - x*|")
    left.set_title(f"kappa = {data['kappa']:g}, each at its derived tuning")
    left.legend(loc="lower left")
    for i, name in enumerate(NAMES):
        color = COLORS[i % len(COLORS)]
        folds = [-1 / np.log(r) for r in data["derived_grid"][name]]
        right.loglog(data["grid"], folds, color=color, lw=1.2, label=f"{NAMES[name]}, derived")
        right.loglog([r["kappa"] for r in data["rows"]],
                     [-1 / np.log(r["measured"][name]) for r in data["rows"]], color=color,
                     marker="o", ms=7, mfc="none", mew=1.5, ls="none",
                     label=f"{NAMES[name]}, measured")
    right.set_xlabel("condition number kappa = L/mu")
    right.set_ylabel("steps per e-fold of the error, -1/ln(rate)")
    right.set_title("steps per e-fold: GD ~kappa/2, momentum methods ~sqrt(kappa)")
    right.legend(loc="upper left")
    for ax in (left, right):
        ax.grid(alpha=0.3, which="both")
    _title(fig, claim, "Nesterov vs heavy ball vs GD on f = (mu x^2 + L y^2)/2")


def _newton_saddle(fig, claim: Claim) -> None:
    data = claim.data
    paths, dist = fig.subplots(1, 2)
    runs = ((f"Newton from y0 = {data['y0']:g}", data["newton"], COLORS[0], "o"),
            (f"GD (lr 0.1) from y0 = {data['y0']:g}", data["gd"][:40], COLORS[1], None),
            (f"Newton from y0 = {data['outside']:g} (outside the basin)", data["far"],
             COLORS[2], "s"))
    for label, path, color, marker in runs:
        paths.plot(np.arange(len(path)), path[:, 1], color=color, lw=1.4, marker=marker, ms=4,
                   label=label)
    for y, text in ((0.0, "saddle y = 0"), (1.0, "minima y = +-1"), (-1.0, "")):
        paths.axhline(y, color="0.5", ls=":", lw=1.0)
        if text:
            paths.annotate(text, (0, y), xytext=(4, 4), textcoords="offset points",
                           color="0.35")
    paths.set_xlabel("step k")
    paths.set_ylabel("y_k")
    paths.set_title("y along the path: Newton goes to the saddle, GD leaves it")
    paths.legend(loc="center right")
    newton = np.abs(data["newton"][:, 1])
    derived = np.abs(data["derived"])
    keep = newton > 0
    dist.semilogy(np.arange(len(newton))[keep], newton[keep], color=COLORS[0], marker="o",
                  ls="none", ms=6, mfc="none", mew=1.4, label="|y_k|, generated step map")
    dist.semilogy(np.arange(len(derived))[derived > 0], derived[derived > 0], color=COLORS[0],
                  lw=1.0, label="derived y <- 2y^3/(3y^2 - 1)")
    dist.set_ylim(1e-20, 1.0)
    dist.set_xlabel("step k")
    dist.set_ylabel("|y_k| (distance to the saddle along y)")
    dist.set_title("cubic convergence: the step map rounds y to 0 after 1e-9")
    dist.legend(loc="upper right")
    for ax in (paths, dist):
        ax.grid(alpha=0.3, which="both")
    _title(fig, claim, "Newton's method on x^2/2 + y^4/4 - y^2/2")


def _resume_state(fig, claim: Claim) -> None:
    from optsym.dynamics.claims_resume import CURVES

    data = claim.data
    axes = fig.subplots(1, len(data["rows"]))
    for ax, row in zip(np.atleast_1d(axes), data["rows"]):
        curves = row[CURVES]
        steps = data["resume_at"] + np.arange(len(curves["kept"]))
        ax.semilogy(steps, curves["kept"], color=COLORS[0], lw=1.4, label="state kept")
        ax.semilogy(steps, curves["reset"], color=COLORS[1], lw=1.4, label="state reset")
        noise = f", sigma {row['sigma']:g}, mean of {row['runs']}" if row["sigma"] else ""
        _style(ax, "step t (resumed at the left edge)", "f(x_t)",
               f"{row['setting']} (lr {row['lr']:g}{noise})")
    _title(fig, claim, "resuming Adam without its state on x^2 + 10y^2: helps in transit, "
                       "hurts near the optimum and at the noise floor")


def _momentum_regime(fig, claim: Claim) -> None:
    data = claim.data
    axes = fig.subplots(1, len(data["rows"]))
    for ax, row, curve in zip(np.atleast_1d(axes), data["rows"], data["curves"]):
        for i, (key, rate, label) in enumerate((("gd", row["rate_gd"], "GD"),
                                                 ("momentum", row["rate_hb"],
                                                  f"heavy ball (beta {data['beta']:g})"))):
            color = COLORS[i % len(COLORS)]
            d = curve[key]
            t = np.arange(len(d))
            ax.semilogy(t, d, color=color, lw=1.5, label=f"{label}, generated code")
            # the derived slope, through the run's last point
            ax.semilogy(t, d[-1] * rate ** (t - t[-1]), color=color, lw=1.0, ls="--",
                        label=f"derived rate {rate:.4f}^t")
        _style(ax, "step t", "|x_t - x*|", f"f = {row['objective']}, lr {row['lr']:g}",
               "lower left")
    _title(fig, claim, f"momentum helps only where GD's rate is above sqrt(beta) = "
                       f"{np.sqrt(data['beta']):.4f}")


def _weight_decay_retention(fig, claim: Claim) -> None:
    data = claim.data
    ax = fig.subplots()
    rows = sorted(data["rows"], key=lambda r: r["scale"])
    scales = [r["scale"] for r in rows]
    ax.plot(scales, [r["adam_l2"] for r in rows], color=COLORS[0], marker="o", ms=7,
            lw=1.2, label="Adam + L2 (weight_decay in the gradient)")
    ax.plot(scales, [r["adamw"] for r in rows], color=COLORS[1], marker="s", ms=7, mfc="none",
            mew=1.5, ls="none", label="AdamW (decoupled), measured")
    ax.axhline(data["decay_only"], color=COLORS[1], lw=1.0, ls="--",
               label=f"(1 - lr*wd)^T = (1 - {data['lr']:g}*{data['weight_decay']:g})"
                     f"^{data['steps']} = {data['decay_only']:.4f}")
    ax.set_xscale("log")
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("gradient scale s (stream +-s)")
    ax.set_ylabel("retained fraction x_T / x_0")
    ax.set_title(f"lr {data['lr']:g}, weight decay {data['weight_decay']:g}, "
                 f"{data['steps']} steps, mean of the two sign orders")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="lower right")
    _title(fig, claim, "Adam + L2 decays small-gradient weights, AdamW every weight alike")


def _adagrad_rare(fig, claim: Claim) -> None:
    data = claim.data
    left, right = fig.subplots(1, 2)
    names = {"sgd": "SGD", "adagrad": "AdaGrad"}
    for i, (key, path) in enumerate(data["paths"].items()):
        color = COLORS[i % len(COLORS)]
        t = np.arange(len(path))
        left.plot(t, path[:, 0], color=color, lw=1.5, label=f"{names[key]}, frequent feature")
        left.plot(t, path[:, 1], color=color, lw=1.5, ls="--",
                  label=f"{names[key]}, rare feature")
        with np.errstate(all="ignore"):
            ratio = np.where(path[:, 0] > 0, path[:, 1] / path[:, 0], np.nan)
        right.plot(t, ratio, color=color, lw=1.5, label=f"{names[key]}, measured")
    right.axhline(data["derived"], color=COLORS[1], lw=1.0, ls=":",
                  label=f"derived H_n^(1/2) / H_T^(1/2) = {data['derived']:.3f}")
    right.axhline(data["frequency"], color=COLORS[0], lw=1.0, ls=":",
                  label=f"frequency 1/{data['every']} = {data['frequency']:g}")
    left.set_xlabel("step t")
    left.set_ylabel("distance moved from 0")
    left.set_title(f"lr {data['lr']:g}; the rare feature has a gradient every "
                   f"{data['every']}th step")
    left.legend(loc="upper left")
    right.set_ylim(0, 1.05)
    right.set_xlabel("step t")
    right.set_ylabel("rare move / frequent move")
    right.set_title("the ratio of the moves")
    right.legend(loc="upper right")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    _title(fig, claim, "AdaGrad moves a rare feature farther than its frequency")


def _adam_early(fig, claim: Claim) -> None:
    data = claim.data
    ax = fig.subplots()
    t = np.arange(1, len(data["plain"]) + 1)
    ax.plot(t, data["plain"], color=COLORS[0], lw=1.3, label="constant lr")
    ax.plot(t, data["warm"], color=COLORS[1], lw=1.3,
            label=f"linear warmup over {data['warmup']} steps")
    ax.axhline(data["predicted"], color="0.2", lw=1.0, ls="--",
               label=f"predicted steady sqrt((1-b1)/(1+b1)) = {data['predicted']:.3f}")
    ax.axvline(data["warmup"], color="0.5", ls=":", lw=1.0)
    ax.annotate("end of warmup", (data["warmup"], 1), xycoords=("data", "axes fraction"),
                xytext=(4, -14), textcoords="offset points", color="0.35")
    ax.set_xscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel("RMS of (x_t - x_(t-1)) / lr")
    ax.set_title(f"Adam (beta1 {data['beta1']:g}), N(0, 1) gradients on {data['runs']} "
                 "coordinates")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="center right")
    _title(fig, claim, "Adam's largest updates come first; warmup keeps them near the steady "
                       "size")


def _saddle_escape(fig, claim: Claim) -> None:
    data = claim.data
    m = data["measured"]
    ax = fig.subplots()
    t = np.arange(len(data["gd"]))
    ax.semilogy(t, np.abs(data["gd"][:, 1]), color=COLORS[0], lw=1.6,
                label=f"GD from y0 = {data['y0']:g}")
    noisy = np.abs(data["noisy"][:, :, 1])
    with np.errstate(all="ignore"):
        low, mid, high = np.percentile(noisy, (10, 50, 90), axis=0)
    ax.semilogy(t, mid, color=COLORS[1], lw=1.6,
                label=f"GD + noise sigma {data['sigma']:g}: median of {len(noisy)} runs")
    ax.fill_between(t, np.maximum(low, 1e-300), high, color=COLORS[1], alpha=0.2, lw=0,
                    label="10-90 % of the noisy runs")
    ax.semilogy(t, np.linalg.norm(data["manifold"], axis=1), color=COLORS[2], lw=1.4, ls="-.",
                label="from y0 = 0 (stable manifold): |x_t - saddle|; y_t = 0 exactly")
    ax.axhline(data["level"], color="0.3", ls=":", lw=1.0)
    ax.annotate(f"escape: |y| = {data['level']:g}", (1, data["level"]),
                xycoords=("axes fraction", "data"), xytext=(-4, -4), textcoords="offset points",
                ha="right", va="top", color="0.3")
    for step, color, text in ((m["gd_escape_step"], COLORS[0], "GD"),
                              (m["noisy_escape_median"], COLORS[1], "noisy median")):
        if step is not None:
            ax.plot([step], [data["level"]], color=color, marker="o", ms=7, mfc="none", mew=1.5)
            ax.annotate(f"{text} leaves at {step:.0f}", (step, data["level"]), xytext=(6, -14),
                        textcoords="offset points", color=color)
    for step, color, text in ((m["derived_escape_step"], COLORS[0], "derived"),
                              (m["noisy_derived"], COLORS[1], "derived, noisy")):
        ax.axvline(step, color=color, ls="--", lw=1.0)
        ax.annotate(f"{text}: {step:.0f}", (step, 0.02), xycoords=("data", "axes fraction"),
                    xytext=(4, 0), textcoords="offset points", color=color)
    ax.set_ylim(1e-12, 3)
    ax.set_xlabel("step t")
    ax.set_ylabel("|y_t| (distance from the saddle along y)")
    ax.set_title(f"f = x^2/2 + y^4/4 - y^2/2, lr {data['lr']:g}; dashed: "
                 "ln(0.5/y0)/ln(1+lr) with y0 or lr*sigma")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="center right")
    _title(fig, claim, "GD lingers at a saddle, noise makes it leave, the stable manifold "
                       "never leaves")


RULE_NAMES = {"gd": "GD", "momentum": "momentum", "rmsprop": "RMSprop", "adam": "Adam"}


def _rosenbrock_slowest(fig, claim: Claim) -> None:
    from optsym.figures.race import Racer, Run, draw_race

    data = claim.data
    trace, loss = fig.subplots(1, 2)
    runs = [Run(Racer(RULE_NAMES.get(rule, rule), rule, {}), {"lr": data["lr"]}, c["path"])
            for rule, c in data["curves"].items()]
    draw_race(trace, data["objective"], data["x0"], runs)
    trace.set_title(f"paths at lr {data['lr']:g}")
    for i, (rule, c) in enumerate(data["curves"].items()):
        color = COLORS[i % len(COLORS)]
        loss.semilogy(np.arange(len(c["loss"])), c["loss"], color=color, lw=1.5,
                      label=f"{RULE_NAMES.get(rule, rule)}: f(x_T) = {data['finals'][rule]:.3g}")
    loss.set_xlabel("step t")
    loss.set_ylabel("f(x_t) (Rosenbrock, min 0)")
    loss.set_title(f"loss at one shared lr {data['lr']:g}")
    loss.grid(alpha=0.3, which="both")
    loss.legend(loc="best")
    _title(fig, claim, "at a shared small lr Adam is the slowest on Rosenbrock (its step is "
                       "about lr)")


#: claim name -> (figure size, drawing function)
FIGURES: dict[str, tuple[tuple[float, float], Callable]] = {
    "momentum-regime": ((12.0, 4.8), _momentum_regime),
    "weight-decay-retention": ((8.0, 4.8), _weight_decay_retention),
    "adagrad-rare-features": ((12.0, 4.8), _adagrad_rare),
    "adam-early-updates": ((8.0, 4.8), _adam_early),
    "saddle-escape": ((10.0, 5.4), _saddle_escape),
    "rosenbrock-adam-slowest": ((12.0, 4.8), _rosenbrock_slowest),
    "noise-floor": ((12.0, 4.8), _noise_floor),
    "clipping-cliff": ((15.0, 4.8), _clipping_cliff),
    "nesterov-heavy-ball": ((12.0, 4.8), _nesterov),
    "newton-saddle": ((12.0, 4.8), _newton_saddle),
    "resume-state": ((15.0, 4.8), _resume_state),
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
