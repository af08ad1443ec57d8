"""``optsym codegen RULE --target numpy|torch|torch-parity|torch-optimizer``: print a generated
step module (torch-optimizer: a ``torch.optim.Optimizer`` subclass around the parity step)."""

from __future__ import annotations

import click

from optsym.cli.errors import UsageFailure
from optsym.cli.options import (
    IMPLS,
    RULE_CONTEXT,
    load_rule,
    load_schedule,
    parse_params,
    parse_rule_options,
    rule_arguments,
    writes_files,
)
from optsym.codegen import TARGETS


def _schedule_source(name: str, options: tuple[str, ...], target: str) -> str:
    from optsym.schedules.codegen import generate

    if target not in ("torch-parity", "closed"):
        raise UsageFailure(f"--target {target}: a schedule's targets are torch-parity (torch's "
                           "own computation, bit-exact) and closed (the closed form)")
    spec = load_schedule(name)
    return generate(spec, spec.config(parse_params(spec, options)), target)


@click.command(context_settings=RULE_CONTEXT)
@rule_arguments
@click.option("--target", type=click.Choice([*TARGETS, "torch-optimizer", "optax", "closed"]),
              default="torch-parity", show_default=True,
              help="torch-parity: torch's op order (bit-exact); torch/numpy: textbook form; "
                   "torch-optimizer: a drop-in torch.optim.Optimizer class (parity step, in place); "
                   "optax: a GradientTransformation (textbook form, jit-safe); "
                   "closed: a schedule's closed form.")
@click.option("--impl", type=click.Choice([*IMPLS, "compiled"]), default="single",
              show_default=True,
              help="torch's path: single-tensor, foreach (multi-tensor) or fused; compiled "
                   "(--target torch-optimizer): each tensor's update one torch.compile kernel.")
@click.option("--out", "out_file", type=str, default=None,
              help="Write the module to this file instead of stdout (a new file, or --force).")
@writes_files
def codegen(rule: str, rule_options: tuple[str, ...], target: str, impl: str,
            out_file: str | None, out) -> None:
    """Print a readable, importable module: init_state() and step() for a RULE, or lrs(n) for a
    learning-rate schedule (`optsym schedule --list`)."""
    from optsym import rules, schedules
    from optsym.codegen.module import generate

    staged = None if out_file is None else out.file(out_file)

    if rule.lower() not in rules.names() and rule.lower() in schedules.names():
        source = _schedule_source(rule, rule_options, target)
    else:
        if target == "closed":
            raise UsageFailure("--target closed is for schedules; a rule's targets are "
                               + ", ".join(TARGETS))
        spec = load_rule(rule)
        cfg = spec.config(parse_rule_options(spec, rule_options))
        if impl == "compiled" and target != "torch-optimizer":
            raise UsageFailure("--impl compiled is a path of --target torch-optimizer")
        if impl != "compiled":
            spec.implementation_for(impl)
        if target in ("optax", "torch-optimizer"):
            from optsym.codegen.optimizer_class import generate_class
            from optsym.port.codegen import generate as generate_optax
            from optsym.spec import SpecError

            try:
                source = (generate_optax(spec, cfg) if target == "optax"
                          else generate_class(spec, cfg, impl))
            except SpecError as exc:
                raise UsageFailure(str(exc)) from None
        else:
            source = generate(spec, cfg, target, impl)
    if staged is not None:
        try:
            staged.write_text(source, encoding="utf-8")
        except OSError as exc:
            raise UsageFailure(f"cannot write {out_file}: {exc.strerror or exc}") from None
        click.echo(f"wrote {out_file}", err=True)
    else:
        click.echo(source, nl=False)
