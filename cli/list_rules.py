"""``optsym list``: every rule with its options, defaults, domains and named conventions, and
the transforms over the list of gradients."""

from __future__ import annotations

import json

import click


def rules_table() -> list[dict]:
    """The entries ``optsym list`` prints (:func:`optsym.api.list_specs`)."""
    from optsym import api

    return api.list_specs()


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def list_rules(as_json: bool) -> None:
    """List the rules with their options, defaults, domains and conventions."""
    from optsym import api

    table = rules_table()
    extra = api.list_transforms()
    if as_json:
        click.echo(json.dumps({"rules": table, "transforms": extra}, indent=2))
        return
    for entry in table:
        click.echo(f"{entry['rule']:<9} {entry['title']}  (reference: {entry['torch']})")
        for opt in entry["options"]:
            click.echo(f"    --{opt['name'].replace('_', '-'):<28} default {opt['default']!s:<8} "
                       f"{opt['domain']}")
        click.echo("    torch paths (--impl): " + ", ".join(f"{p} ({how})"
                                                      for p, how in entry["impls"].items()))
        if entry["conventions"]:
            click.echo("    conventions (optsym compare FAMILY --conventions A,B): " + "; ".join(
                f"{fam}: {', '.join(names)}" for fam, names in entry["conventions"].items()))
        if entry["note"]:
            click.echo(f"    note: {entry['note']}")
    if extra:
        click.echo("\ntransforms over the list of gradients (optsym verify NAME):")
    for entry in extra:
        click.echo(f"{entry['transform']:<9} {entry['title']}  (reference: {entry['reference']})")
        for opt in entry["options"]:
            click.echo(f"    --{opt['name'].replace('_', '-'):<28} default {opt['default']!s:<8} "
                       f"{opt['doc']}")
