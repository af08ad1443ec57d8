"""``optsym port SOURCE --to LIBRARY``: the same optimizer in another framework, checked.

SOURCE is ``torch.optim.RMSprop``, ``optax.rmsprop`` or ``keras.optimizers.RMSprop`` (SGD,
RMSprop, Adagrad, Adam, AdamW); its arguments follow in SOURCE's own names (``--alpha 0.9`` for
torch, ``--decay 0.9`` for optax, ``--rho 0.9`` for Keras).  Exit status: 0 when a mapping exists
and the real libraries agree, 1 when no mapping exists or they disagree, 2 on a usage error.
"""

from __future__ import annotations

import json

import click

from optsym.cli.errors import UsageFailure
from optsym.cli.options import RULE_CONTEXT, _boolean, _number


def _arguments(dialect, args: tuple[str, ...]) -> dict:
    """SOURCE's arguments in its own names (``--alpha`` for torch, ``--decay`` for optax)."""
    from optsym.params import option_pairs
    from optsym.spec import SpecError

    def unknown(flag: str) -> str:
        try:
            dialect.arg(flag[2:].replace("-", "_"))
        except KeyError as exc:
            return str(exc.args[0])
        return f"unknown option {flag}"  # pragma: no cover - only called for unknown names

    flags = {a.name for a in dialect.args if isinstance(a.default, bool)}
    try:
        pairs = option_pairs(args, {a.name for a in dialect.args}, flags, unknown)
    except SpecError as exc:
        raise UsageFailure(str(exc)) from None
    return {name: (True if value is None else _boolean(flag, value)) if name in flags
            else _number(flag, value) for name, flag, value in pairs}


def _gap(check: dict) -> str:
    if check["agree"]:
        how = "bitwise" if check["bitwise"] else f"max |diff| {check['max_abs']:.2g}"
        return f"agree ({how})"
    a, b = check["values"]
    digits = next((n for n in (10, 13, 17) if f"{a:.{n}g}" != f"{b:.{n}g}"), 17)
    return (f"part at step {check['first_step']} (element {check['first_element']}: "
            f"{a:.{digits}g} vs {b:.{digits}g}); gap after the run {check['final_gap']:.3g}")


def _text(report) -> list[str]:
    s = report.settings
    lines = [f"{report.source_code}", f"  -> {report.target}  ({s['steps']} steps, float64, "
             f"gradient scale {s['grad_scale']:g}, lr {s['lr']:g}, {s['schedule']})", ""]
    verdict = {"equal": "EQUAL", "no mapping": "NO MAPPING", "different": "DIFFERENT"}
    if report.verdict == "equal":
        lines.append(f"EQUAL: {report.mapping_code}")
    else:
        lines.append(f"{verdict[report.verdict]}; the closest: {report.mapping_code}")
    for m in report.mismatches:
        lines.append(f"  differs: {m.line()}")
    lines.append(f"  real libraries: {_gap(report.check)}")
    if report.alias:
        lines += ["", f"no alias will do: {report.alias['code']}"]
        lines += [f"  differs: {m}" for m in report.alias["mismatches"]]
        lines.append(f"  real libraries: {_gap(report.alias['check'])}")
    if report.defaults:
        lines += ["", f"defaults that differ (if you write {report.naive_code}):"]
        for d in report.defaults:
            here = f"{d['source_argument']}={d['source']!r}" if d["source_argument"] else \
                f"{d['convention']}: {d['source']!r}"
            there = (f"{d['target_argument']}={d['target_default']!r}" if d["target_argument"]
                     else f"{d['target_default']!r} (fixed)")
            eff = (f": {_gap(d['effect'])}" if d.get("effect") else
                   f" ({d['refused']})" if d.get("refused") else "")
            lines.append(f"  {here} here, {there} there{eff}")
        lines.append(f"  all together: {_gap(report.naive_check)}")
    return lines


@click.command("port", context_settings=RULE_CONTEXT)
@click.argument("source")
@click.argument("source_options", nargs=-1, type=click.UNPROCESSED, metavar="[--ARG VALUE]...")
@click.option("--to", "to", type=click.Choice(["torch", "optax", "keras"]), required=True,
              help="the library to port to")
@click.option("--grad-scale", default="1", help="typical gradient size of the stream (e.g. 1e-4)")
@click.option("--steps", type=click.IntRange(1, 2000), default=100, show_default=True)
@click.option("--constant-lr", is_flag=True, help="hold the learning rate constant "
              "(default: a cosine from lr to lr/10, which separates more conventions)")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def port(source: str, source_options: tuple[str, ...], to: str, grad_scale: str, steps: int,
         constant_lr: bool, seed: int, as_json: bool) -> int:
    """The argument mapping that makes SOURCE equal in another library (or why none exists),
    the defaults that differ and their effect, checked by running both real libraries."""
    from optsym import port as porting
    from optsym.spec import SpecError

    try:
        dialect = porting.resolve(source)
        args = _arguments(dialect, source_options)
        scale = _number("--grad-scale", grad_scale)
        if scale <= 0:
            raise UsageFailure("--grad-scale must be > 0")
        report = porting.port(source, to, args, grad_scale=scale, steps=steps,
                              constant_lr=constant_lr, seed=seed)
    except SpecError as exc:
        raise UsageFailure(str(exc)) from None
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        click.echo("\n".join(_text(report)))
    return 0 if report.verdict == "equal" else 1
