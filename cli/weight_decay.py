"""``optsym weight-decay RULE``: coupled (L2) vs decoupled weight decay, derived and checked.

Prints the derivation (both forms composed from the rule's textbook equations, their difference,
the first step at which the parameters differ), exact examples with torch's float64 values next
to them, and the verdict.  Exit status: 0, or 1 when a numeric cross-check disagrees with the
derivation; a usage error (a rule other than sgd or adam, ``--momentum`` with adam) is one line.
"""

from __future__ import annotations

import json

import click

from optsym.cli.errors import UsageFailure


@click.command("weight-decay")
@click.argument("rule", metavar="RULE")
@click.option("--momentum", type=float, default=0.0, show_default=True,
              help="SGD's momentum (sgd only).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def weight_decay(ctx: click.Context, rule: str, momentum: float, as_json: bool) -> None:
    """Coupled (L2 on the gradient) vs decoupled (AdamW) weight decay for RULE: sgd or adam."""
    from optsym.spec import SpecError
    from optsym.weight_decay import compare

    try:
        result = compare(rule, momentum)
    except SpecError as exc:
        raise UsageFailure(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        click.echo(result.as_text())
        if not result.consistent:
            click.echo("FAIL: a numeric cross-check disagrees with the derivation (see above)")
    ctx.exit(0 if result.consistent else 1)
