"""``optsym plot KIND ... -o FILE``: the course's figures, one at a time (png, pdf or svg).

* ``race``: optimizer trajectories from one start (``--f rosenbrock --start -1.5,2 --rules
  sgd,momentum,adam --lr 1e-3 --steps 500``), every iterate from optsym's generated code;
  racers are rule names or ``gd``, ``momentum`` (SGD, momentum 0.9), ``nesterov``; per-racer
  options with ``--rule-opt adam:beta1=0.8``;
* ``schedules``: learning rates over the epochs (``--names cosine,step --epochs 100``);
* ``stability``: heavy ball's stable (eta, beta) region with the optimum (``--mu --L``);
* ``convergence``: gradient descent and heavy ball on a quadratic against the derived rates.
"""

from __future__ import annotations

import json

import click

from optsym.cli.errors import UsageFailure
from optsym.cli.options import _number, writes_files


def _output(fn):
    return click.option("-o", "--output", "output", required=True, metavar="FILE",
                        help="The figure file: .png, .pdf or .svg (a new file, or --force)."
                        )(writes_files(fn))


def _json_option(fn):
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")(fn)


def _claimed(out, output: str | None):
    """The staging path to draw ``output`` into (checked now, moved into place at the end)."""
    if output is None:
        return None
    from optsym.figures import check_path

    check_path(output)
    return out.file(output, "-o")


def _done(output, as_json: bool, data: dict) -> None:
    if as_json:
        click.echo(json.dumps({"file": str(output), **data}, indent=2))
    else:
        click.echo(f"wrote {output}")


@click.group()
def plot() -> None:
    """Figures: race, schedules, stability, convergence (-o FILE.png|.pdf|.svg)."""


def _names(text: str, what: str) -> list[str]:
    """Comma-separated names; names ignore case, so one named twice is a usage error."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UsageFailure(f"{what} expects names separated by commas")
    if len({n.lower() for n in names}) != len(names):
        raise UsageFailure(f"{what} names one twice: {text}")
    return names


def _rule_opts(pairs: tuple[str, ...], racers: list[str]) -> dict[str, dict]:
    """``--rule-opt adam:beta1=0.8`` pairs, read against each racer's rule."""
    from optsym.cli.options import load_rule, parse_rule_options
    from optsym.figures.race import ALIASES

    out: dict[str, dict] = {}
    for pair in pairs:
        name, colon, rest = pair.partition(":")
        key, eq, value = rest.partition("=")
        if not colon or not eq or not name or not key:
            raise UsageFailure(f"--rule-opt expects RACER:OPTION=VALUE, e.g. adam:beta1=0.8, "
                               f"got {pair!r}")
        name = name.strip().lower()
        if name not in racers:
            raise UsageFailure(f"--rule-opt {pair}: {name!r} is not one of the racers "
                               f"({', '.join(racers)})")
        rule = load_rule(ALIASES.get(name, (name, {}))[0])
        out.setdefault(name, {}).update(parse_rule_options(rule, (f"--{key.strip()}",
                                                                  value.strip())))
    return out


@plot.command()
@click.option("--f", "objectives", multiple=True, metavar="OBJECTIVE",
              help="A built-in (rosenbrock, narrow-valley, ...) or a formula in x, y; "
                   "repeat for more panels.  [default: rosenbrock]")
@click.option("--start", default="-1.5,2", show_default=True, metavar="X,Y",
              help="The common start.")
@click.option("--rules", "rule_names", default="gd,momentum,nesterov,adam", show_default=True,
              metavar="R1,R2,...",
              help="Racers: rule names, gd, momentum, nesterov, or METHOD@CONVENTION "
                   "(nesterov@sutskever, adam@tensorflow: optsym compare --table).")
@click.option("--lr", default=None, metavar="LR",
              help="One learning rate for every racer (default: each rule's own).")
@click.option("--steps", default=500, show_default=True, type=click.IntRange(1, 20_000))
@click.option("--rule-opt", "rule_opts", multiple=True, metavar="RACER:OPTION=VALUE",
              help="An option of one racer, e.g. adam:beta1=0.8 (repeatable).")
@_output
@_json_option
def race(objectives: tuple[str, ...], start: str, rule_names: str, lr: str | None, steps: int,
         rule_opts: tuple[str, ...], output: str, as_json: bool, out) -> None:
    """Optimizer trajectories from one start on 2-D objectives (generated code)."""
    path = _claimed(out, output)
    from optsym.figures.race import race_data, race_figure, racer
    from optsym.objective import parse_objective, parse_point

    objs = [parse_objective(o) for o in (objectives or ("rosenbrock",))]
    for o in objs:
        if o.dim != 2:
            raise UsageFailure(f"the race draws 2-D objectives; {o.name!r} has {o.dim} "
                               "variable" + ("s" if o.dim != 1 else ""))
    x0 = parse_point(start, 2)
    names = _names(rule_names, "--rules")
    rate = None if lr is None else _number("--lr", lr)
    opts = _rule_opts(rule_opts, [n.lower() for n in names])
    racers = [racer(n, rate, opts.get(n.lower())) for n in names]
    race_figure(path, objs, x0, racers, steps)
    data = {}
    if as_json:
        data = {"start": [float(v) for v in x0], "steps": steps, "panels": [
            {"objective": o.name, "racers": [
                {"racer": r.racer.label, "rule": r.racer.rule, "config": r.config,
                 "final": r.path[-1].tolist(), "diverged": r.diverged}
                for r in race_data(o, x0, racers, steps)]} for o in objs]}
    _done(output, as_json, data)


@plot.command()
@click.option("--names", default=None, metavar="S1,S2,...",
              help="Schedules to draw (default: all).")
@click.option("--epochs", default=100, show_default=True, type=click.IntRange(1, 100_000))
@_output
@_json_option
def schedules(names: str | None, epochs: int, output: str, as_json: bool, out) -> None:
    """Learning-rate schedules over the epochs (generated closed forms, defaults)."""
    path = _claimed(out, output)
    from optsym.cli.options import load_schedule
    from optsym.figures.schedules import schedules_data, schedules_figure

    chosen = None if names is None else [load_schedule(n).name for n in _names(names,
                                                                                "--names")]
    schedules_figure(path, chosen, epochs)
    data = {"epochs": epochs, "schedules": [
        {"name": d["name"], "first": d["lr"][0], "last": d["lr"][-1]}
        for d in schedules_data(chosen, epochs)]} if as_json else {}
    _done(output, as_json, data)


def _mu_L(mu: str, L: str) -> tuple[float, float]:
    m, big = _number("--mu", mu), _number("--L", L)
    if not 0 < m < big:
        raise UsageFailure(f"need 0 < --mu < --L, got --mu {mu} and --L {L}")
    return m, big


@plot.command()
@click.option("--mu", default="0.01", show_default=True, help="Smallest Hessian eigenvalue.")
@click.option("--L", "L", default="1", show_default=True, help="Largest Hessian eigenvalue.")
@_output
@_json_option
def stability(mu: str, L: str, output: str, as_json: bool, out) -> None:
    """Heavy ball's stable (eta, beta) region and its optimum (heavy-ball derivation)."""
    path = _claimed(out, output)
    m, big = _mu_L(mu, L)
    from optsym.figures.stability import stability_data, stability_figure

    stability_figure(path, m, big)
    data = {}
    if as_json:
        d = stability_data(m, big, 3)
        data = {"mu": m, "L": big, "eta_opt": d.eta_opt, "beta_opt": d.beta_opt,
                "rate_opt": d.rate_opt}
    _done(output, as_json, data)


@plot.command()
@click.option("--mu", default="1", show_default=True, help="Smallest Hessian eigenvalue.")
@click.option("--L", "L", default="10", show_default=True, help="Largest Hessian eigenvalue.")
@click.option("--steps", default=150, show_default=True, type=click.IntRange(1, 20_000))
@_output
@_json_option
def convergence(mu: str, L: str, steps: int, output: str, as_json: bool,
                out) -> None:
    """Gradient descent and heavy ball on a quadratic against the derived rates."""
    path = _claimed(out, output)
    m, big = _mu_L(mu, L)
    from optsym.figures.convergence import convergence_data, convergence_figure

    convergence_figure(path, m, big, steps)
    data = {}
    if as_json:
        data = {"mu": m, "L": big, "steps": steps, "curves": [
            {"method": c.label, "lr": c.config["lr"], "momentum": c.config["momentum"],
             "derived_rate": c.rate, "final_error": float(c.errors[-1])}
            for c in convergence_data(m, big, steps)]}
    _done(output, as_json, data)


# ---- training dynamics (optsym.dynamics): curves and the lr sweep ------------------------------
def _dynamics_options(fn):
    """The options ``plot curves`` and ``plot sweep`` share."""
    for option in reversed((
        click.option("--f", "objective", default="narrow-valley", show_default=True,
                     metavar="OBJECTIVE", help="A built-in or a formula (any dimension)."),
        click.option("--x0", "--start", "start", default="-1.5,2", show_default=True,
                     metavar="X,Y,...", help="The start."),
        click.option("--rules", "rule_names", default="gd,momentum,adam", show_default=True,
                     metavar="R1,R2,...", help="Rule names, gd, momentum, nesterov, or "
                     "METHOD@CONVENTION (nesterov@sutskever)."),
        click.option("--steps", default=200, show_default=True,
                     type=click.IntRange(1, 20_000)),
        click.option("--noise", default="0", show_default=True, metavar="SIGMA",
                     help="Gaussian noise of this sigma added to every gradient."),
        click.option("--runs", default=None, type=click.IntRange(1, 200),
                     help="Runs with noise (median and 10-90 % band).  [default: 1, or 10 "
                          "with --noise]"),
        click.option("--seed", default=0, show_default=True, type=click.IntRange(0, 2**31)),
        click.option("--rule-opt", "rule_opts", multiple=True, metavar="RACER:OPTION=VALUE",
                     help="An option of one racer, e.g. momentum:momentum=0.5 (repeatable)."),
        click.option("-o", "--output", "output", default=None, metavar="FILE",
                     help="Also draw the figure: .png, .pdf or .svg (a new file, or --force)."),
    )):
        fn = option(fn)
    return _json_option(writes_files(fn))


def _dynamics_setup(objective: str, start: str, rule_names: str, lr: str | None,
                    rule_opts: tuple[str, ...], noise: str, runs: int | None):
    from optsym.figures.race import racer
    from optsym.objective import parse_objective, parse_point

    obj = parse_objective(objective)
    x0 = parse_point(start, obj.dim)
    names = _names(rule_names, "--rules")
    rate = None if lr is None else _number("--lr", lr)
    sigma = _number("--noise", noise)
    if sigma < 0:
        raise UsageFailure(f"--noise expects a sigma >= 0, got {noise}")
    if runs is not None and runs > 1 and sigma == 0:
        raise UsageFailure("--runs > 1 needs --noise SIGMA > 0 (without noise every run is "
                           "the same)")
    opts = _rule_opts(rule_opts, [n.lower() for n in names])
    racers = [racer(n, rate, opts.get(n.lower())) for n in names]
    return obj, x0, racers, sigma, runs or (10 if sigma > 0 else 1)


def _clip(clip_norm: str | None, clip_value: str | None):
    """``("norm" | "value", c)`` from ``--clip-norm`` / ``--clip-value``, or None."""
    from optsym.verify.composition import clip_for

    norm = None if clip_norm is None else _number("--clip-norm", clip_norm)
    value = None if clip_value is None else _number("--clip-value", clip_value)
    return clip_for(norm, value)


@plot.command()
@_dynamics_options
@click.option("--lr", default=None, metavar="LR",
              help="One learning rate for every rule (default: each rule's own).")
@click.option("--optimum", default=None, metavar="X,Y,...",
              help="The minimum for the distance curve (default: known for the built-ins "
                   "and positive-definite quadratics).")
@click.option("--schedule", default=None, metavar="NAME",
              help="A learning-rate schedule, its peak at each rule's lr (optsym schedule "
                   "--list).")
@click.option("--schedule-opt", "schedule_opts", multiple=True, metavar="KEY=VALUE",
              help="A schedule parameter, e.g. T=200 (repeatable).")
@click.option("--clip-norm", default=None, metavar="C",
              help="Clip every gradient to global norm C first (generated clip_grad_norm_).")
@click.option("--clip-value", default=None, metavar="C",
              help="Clamp every gradient coordinate to [-C, C] first (generated "
                   "clip_grad_value_).")
def curves(objective, start, rule_names, steps, noise, runs, seed, rule_opts, output,
           as_json, lr, optimum, schedule, schedule_opts, clip_norm, clip_value, out) -> None:
    """Loss, gradient norm, lr, distance to the optimum and update size against the step."""
    path = _claimed(out, output)
    from optsym.dynamics.curves import curves_data, curves_json
    from optsym.objective import parse_point

    obj, x0, racers, sigma, runs = _dynamics_setup(objective, start, rule_names, lr,
                                                   rule_opts, noise, runs)
    best = None if optimum is None else parse_point(optimum, obj.dim)
    lrs = None
    if schedule_opts and schedule is None:
        raise UsageFailure("--schedule-opt needs --schedule")
    if schedule is not None:
        from optsym.cli.options import load_schedule, parse_schedule_pairs
        from optsym.dynamics.scheduled import schedule_lrs

        spec = load_schedule(schedule)
        lrs = schedule_lrs(spec, parse_schedule_pairs(spec, schedule_opts), steps)
    clip = _clip(clip_norm, clip_value)
    from optsym.progress import Progress

    with Progress("plot curves", len(racers) * runs) as bar:
        data = curves_data(obj, [float(v) for v in x0], racers, steps, sigma, runs, seed,
                           lrs=lrs, optimum=best, clip=clip, progress=bar)
    if path is not None:
        from optsym.dynamics.figures import curves_figure

        curves_figure(path, obj, x0, data, sigma, clip)
    if as_json:
        click.echo(json.dumps({"file": output,
                               "objective": obj.name, "start": [float(v) for v in x0],
                               "steps": steps, "noise": sigma, "runs": runs, "seed": seed,
                               "clip": None if clip is None else
                               {"kind": clip[0], "threshold": clip[1]},
                               "racers": curves_json(data)}, indent=1))
        return
    from optsym.dynamics.report import curves_table

    click.echo(curves_table(data, clip))
    if path is not None:
        click.echo(f"wrote {output}")


@plot.command()
@_dynamics_options
@click.option("--lrs", default="1e-4:1e-1:13", show_default=True, metavar="LO:HI:N|A,B,...",
              help="The lr grid: N values evenly spaced in log lr, or a list.")
@click.option("--best", is_flag=True,
              help="Also race the rules, each at its own best lr of the sweep.")
def sweep(objective, start, rule_names, steps, noise, runs, seed, rule_opts, output, as_json,
          lrs, best, out) -> None:
    """Final loss against the learning rate per rule; each rule's best lr marked."""
    path = _claimed(out, output)
    from optsym.dynamics.sweep import best_racers, lr_grid, sweep_data, sweep_json

    obj, x0, racers, sigma, runs = _dynamics_setup(objective, start, rule_names, None,
                                                   rule_opts, noise, runs)
    x0 = [float(v) for v in x0]
    grid = lr_grid(lrs)
    from optsym.progress import Progress

    with Progress("plot sweep", len(racers) * len(grid)) as bar:
        result = sweep_data(obj, x0, racers, grid, steps, sigma, runs, seed, progress=bar)
    raced = None
    if best:
        from optsym.dynamics.curves import curves_data

        fastest = best_racers(result, racers)
        with Progress("plot sweep --best", len(fastest) * runs) as bar:
            raced = curves_data(obj, x0, fastest, steps, sigma, runs, seed, progress=bar)
    if path is not None:
        from optsym.dynamics.figures import sweep_figure

        sweep_figure(path, result, raced, obj, x0)
    if as_json:
        report = {"file": output, **sweep_json(result)}
        if raced is not None:
            from optsym.dynamics.curves import curves_json

            report["best_race"] = curves_json(raced)
        click.echo(json.dumps(report, indent=1))
        return
    from optsym.dynamics.report import sweep_table

    click.echo(sweep_table(result, raced))
    if path is not None:
        click.echo(f"wrote {output}")
