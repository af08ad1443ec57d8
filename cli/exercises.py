"""``optsym exercises``: placeholder while it is being built (see the open issue)."""

from __future__ import annotations

import click

from optsym.cli.errors import UsageFailure


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def exercises() -> None:
    """Not built yet."""
    raise UsageFailure("optsym exercises is not built yet")
