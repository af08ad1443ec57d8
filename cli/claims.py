"""``optsym claims [NAME] [--json]``: the course's behaviour statements, measured and checked.

Each claim (``momentum-regime``, ``weight-decay-retention``, ``rosenbrock-adam-slowest``) runs
optsym's generated code and prints the statement, the numbers and HOLDS or FAILS; the exit
status is 1 when any claim fails.
"""

from __future__ import annotations

import json

import click


@click.command()
@click.argument("name", required=False, metavar="[NAME]")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def claims(name: str | None, as_json: bool) -> int:
    """Behaviour statements (momentum's regime, Adam+L2 vs AdamW, ...) with their numbers."""
    from optsym.dynamics.claims import run
    from optsym.dynamics.claims_text import claim_text

    results = run(name)
    if as_json:
        click.echo(json.dumps({"claims": [c.as_dict() for c in results],
                               "all_hold": all(c.holds for c in results)}, indent=1))
    else:
        click.echo("\n\n".join(claim_text(c) for c in results))
    return 0 if all(c.holds for c in results) else 1
