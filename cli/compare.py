"""``optsym compare RULE --conventions A,B``: two conventions of a rule family, equal or not.

Prints the change of variables and its proof by induction (with the conditions it needs), the
verdict for the run asked for (a constant lr, or ``--schedule``), the exact run's first parting
step, values and gap after ``--steps``, and the float64 cross-check.  ``--table`` prints every
family's conventions instead.  Exit status: 0 for an answer (equal or not equal), 1 when a
numeric cross-check disagrees with the derivation, 2 on a usage error.
"""

from __future__ import annotations

import json

import click

from optsym.cli.errors import UsageFailure
from optsym.cli.options import RULE_CONTEXT, load_schedule, parse_rule_options, parse_schedule_pairs


def _family(name: str):
    from optsym import conventions
    from optsym.spec import SpecError

    try:
        return conventions.get(name)
    except SpecError as exc:
        raise UsageFailure(str(exc)) from None


def _pair(family, text: str | None) -> tuple[str, str]:
    from optsym.spec import SpecError

    if not text:
        raise UsageFailure(f"give two conventions: --conventions A,B (for {family.name}: "
                           f"{', '.join(family.names())})")
    names = [n.strip() for n in text.split(",") if n.strip()]
    if len(names) != 2:
        raise UsageFailure(f"--conventions expects two names A,B, got {text!r} (for "
                           f"{family.name}: {', '.join(family.names())})")
    try:
        found = [family.get(n).name for n in names]
    except SpecError as exc:
        raise UsageFailure(str(exc)) from None
    if found[0] == found[1]:
        raise UsageFailure(f"--conventions names {found[0]} twice; give two different ones")
    return found[0], found[1]


def _table(fmt: str, as_json: bool) -> None:
    from optsym.conventions import table

    rows = table.rows()
    if as_json:
        click.echo(json.dumps({"conventions": [r.as_dict() for r in rows]}, indent=2))
    elif fmt == "markdown":
        click.echo(table.markdown(rows))
    else:
        click.echo(table.text(rows))
    if not all(r.proved for r in rows):
        click.echo("FAIL: a numeric cross-check disagrees with a proof", err=True)
        raise SystemExit(1)


@click.command(context_settings=RULE_CONTEXT)
@click.argument("rule", metavar="RULE", required=False)
@click.argument("rule_options", nargs=-1, type=click.UNPROCESSED, metavar="[--OPTION VALUE]...")
@click.option("--conventions", "pair", default=None, metavar="A,B",
              help="The two conventions to compare (optsym compare --table lists them).")
@click.option("--schedule", default=None, metavar="NAME",
              help="Run under a learning-rate schedule (its closed form; peak = --lr).")
@click.option("--schedule-opt", "schedule_opts", multiple=True, metavar="KEY=VALUE",
              help="A schedule parameter, e.g. step_size=3 (repeatable).")
@click.option("--steps", type=click.IntRange(1, 200), default=20, show_default=True,
              help="Steps of the exact and float64 runs.")
@click.option("--problem", type=click.Choice(["quadratic", "stream"]), default=None,
              help="quadratic f = theta^2/2 or a fixed gradient stream [the family's].")
@click.option("--defaults", "library_defaults", is_flag=True,
              help="Each side takes its library's default hyperparameters (torch, optax, "
                   "keras) where none are given, instead of the same values.")
@click.option("--grad-scale", default=None, metavar="S",
              help="Multiply every gradient of the problem by S (e.g. 1e-4: eps placement "
                   "matters more for small gradients).")
@click.option("--table", "show_table", is_flag=True,
              help="Print the conventions table of every family instead.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text",
              show_default=True, help="Format of --table.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def compare(ctx: click.Context, rule: str | None, rule_options: tuple[str, ...],
            pair: str | None, schedule: str | None, schedule_opts: tuple[str, ...], steps: int,
            problem: str | None, library_defaults: bool, grad_scale: str | None,
            show_table: bool, fmt: str, as_json: bool) -> None:
    """Compare two conventions of RULE's family (momentum, nesterov, rmsprop, adagrad, adam,
    adamw): equal, with the proof and the change of variables, or not, with a counterexample.

    RULE's hyperparameters may be given as options (--lr 0.1 --momentum 0.5); exact decimals
    are used.  Example: optsym compare momentum --conventions torch,goodfellow --schedule step
    --schedule-opt step_size=3 --schedule-opt gamma=0.5
    """
    if show_table:
        if rule or pair or rule_options or schedule or schedule_opts or library_defaults \
                or grad_scale:
            raise UsageFailure("--table takes no RULE, --conventions, schedule, --defaults "
                               "or --grad-scale")
        _table(fmt, as_json)
        return
    if fmt != "text":
        raise UsageFailure("--format applies to --table only")
    if rule is None:
        raise UsageFailure("give a RULE (a convention family: momentum, nesterov, rmsprop, "
                           "adagrad, adam, adamw) and --conventions A,B, or --table")
    family = _family(rule)
    a, b = _pair(family, pair)
    base = family.base_rule()
    overrides = parse_rule_options(base, rule_options)
    from optsym.conventions.compare import compare as run_compare
    from optsym.conventions.run import PROBLEMS
    from optsym.spec import SpecError

    composed = None
    if schedule_opts and schedule is None:
        raise UsageFailure("--schedule-opt needs --schedule")
    try:
        lr_text = overrides.get("lr", family.example_values.get("lr"))
        if schedule is not None:
            from optsym.conventions.compare import exact_number

            spec = load_schedule(schedule)
            given = parse_schedule_pairs(spec, schedule_opts)
            if "eta_max" in given:
                raise UsageFailure("the schedule's peak is the rule's lr: give --lr, not "
                                   "--schedule-opt eta_max")
            composed = (spec, spec.config({**given, "eta_max": float(exact_number(lr_text))}))
            tail = spec.tail(composed[1])
            if tail.kind == "undefined" and steps > spec.horizon(composed[1]):
                raise UsageFailure(f"--steps {steps} with --schedule {spec.name}: {tail.note} "
                                   f"({spec.horizon(composed[1])}); use fewer --steps")
        scale = None
        if grad_scale is not None:
            from optsym.conventions.compare import exact_number

            try:
                scale = exact_number(grad_scale)
            except SpecError as exc:
                raise UsageFailure(f"--grad-scale: {exc}") from None
            if not scale > 0:
                raise UsageFailure(f"--grad-scale {grad_scale}: must be > 0")
        result = run_compare(family, a, b, overrides, composed, steps,
                             PROBLEMS[problem] if problem else None,
                             defaults=library_defaults, grad_scale=scale)
    except SpecError as exc:
        raise UsageFailure(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        click.echo(result.as_text())
        if not result.consistent:
            click.echo("FAIL: a numeric cross-check disagrees with the derivation (see above)")
    ctx.exit(0 if result.consistent else 1)
