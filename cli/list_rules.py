"""``optsym list``: every rule with its options, defaults, domains and named conventions."""

from __future__ import annotations

import json

import click


def _conventions(rule: str) -> dict[str, list[str]]:
    """``{family: [convention, ...]}`` for the rule (``optsym compare`` compares them)."""
    from optsym import conventions

    return {name: conventions.get(name).names() for name in conventions.for_rule(rule)}


def rules_table() -> list[dict]:
    from optsym import rules

    out = []
    for rule in rules.all_rules():
        out.append({
            "rule": rule.name, "title": rule.title, "torch": rule.reference_class,
            "options": [{"name": h.name, "default": h.default, "domain": h.domain or "true/false",
                         "doc": h.doc} for h in rule.hypers],
            "note": rule.torch_note,
            "impls": {p: ("bit-exact" if p not in rule.inexact else
                          f"within the rounding bound in {', '.join(rule.inexact[p][0])}")
                      for p in rule.path_names},
            "conventions": _conventions(rule.name),
        })
    from optsym import objective_rules

    return out + [{**entry, "conventions": {}} for entry in objective_rules.list_entries()]


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def list_rules(as_json: bool) -> None:
    """List the rules with their options, defaults, domains and conventions."""
    table = rules_table()
    if as_json:
        click.echo(json.dumps({"rules": table}, indent=2))
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
