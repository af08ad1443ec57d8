"""``optsym example METHOD``: a worked example, step by step in exact arithmetic, checked.

METHOD is a rule (``optsym list``) or ``gd``, ``momentum``, ``nesterov``.  The objective comes
from ``--f`` (a formula in a safe allow-list grammar, or a built-in: ``--list``) or a constant
gradient from ``--g``; hyperparameters are the rule's options (``--lr 0.1``), taken as exact
decimals.  ``--format text`` (default), ``latex`` (a fragment; ``--document`` for a whole file)
or ``json``.  Exit status 0; 1 when optsym's generated code does not reproduce the exact
iterates; 2 on a usage error (a refused objective, a bad point, an unknown method or option).
"""

from __future__ import annotations

import json

import click

from optsym.cli.errors import UsageFailure
from optsym.spec import SpecError
from optsym.cli.options import RULE_CONTEXT, load_rule, parse_rule_options

MAX_STEPS = 50


def _sequence(text: str) -> list[tuple]:
    """``"1,0; 0,0; 0,1"``: one exact point per step (parsed by the objective's safe parser)."""
    from optsym.objective import parse_point

    parts = text.split(";")
    if parts and not parts[-1].strip():
        parts = parts[:-1]  # a trailing ';'
    if not parts:
        raise UsageFailure("--g-seq is empty; give gradients separated by ';', e.g. 1,0; 0,1")
    if len(parts) > MAX_STEPS:
        raise UsageFailure(f"--g-seq gives {len(parts)} gradients; at most {MAX_STEPS} steps "
                           "are worked")
    out = []
    for k, part in enumerate(parts, 1):
        try:
            out.append(parse_point(part))
        except SpecError as exc:
            raise UsageFailure(f"--g-seq gradient {k}: {exc}") from None
    return out


def _list(as_json: bool) -> None:
    from optsym.examples import method_names
    from optsym.objective import BUILTINS, FUNCTIONS

    if as_json:
        click.echo(json.dumps({
            "objectives": [{"name": n, "formula": f, "description": d}
                           for n, (f, d) in BUILTINS.items()],
            "methods": method_names(), "functions": list(FUNCTIONS)}, indent=2))
        return
    click.echo("built-in objectives (--f NAME):")
    for name, (formula, description) in BUILTINS.items():
        click.echo(f"  {name:<14} {formula}\n  {'':<14} {description}")
    click.echo("methods: " + ", ".join(method_names()))
    click.echo("functions in --f: " + ", ".join(FUNCTIONS) + "; constants pi, e")


@click.command(context_settings=RULE_CONTEXT)
@click.argument("method", required=False, metavar="METHOD")
@click.argument("options", nargs=-1, type=click.UNPROCESSED, metavar="[--OPTION VALUE]...")
@click.option("--f", "f_text", default=None, metavar="TEXT",
              help="The objective: a formula in x, y, ... (e.g. \"(x - 3)^2\") or a built-in "
                   "name (--list).")
@click.option("--g", "g_text", default=None, metavar="VALUES",
              help="A constant gradient instead of an objective, e.g. 0.5 or 0.5,-1.")
@click.option("--g-seq", "g_seq_text", default=None, metavar="G1;G2;...",
              help="The gradient of each step instead of an objective, separated by ';', "
                   "e.g. \"1,0; 0,0; 0,1\" (a rare feature); --steps defaults to their count.")
@click.option("--x0", "x0_text", default=None, metavar="POINT",
              help="The starting point, e.g. 1,1 (default: the origin).")
@click.option("--convention", default=None, metavar="NAME",
              help="Run the method as this convention of the table writes it (optsym compare "
                   "--table), e.g. nesterov --convention sutskever.")
@click.option("--steps", type=click.IntRange(1, MAX_STEPS), default=None,
              help="Steps to run [default: 3; with --g-seq, its length].")
@click.option("--format", "fmt", type=click.Choice(["text", "latex", "json"]), default="text",
              show_default=True)
@click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
@click.option("--document", is_flag=True, help="With --format latex: a complete LaTeX file.")
@click.option("--list", "list_all", is_flag=True, help="List the built-in objectives and methods.")
@click.pass_context
def example(ctx: click.Context, method: str | None, options: tuple[str, ...], f_text: str | None,
            g_text: str | None, g_seq_text: str | None, x0_text: str | None,
            convention: str | None, steps: int | None,
            fmt: str, as_json: bool, document: bool, list_all: bool) -> None:
    """A worked example of METHOD (a rule, or gd / momentum / nesterov): each gradient, state
    update and parameter update in exact arithmetic, checked against optsym's generated code.

    Options after METHOD are its hyperparameters (`optsym list`), e.g. --lr 0.1 --momentum 0.9.
    """
    if list_all:
        _list(as_json)
        return
    if method is None:
        raise UsageFailure("missing METHOD (a rule, or gd, momentum, nesterov)")
    given = [flag for flag, text in (("--f", f_text), ("--g", g_text), ("--g-seq", g_seq_text))
             if text is not None]
    if not given:
        raise UsageFailure("give the objective with --f TEXT (a formula or a built-in: "
                           "optsym example --list), a constant gradient with --g VALUES or a "
                           "gradient per step with --g-seq G1;G2;...")
    if len(given) > 1:
        raise UsageFailure(f"give one of --f, --g and --g-seq, not {' and '.join(given)}")
    if document and (as_json or fmt != "latex"):
        raise UsageFailure("--document goes with --format latex")
    # the objective is parsed (safely) before anything heavy is imported
    from optsym.objective import parse_objective, parse_point

    objective = parse_objective(f_text) if f_text is not None else None
    grad = parse_point(g_text) if g_text is not None else None
    grads = _sequence(g_seq_text) if g_seq_text is not None else None
    if steps is None:
        steps = min(len(grads), MAX_STEPS) if grads is not None else 3
    elif grads is not None and steps > len(grads):
        raise UsageFailure(f"--g-seq gives {len(grads)} gradient{'s' if len(grads) != 1 else ''}"
                           f"; --steps {steps} needs {steps}")
    from optsym.examples.aliases import resolve

    _, rule_name = resolve(method)
    rule = load_rule(rule_name)
    overrides = parse_rule_options(rule, options)
    n = objective.dim if objective is not None else None
    x0 = parse_point(x0_text, n) if x0_text is not None else None
    for flag, gk in [("--g", grad)] + [(f"--g-seq gradient {k}", gk)
                                       for k, gk in enumerate(grads or (), 1)]:
        if gk is not None and x0 is not None and len(gk) not in (1, len(x0)):
            raise UsageFailure(f"{flag} has {len(gk)} values and --x0 has {len(x0)}: give "
                               f"one value or {len(x0)}")

    from optsym.examples import worked_example

    ex = worked_example(method, objective, x0, overrides, steps, grad, convention, grads=grads)
    fmt = "json" if as_json else fmt
    if fmt == "json":
        click.echo(json.dumps(ex.as_dict(), indent=2))
    elif fmt == "latex":
        if document:
            from optsym.derivation import document as wrap

            click.echo(wrap(ex.as_latex(), f"optsym worked example: {method}"))
        else:
            click.echo(ex.as_latex())
    else:
        click.echo(ex.as_text())
    ctx.exit(0 if ex.checked else 1)
