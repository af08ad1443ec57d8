"""``optsym claims [NAME] [--json] [-o FILE]``: the course's behaviour statements, measured and
checked.

Each claim (``momentum-regime``, ``weight-decay-retention``, ``noise-floor``, ...; the list is
:data:`optsym.dynamics.claims.CLAIMS`) runs optsym's generated code and prints the statement,
the numbers and HOLDS or FAILS; the exit status is 1 when any claim fails.  ``-o FILE`` draws
the named claim's figure (:mod:`optsym.dynamics.claim_figures`).  Running all of them draws a
progress bar on stderr when it is a terminal (``optsym --quiet`` silences it).
"""

from __future__ import annotations

import json

import click

from optsym.cli.errors import UsageFailure
from optsym.cli.options import writes_files


def _run_with_progress(name: str | None) -> list:
    """The named claim, or all of them with a bar on a terminal (:mod:`optsym.progress`)."""
    from optsym.dynamics.claims import names, run
    from optsym.progress import Progress

    if name is not None:
        return run(name)
    todo = names()
    results = []
    with Progress("claims", len(todo)) as bar:
        for key in todo:
            bar.advance(0, note=key)
            results += run(key)
            bar.advance()
    return results


@click.command()
@click.argument("name", required=False, metavar="[NAME]")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("-o", "--output", "output", default=None, metavar="FILE",
              help="Draw the claim's figure: .png, .pdf or .svg (a new file, or --force).")
@writes_files
def claims(name: str | None, as_json: bool, output: str | None, out) -> int:
    """Behaviour statements (momentum's regime, Adam+L2 vs AdamW, ...) with their numbers."""
    from optsym.dynamics.claim_figures import FIGURES, claim_figure
    from optsym.dynamics.claims_text import claim_text

    path = None
    if output is not None:
        from optsym.figures import check_path

        if name is None or name.strip().lower() not in FIGURES:
            raise UsageFailure(f"-o draws one claim's figure; name one of: {', '.join(FIGURES)}")
        check_path(output)
        path = out.file(output, "-o")
    results = _run_with_progress(name)
    if path is not None:
        claim_figure(path, results[0])
    if as_json:
        click.echo(json.dumps({"claims": [c.as_dict() for c in results],
                               "all_hold": all(c.holds for c in results),
                               **({"file": output} if output else {})}, indent=1))
    else:
        click.echo("\n\n".join(claim_text(c) for c in results))
        if output:
            click.echo(f"wrote {output}")
    return 0 if all(c.holds for c in results) else 1
