"""``optsym codegen RULE --target numpy|torch|torch-parity``: print a generated step module."""

from __future__ import annotations

import click

from optsym.cli.errors import UsageFailure
from optsym.cli.options import (
    RULE_CONTEXT,
    impl_option,
    load_rule,
    parse_rule_options,
    rule_arguments,
)
from optsym.codegen import TARGETS


@click.command(context_settings=RULE_CONTEXT)
@rule_arguments
@click.option("--target", type=click.Choice(TARGETS), default="torch-parity", show_default=True,
              help="torch-parity: torch's op order (bit-exact); torch/numpy: textbook form.")
@impl_option
@click.option("--out", "out", type=str, default=None,
              help="Write the module to this file instead of stdout.")
def codegen(rule: str, rule_options: tuple[str, ...], target: str, impl: str,
            out: str | None) -> None:
    """Print a readable, importable module with init_state() and step() for RULE."""
    from optsym.codegen.module import generate

    spec = load_rule(rule)
    cfg = spec.config(parse_rule_options(spec, rule_options))
    spec.implementation_for(impl)
    source = generate(spec, cfg, target, impl)
    if out is not None:
        if not out.strip():
            raise UsageFailure("--out needs a file name")
        try:
            with open(out, "w", encoding="utf-8") as fh:
                fh.write(source)
        except OSError as exc:
            raise UsageFailure(f"cannot write {out}: {exc.strerror or exc}") from None
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(source, nl=False)
