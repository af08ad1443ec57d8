"""``optsym verify RULE``: generated code against torch.optim, as a table or JSON.

Parses the options, calls :func:`optsym.api.verify` (which decides what RULE is and runs the
checks and proofs) and prints its verdict.  Exit status: 0 when every check passes, 1 when any
fails (the first divergence is named), 2 on a usage error.
"""

from __future__ import annotations

import json

import click

from optsym.cli.options import (
    RULE_CONTEXT,
    impl_option,
    load_schedule,
    parse_schedule_pairs,
    parse_spec_options,
    rule_arguments,
)
from optsym.codegen import TARGETS


@click.command(context_settings=RULE_CONTEXT)
@rule_arguments
@click.option("--steps", type=click.IntRange(1, 100000), default=None,
              help="Optimizer steps per check [rules: 100; schedules: the horizon + 10%].")
@click.option("--dtype", type=click.Choice(["float32", "float64", "all"]), default="all",
              show_default=True)
@click.option("--device", type=click.Choice(["cpu", "cuda", "all"]), default="cpu",
              show_default=True, help="all: cpu, plus cuda where present.")
@click.option("--backend", type=click.Choice([*TARGETS, "all"]), default="all", show_default=True)
@impl_option
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Seed of the gradient stream.")
@click.option("--grad-stream", "grad_stream", type=click.Choice(["random", "special"]),
              default="random", show_default=True,
              help="special: plant 0, -0, subnormals, 1e30, 3e38, inf, NaN and a NaN tensor "
                   "in the gradients (a rule's check; --steps >= 4).")
@click.option("--proofs", is_flag=True, help="Also prove torch's order equals the textbook form.")
@click.option("--schedule", "schedule", default=None, metavar="NAME",
              help="Compose with a learning-rate schedule (torch scheduler as reference).")
@click.option("--schedule-opt", "schedule_opts", multiple=True, metavar="KEY=VALUE",
              help="A schedule parameter, e.g. T=50 (repeatable).")
@click.option("--clip-norm", type=float, default=None, help="Clip gradients by global norm.")
@click.option("--clip-value", type=float, default=None, help="Clip gradients by value.")
@click.option("--convention", default=None, metavar="NAME",
              help="Check a named convention of RULE's family (optsym compare --table): torch "
                   "against torch.optim, the others' generated code against exact arithmetic.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def verify(ctx: click.Context, rule: str, rule_options: tuple[str, ...], steps: int | None,
           dtype: str, device: str, backend: str, impl: str, seed: int, grad_stream: str,
           proofs: bool,
           schedule: str | None, schedule_opts: tuple[str, ...], clip_norm: float | None,
           clip_value: float | None, convention: str | None, as_json: bool) -> None:
    """Check RULE's generated code against torch.optim (options: RULE's hyperparameters).

    With no hyperparameter options, RULE's whole sweep of configurations runs;
    `optsym list` shows each rule's options, defaults and domains.  RULE may also be a
    learning-rate schedule (`optsym schedule --list`), checked against torch's scheduler.
    """
    from optsym import api

    target = api.resolve(rule, convention)
    given = {}
    if schedule is not None:
        spec = load_schedule(schedule)
        given = {"schedule": spec, "schedule_options": parse_schedule_pairs(spec, schedule_opts)}
    elif schedule_opts:
        given = {"schedule_options": schedule_opts}  # refused: --schedule-opt needs --schedule
    verdict = api.verify(
        target, parse_spec_options(target.spec, rule_options), steps=steps,
        dtypes=None if dtype == "all" else (dtype,), device=None if device == "cpu" else device,
        backends=None if backend == "all" else (backend,),
        impl=None if impl == "single" else impl, seed=None if seed == 0 else seed,
        proofs=proofs, clip_norm=clip_norm, clip_value=clip_value, convention=convention,
        grad_stream=None if grad_stream == "random" else grad_stream, **given)
    for note in getattr(verdict, "notes", ()):
        click.echo(f"optsym: note: {note}", err=True)
    if as_json:
        click.echo(json.dumps(verdict.to_json(), indent=2))
    else:
        click.echo("\n".join(verdict.lines()))
    ctx.exit(0 if verdict.passed else 1)
