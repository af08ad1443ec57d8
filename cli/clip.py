"""``optsym clip norm|value``: gradient clipping's spec, proofs, derivations and verification.

Prints the textbook rule, the proof that torch's operation order computes it, for norm clipping
the derivations (direction kept, no-op below the threshold, norm at most the threshold), and the
generated code of every target against ``torch.nn.utils.clip_grad_norm_`` /
``clip_grad_value_``.  Exit status 0 when everything holds, 1 otherwise, 2 on a usage error.
"""

from __future__ import annotations

import json

import click

from optsym.cli.errors import UsageFailure
from optsym.cli.options import EXACT


@click.command("clip")
@click.argument("kind", type=click.Choice(["norm", "value"]))
@click.option("--threshold", type=EXACT, default=None,
              help="max_norm (norm) or clip_value (value), exact values allowed (1/2) [0.7 / "
                   "0.3: not powers of two, so a wrong division cannot pass by luck].")
@click.option("--g", "g_text", default=None, metavar="VALUES",
              help="Clip this gradient (e.g. 3,4) and print the result exactly, checked "
                   "against torch.nn.utils, instead of the spec and verification.")
@click.option("--steps", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def clip(ctx: click.Context, kind: str, threshold: float | None, g_text: str | None,
         steps: int, seed: int, as_json: bool) -> None:
    """Gradient clipping by global NORM or by VALUE, checked against torch.nn.utils (with
    --g: one given gradient clipped exactly)."""
    if g_text is not None:
        _clip_given(ctx, kind, threshold, g_text, as_json)
        return
    from optsym import clipping

    threshold = clipping.check_threshold(kind, 0.7 if kind == "norm" and threshold is None
                                         else 0.3 if threshold is None else threshold)
    if threshold == 0 or threshold == float("inf"):
        raise UsageFailure(f"--threshold {threshold:g}: the check scales its gradients to the "
                           "threshold, so it needs a finite threshold > 0")
    result = clipping.report(kind, threshold, steps=steps, seed=seed)
    spec, report, passed = result["spec"], result["verification"], result["passed"]
    if as_json:
        click.echo(json.dumps({**spec, "passed": passed,
                               "proofs": [p.as_dict() for p in result["proofs"]],
                               "derivations": [d.as_dict() for d in result["derivations"]],
                               "verification": report}, indent=2, default=str))
        ctx.exit(0 if passed else 1)
    click.echo(f"{spec['title']} ({spec['torch']}), threshold {spec['threshold']} = "
               f"{threshold:g}\n    {spec['text']}\n    note: {spec['note']}")
    for p in result["proofs"]:
        click.echo(f"proof [{p.output}]: torch's order == textbook: "
                   f"{'holds' if p.holds else 'FAILS'} ({p.method}; 50-digit check at "
                   f"{p.points} points, max |diff| {p.numeric_max_diff:.1e})")
    for d in result["derivations"]:
        click.echo(f"derivation: {d.claim}: {'holds' if d.holds else 'FAILS'}")
        for c in d.numeric:
            click.echo(f"    check vs torch: {c.description}: measured {c.measured:.3g} "
                       f"(tolerance {c.expected:.3g}) [{'ok' if c.passed else 'FAIL'}]")
    click.echo(f"verification against {report['reference']}, {steps} steps:")
    for target, by_dtype in report["results"].items():
        for dtype, rec in by_dtype.items():
            click.echo(f"    {target:<13} {dtype}  {'PASS' if rec['passed'] else 'FAIL'}  max "
                       f"{rec['max_ulp']} ULP, no-op steps {rec['unchanged_steps']}, clipped "
                       f"{rec['changed_steps']}  ({rec['criterion']})")
            if rec["failure"]:
                click.echo(f"        first failure: {rec['failure']}")
    ctx.exit(0 if passed else 1)


def _clip_given(ctx: click.Context, kind: str, threshold: float | None, g_text: str,
                as_json: bool) -> None:
    """``--g 3,4 --threshold 1``: the clipped gradient, exact, and torch's float64 result."""
    from optsym.clip_exact import clip_gradient
    from optsym.objective import parse_point
    from optsym.params import exact_of

    if threshold is None:
        raise UsageFailure("--g needs --threshold (max_norm or clip_value), e.g. --threshold 1")
    result = clip_gradient(kind, parse_point(g_text), exact_of(threshold))
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
        return
    name = "max_norm" if kind == "norm" else "clip_value"
    click.echo(f"clip by {kind} ({'torch.nn.utils.clip_grad_' + kind + '_'}), {name} = "
               f"{_shown(result.threshold)}")
    click.echo(f"    g = {_vector(result.g)}")
    if kind == "norm":
        norm = result.norm
        click.echo(f"    ||g|| = {_shown(norm)}"
                   + (f" > {_shown(result.threshold)}: g is scaled by {_shown(result.factor)}"
                      if result.active else f" <= {_shown(result.threshold)}: no change"))
    else:
        click.echo("    each entry clamped to [-c, c]" + ("" if result.active else ": no change"))
    click.echo(f"clipped g = {_vector(result.clipped)}")
    if kind == "norm" and result.active:
        click.echo(f"    torch adds eps = 1e-6 to the norm: g * min(1, c/(||g|| + 1e-6)) = "
                   f"{_vector(result.torch_exact)}")
    floats = ", ".join(f"{v:.17g}" for v in result.torch_float)
    click.echo(f"    torch.nn.utils in float64: ({floats}); max |torch - exact"
               f"{' with eps' if kind == 'norm' else ''}| = {result.torch_error:.1e}")


def _shown(v) -> str:
    """An exact number, with its decimal when it is not an integer."""
    import sympy as sp

    text = sp.sstr(v)
    return text if v.is_Integer else f"{text} (~{float(v):.10g})"


def _vector(values) -> str:
    import sympy as sp

    exact = "(" + ", ".join(sp.sstr(v) for v in values) + ")"
    if all(v.is_Integer for v in values):
        return exact
    return exact + " = (" + ", ".join(f"{float(v):.10g}" for v in values) + ")"
