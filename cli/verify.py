"""``optsym verify RULE``: generated code against torch.optim, as a table or JSON.

Exit status: 0 when every check passes, 1 when any fails (the first divergence is named), 2 on a
usage error.
"""

from __future__ import annotations

import json

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


def _devices(choice: str) -> tuple[str, ...]:
    import torch

    has_cuda = torch.cuda.is_available()
    if choice == "cuda" and not has_cuda:
        raise UsageFailure("--device cuda: no CUDA device is available on this machine")
    if choice == "all":
        if not has_cuda:
            click.echo("optsym: note: no CUDA device on this machine; checking cpu only", err=True)
        return ("cpu", "cuda") if has_cuda else ("cpu",)
    return (choice,)


def _config_label(config: dict) -> str:
    if not config:
        return "defaults"
    return " ".join(k if v is True else f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in config.items())


def _table(report) -> list[str]:
    head = ("config", "backend", "dtype", "device", "steps", "max_abs", "max_rel", "max_ulp",
            "verdict")
    rows = [head]
    for r in report.results:
        rows.append((_config_label(r.overrides), r.backend, r.dtype, r.device, str(r.steps),
                     f"{r.max_abs:.3g}", f"{r.max_rel:.3g}", str(r.max_ulp),
                     "PASS" if r.passed else "FAIL"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def _proof_lines(rule, configs, path: str) -> tuple[list[str], list[dict], bool]:
    from optsym.proof import prove_rule

    lines, records, ok = [], [], True
    seen = set()
    for overrides in configs:
        cfg = rule.config(overrides)
        key = (rule.textbook(cfg), rule.implementation_for(path)(cfg))
        if key in seen:
            continue
        seen.add(key)
        label = _config_label(rule.non_default(cfg))
        lines.append(f"proof [{label}]: torch's {path} operation order == textbook equations")
        for ob in prove_rule(rule, cfg, path=path):
            ok &= ob.holds
            mark = "holds" if ob.holds else "FAILS"
            lines.append(f"  {ob.output}: {mark} ({ob.method or 'no symbolic reduction'}; "
                         f"numeric check at {ob.points} points, max |diff| = "
                         f"{ob.numeric_max_diff:.1e})")
            lines.append(f"    torch order : {ob.implementation}")
            lines.append(f"    textbook    : {ob.textbook}")
            records.append({"config": rule.non_default(cfg), **ob.as_dict()})
    if rule.proof_assumptions:
        lines.append("  assumptions: " + "; ".join(rule.proof_assumptions))
    return lines, records, ok


@click.command(context_settings=RULE_CONTEXT)
@rule_arguments
@click.option("--steps", type=click.IntRange(1, 100000), default=100, show_default=True,
              help="Optimizer steps per check.")
@click.option("--dtype", type=click.Choice(["float32", "float64", "all"]), default="all",
              show_default=True)
@click.option("--device", type=click.Choice(["cpu", "cuda", "all"]), default="cpu",
              show_default=True, help="all: cpu, plus cuda where present.")
@click.option("--backend", type=click.Choice([*TARGETS, "all"]), default="all", show_default=True)
@impl_option
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Seed of the gradient stream.")
@click.option("--proofs", is_flag=True, help="Also prove torch's order equals the textbook form.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def verify(ctx: click.Context, rule: str, rule_options: tuple[str, ...], steps: int, dtype: str,
           device: str, backend: str, impl: str, seed: int, proofs: bool, as_json: bool) -> None:
    """Check RULE's generated code against torch.optim (options: RULE's hyperparameters).

    With no hyperparameter options, RULE's whole sweep of configurations runs;
    `optsym list` shows each rule's options, defaults and domains.
    """
    spec = load_rule(rule)
    overrides = parse_rule_options(spec, rule_options)
    configs = [overrides] if rule_options else list(spec.sweep)
    for c in configs:
        spec.config(c)  # validate before any work
    spec.implementation_for(impl)
    devices = _devices(device)

    from optsym.verify.runner import BACKENDS, DTYPES
    from optsym.verify.runner import verify as run

    report = run(spec, configs, backends=BACKENDS if backend == "all" else (backend,),
                 dtypes=DTYPES if dtype == "all" else (dtype,), devices=devices, steps=steps,
                 seed=seed, path=impl)
    proof_ok = True
    if proofs:
        proof_text, proof_records, proof_ok = _proof_lines(spec, configs, impl)
    passed = report.passed and proof_ok
    if as_json:
        out = report.as_dict()
        out["passed"] = passed
        if proofs:
            out["proofs"] = proof_records
        click.echo(json.dumps(out, indent=2))
    else:
        if proofs:
            click.echo("\n".join(proof_text) + "\n")
        click.echo("\n".join(_table(report)))
        n_ok = sum(r.passed for r in report.results)
        parity = ("torch-parity: bitwise over a free trajectory" if impl not in spec.inexact
                  else "torch-parity: a model of the fused kernel, one step at a time within "
                       "the rounding bound")
        click.echo(f"\n{spec.name} ({impl} path): {n_ok}/{len(report.results)} checks passed "
                   f"({parity}; torch/numpy: one step at a time within the first-order "
                   f"rounding bound)")
        if impl in spec.inexact:
            click.echo(f"note: the torch-parity form of the {impl} path is checked within the "
                       f"rounding bound in {', '.join(spec.inexact[impl][0])}: "
                       f"{spec.inexact[impl][1]}")
        for r in report.results:
            if not r.passed:
                click.echo(f"FAIL [{_config_label(r.overrides)}] {r.backend} {r.dtype} {r.device}: "
                           f"first divergence at {r.failure}")
        if proofs and not proof_ok:
            click.echo("FAIL: an equivalence proof does not hold (see above)")
    ctx.exit(0 if passed else 1)
