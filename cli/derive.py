"""``optsym derive NAME``: a convergence derivation's steps, results and numeric cross-checks.

``--format text`` (pretty), ``latex`` (a fragment for course notes) or ``json`` (each result as a
string and as LaTeX).  With parameters (``--L 10 --mu 1``), the results are also given as
numbers and the numeric cross-checks run at those values; ``--check`` runs them at the defaults.
Exit status 0, or 1 when a cross-check fails; a usage error is one line and exit 2.
"""

from __future__ import annotations

import json

import click

from optsym.cli.errors import UsageFailure
from optsym.cli.options import RULE_CONTEXT, load_derivation, parse_params


def _list(as_json: bool) -> None:
    from optsym import derivations

    table = [{"derivation": d.name, "title": d.title,
              "params": {p.name: p.default for p in d.params}}
             for d in derivations.all_derivations()]
    if as_json:
        click.echo(json.dumps({"derivations": table}, indent=2))
        return
    for row in table:
        opts = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in row["params"].items())
        click.echo(f"{row['derivation']:<28} {row['title']}\n{'':<28} {opts}")


@click.command(context_settings=RULE_CONTEXT)
@click.argument("name", required=False, metavar="NAME")
@click.argument("options", nargs=-1, type=click.UNPROCESSED, metavar="[--PARAM VALUE]...")
@click.option("--format", "fmt", type=click.Choice(["text", "latex", "json"]), default="text",
              show_default=True)
@click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
@click.option("--f", "f_text", default=None, metavar="TEXT",
              help="A quadratic objective, e.g. \"3*x^2 + x*y + 2*y^2\": its Hessian (exact) "
                   "sets the parameters (condition-number: a, b, c; heavy-ball, nesterov, "
                   "gd-quadratic: L, mu).")
@click.option("--hessian", "hessian_text", default=None, metavar="MATRIX",
              help="The Hessian instead of --f, e.g. \"[[6,1],[1,4]]\" (entries exact: 1/2, "
                   "sqrt(2)).")
@click.option("--check", is_flag=True, help="Run the numeric cross-checks at the defaults.")
@click.option("--list", "list_all", is_flag=True, help="List the derivations.")
@click.pass_context
def derive(ctx: click.Context, name: str | None, options: tuple[str, ...], fmt: str,
           as_json: bool, f_text: str | None, hessian_text: str | None, check: bool,
           list_all: bool) -> None:
    """A convergence derivation: steps, results, numeric cross-checks (options: its
    parameters, exact values allowed: --L "5+sqrt(2)"; `optsym derive --list` shows them).

    On quadratics, --f TEXT or --hessian MATRIX states the problem instead (condition-number's
    --a --b --c are the Hessian's entries [[a, b], [b, c]], not the coefficients of f)."""
    if list_all:
        _list(as_json)
        return
    if name is None:
        raise UsageFailure("missing derivation NAME (see optsym derive --list)")
    spec = load_derivation(name)
    given = parse_params(spec, options)
    problem, stated = spec.problem(f_text, hessian_text)
    clash = sorted(set(problem) & set(given))
    if clash:
        raise UsageFailure(f"--{clash[0].replace('_', '-')} is set by the problem (--f/--hessian);"
                           " give one or the other")
    given = {**given, **problem}
    cfg = spec.config(given)
    fmt = "json" if as_json else fmt
    checks = spec.cross_checks(cfg) if (given or check) else None
    passed = checks is None or all(c.passed for c in checks)
    # the results are given as numbers at the defaults too; the cross-checks run when asked
    if fmt == "json":
        click.echo(json.dumps({**spec.as_dict(cfg, checks),
                               **({"problem": stated} if stated else {})}, indent=2,
                              default=str))
    elif fmt == "latex":
        click.echo(spec.as_latex())
    else:
        at_defaults = [] if given or check else [
            "\n(values at the defaults; give parameters, or --check, to run the numeric "
            "cross-checks)"]
        click.echo("\n".join(stated + [spec.as_text(cfg, checks)] + at_defaults
                             + ([spec.answer_text(cfg)] if stated else [])))
        if {"a", "b", "c"} <= set(given) and not stated and name == "condition-number":
            click.echo("note: --a --b --c are the Hessian's entries [[a, b], [b, c]] (f = (a x^2 "
                       "+ 2 b x y + c y^2)/2); for f as written use --f \"...\"", err=True)
    ctx.exit(0 if passed else 1)
