"""``optsym schedule NAME``: a learning-rate schedule's closed form, properties and values.

Prints the closed form (pretty text, or ``--format latex``), how torch computes it and the proof
that the two agree, the derived properties (budget, mean, boundaries, monotonicity,
Robbins-Monro) with their numeric cross-checks, and a table of values; ``--json`` for one JSON
object, ``--plot FILE.png`` for a figure.
"""

from __future__ import annotations

import json

import click

from optsym.cli.errors import UsageFailure
from optsym.cli.options import RULE_CONTEXT, load_schedule, parse_params, writes_files


def _steps(text: str | None, horizon: int, boundaries: list[int]) -> list[int]:
    if text is None:
        picks = {0, 1, horizon // 4, horizon // 2, 3 * horizon // 4, horizon - 1, horizon}
        picks.update(b for b in boundaries if b <= horizon)
        picks.update(b - 1 for b in boundaries if 1 <= b <= horizon)
        return sorted(picks)
    try:
        out = sorted({int(x) for x in text.split(",")})
    except ValueError:
        raise UsageFailure(f"--at expects step indices separated by commas, got {text!r}") \
            from None
    if out and out[0] < 0:
        raise UsageFailure(f"--at: step indices are >= 0, got {out[0]}")
    if out and out[-1] > 10_000_000:
        raise UsageFailure(f"--at: step {out[-1]} is too far (at most 10000000)")
    return out


def _values(spec, cfg, ks: list[int]) -> list[float]:
    """The generated closed form's values at the steps ``ks``."""
    from optsym.schedules.codegen import load_namespace

    lr_at = load_namespace(spec, cfg, "closed")["lr_at"]
    try:
        return [lr_at(k) for k in ks]
    except OverflowError:
        raise UsageFailure(f"{spec.name}: the learning rate overflows a double at one of the "
                           f"steps {ks[0]}..{ks[-1]}: ask for smaller steps (--at) or other "
                           "parameters") from None


def _plot(spec, cfg, path, boundaries: list[int]) -> None:
    from optsym.figures.schedules import schedule_figure

    schedule_figure(path, spec, cfg, boundaries=boundaries)


def _rm_line(rm) -> str:
    if not rm.applies:
        return f"Robbins-Monro: {rm.argument}"
    verdict = ("satisfied" if rm.satisfied else "undetermined" if rm.satisfied is None else
               "not satisfied: " + ("sum of lr converges (the lr dies out too fast)"
                                    if rm.sum_lr == "converges" else
                                    "sum of lr^2 diverges (the noise is not averaged out)"))
    return (f"Robbins-Monro (infinite horizon): sum lr {rm.sum_lr}, sum lr^2 {rm.sum_lr2}: "
            f"{verdict}\n    because: {rm.argument}\n    numeric cross-check (decades "
            f"{rm.numeric.get('decades')}): sum lr {rm.numeric.get('sum_lr')}, sum lr^2 "
            f"{rm.numeric.get('sum_lr2')} [{'agrees' if rm.holds else 'DISAGREES'}]")


def _list() -> None:
    from optsym import schedules

    for spec in schedules.all_schedules():
        cfg = spec.config()
        click.echo(f"{spec.name:<16} {spec.title}")
        for p in spec.params:
            shown = ",".join(map(str, p.default)) if isinstance(p.default, tuple) else p.default
            extra = f" ({'|'.join(p.choices)})" if p.choices else ""
            click.echo(f"    {p.flag:<20} default {shown!s:<10} {p.doc}{extra}")
        click.echo(f"    torch: {spec.reference(cfg)}")


@click.command(context_settings=RULE_CONTEXT)
@click.argument("name", required=False, metavar="NAME")
@click.argument("options", nargs=-1, type=click.UNPROCESSED, metavar="[--OPTION VALUE]...")
@click.option("--at", "at", default=None, help="Steps k to tabulate, e.g. 0,10,100.")
@click.option("--format", "fmt", type=click.Choice(["text", "latex"]), default="text",
              show_default=True)
@click.option("--plot", "plot", default=None, metavar="FILE.png", help="Write a figure.")
@click.option("--list", "list_all", is_flag=True, help="List the schedules and their options.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@writes_files
@click.pass_context
def schedule(ctx: click.Context, name: str | None, options: tuple[str, ...], at: str | None,
             fmt: str, plot: str | None, list_all: bool, as_json: bool, out) -> None:
    """A learning-rate schedule: closed form, properties and values (options: its parameters).

    k counts scheduler steps: k = 0 is the first optimizer step's lr.  `optsym schedule --list`
    shows every schedule's parameters.  Exit status 1 when a proof or a numeric cross-check
    disagrees with a derived property.
    """
    if list_all or name is None:
        if name is None and not list_all:
            raise UsageFailure("missing schedule NAME (see optsym schedule --list)")
        _list()
        return
    spec = load_schedule(name)
    cfg = spec.config(parse_params(spec, options))
    if plot is not None and not plot.strip():
        raise UsageFailure("--plot needs a file name")
    if plot is not None and not plot.lower().endswith((".png", ".pdf", ".svg")):
        raise UsageFailure(f"--plot {plot}: the file name must end in .png, .pdf or .svg")
    figure = None if plot is None else out.file(plot, "--plot")  # refused now, written last

    import sympy as sp

    from optsym.schedules.proof import every_step, induction
    from optsym.schedules.properties import EXACT_STEPS, properties
    from optsym.verify.schedule import default_steps

    props = properties(spec, cfg)
    proofs = induction(spec, cfg)
    exact = every_step(spec, cfg, min(default_steps(spec, cfg), EXACT_STEPS))
    ks = _steps(at, spec.horizon(cfg), [b.k for b in props.boundaries])
    values = _values(spec, cfg, ks)
    if figure is not None:
        _plot(spec, cfg, figure, [b.k for b in props.boundaries])
    closed = spec.closed_form(cfg)
    consistent = props.holds and exact.holds and all(p.holds for p in proofs)
    if as_json:
        out = {"schedule": spec.name, "title": spec.title,
               "config": {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()},
               "convention": "k = number of scheduler.step() calls; k = 0 is the lr of the "
                             "first optimizer step",
               "torch": "torch.optim.lr_scheduler." + spec.reference(cfg),
               "torch_computes": "closed form" if spec.torch(cfg).closed else "recursion",
               **props.as_dict(),
               "proofs": {"induction": [p.as_dict() for p in proofs],
                          "every_step": exact.as_dict()},
               "values": [{"k": k, "lr": v} for k, v in zip(ks, values)],
               "plot": plot, "consistent": consistent}
        click.echo(json.dumps(out, indent=2, default=str))
        ctx.exit(0 if consistent else 1)
    if fmt == "latex":
        click.echo(_latex(spec, cfg, props))
        ctx.exit(0 if consistent else 1)
    click.echo(f"{spec.title}\ntorch: {spec.reference(cfg)}")
    click.echo("convention: k counts scheduler.step() calls; k = 0 is the first optimizer "
               "step's lr\n")
    click.echo("closed form:")
    click.echo("\n".join("    " + line for line in sp.pretty(sp.Eq(sp.Symbol("eta_k"), closed),
                                                               use_unicode=True).splitlines()))
    if spec.note(cfg):
        click.echo(f"note: {spec.note(cfg)}")
    how = ("torch evaluates a closed form each step" if spec.torch(cfg).closed else
           "torch recurses on the previous lr")
    click.echo(f"\n{how}; proof that it computes the closed form:")
    for p in proofs:
        click.echo(f"    induction step [{p.case}] on {p.phase}: "
                   f"{'holds' if p.holds else 'FAILS'} ({p.method})")
    click.echo(f"    every step k < {exact.steps} in 50-digit arithmetic ({exact.what}): max "
               f"|diff| = {exact.max_diff:.1e} [{'holds' if exact.holds else 'FAILS'}]")
    b = props.budget
    click.echo(f"\nproperties over the horizon H = {b.horizon} steps (k = 0 .. {b.horizon - 1}):")
    click.echo(f"    budget sum lr = {b.formula or '(no closed form found)'}")
    summed = "50-digit sum" if b.horizon <= EXACT_STEPS else "float64 sum (math.fsum)"
    click.echo(f"           = {b.value:.10g}   (cross-check: {summed} {b.numeric:.10g} "
               f"[{'agrees' if b.holds else 'DISAGREES'}]; {b.method})")
    click.echo(f"    mean lr = {b.mean:.10g}")
    for bd in props.boundaries:
        click.echo(f"    boundary k = {bd.k}: lr = {bd.value:.6g}, "
                   + ("continuous" if bd.continuous else f"jump {bd.jump:+.6g} "
                      f"({bd.jump_formula})"))
    mono = props.monotonicity
    click.echo(f"    monotonicity: {mono.overall} (numeric: {mono.numeric} "
               f"[{'agrees' if mono.holds else 'DISAGREES'}])"
               + (f"; {mono.caveat}" if mono.caveat else ""))
    click.echo("    " + _rm_line(props.robbins_monro))
    click.echo("\n      k  lr")
    for k, v in zip(ks, values):
        click.echo(f"{k:>7}  {v:.10g}")
    if plot is not None:
        click.echo(f"\nwrote {plot}")
    if not consistent:
        click.echo("FAIL: a proof or a numeric cross-check disagrees (see above)")
    ctx.exit(0 if consistent else 1)


def _latex(spec, cfg, props) -> str:
    budget = props.budget.latex or r"\text{(no closed form)}"
    lines = [f"% {spec.title}; torch: {spec.reference(cfg)}",
             r"\begin{align*}", rf"\eta_k &= {props.closed_form_latex} \\",
             rf"\sum_{{k=0}}^{{H-1}} \eta_k &= {budget}"
             rf" = {props.budget.value:.10g} \quad (H = {props.budget.horizon})",
             r"\end{align*}"]
    rm = props.robbins_monro
    if rm.applies:
        lines.append(rf"Robbins--Monro: $\sum \eta_k$ {rm.sum_lr}, $\sum \eta_k^2$ {rm.sum_lr2}.")
    return "\n".join(lines)

