"""``optsym check TARGET --rule NAME``: the user's own optimizer or scheduler against a spec.

TARGET is ``path/to/file.py:NAME`` or ``package.module:NAME``: an optimizer class (a
``torch.optim.Optimizer`` subclass or any class built from ``(params, ...)`` whose ``step()``
reads ``.grad``), a functional step ``step(params, grads, state, ...)`` in torch or NumPy, a
scheduler class built from an optimizer, a function ``lr(k, ...)``, or an optax transformation.
It runs in a child process with a time limit.  Exit status: 0 equal (bitwise or within the
rounding bound), 1 different or a fault in the target, 2 usage error.
"""

from __future__ import annotations

import json

import click

from optsym.cli.errors import UsageFailure
from optsym.cli.options import RULE_CONTEXT, parse_spec_options


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for text in values:
        name, sep, spec = text.partition("=")
        if not sep or not name.strip() or not spec.strip():
            raise UsageFailure(f"--map {text!r}: expected TARGET_ARG=SPEC_NAME, e.g. alpha=lr")
        out[name.strip()] = spec.strip()
    return out


@click.command(context_settings=RULE_CONTEXT)
@click.argument("target", metavar="TARGET")
@click.argument("spec_options", nargs=-1, type=click.UNPROCESSED, metavar="[--OPTION VALUE]...")
@click.option("--rule", "name", required=True, metavar="NAME",
              help="The spec to check against: a rule (optsym list) or a schedule.")
@click.option("--steps", type=click.IntRange(1, 10000), default=None,
              help="Steps per run [rules: 100; schedules: the horizon + 10%].")
@click.option("--dtype", type=click.Choice(["float32", "float64", "all"]), default="all",
              show_default=True)
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Seed of the gradient stream.")
@click.option("--timeout", type=click.FloatRange(1, 3600), default=60.0, show_default=True,
              help="Seconds the target may run before it counts as hanging.")
@click.option("--map", "maps", multiple=True, metavar="ARG=NAME",
              help="Map a target argument to a spec name (repeatable), e.g. --map alpha=lr.")
@click.option("--no-diagnose", is_flag=True, help="Skip the search for a named variant.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def check(ctx: click.Context, target: str, spec_options: tuple[str, ...], name: str,
          steps: int | None, dtype: str, seed: int, timeout: float, maps: tuple[str, ...],
          no_diagnose: bool, as_json: bool) -> None:
    """Check your own optimizer or scheduler TARGET against the spec NAME; say what differs.

    Options after TARGET are the spec's (`--lr 0.01 --betas 0.9,0.99`); with none, the
    spec's sweep runs, restricted to the options TARGET takes.
    """
    from optsym import api
    from optsym.check import check as run

    spec = api.resolve(name).spec
    report = run(target, name, parse_spec_options(spec, spec_options), steps=steps,
                 dtypes=None if dtype == "all" else (dtype,), seed=seed, timeout=timeout,
                 explicit_map=_pairs(maps), diagnose=not no_diagnose)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, default=str))
    else:
        click.echo("\n".join(report.lines()))
    ctx.exit(0 if report.passed else 1)
