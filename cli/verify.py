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
    load_schedule,
    parse_params,
    parse_rule_options,
    parse_schedule_pairs,
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


def _schedule_run(ctx, name: str, options: tuple[str, ...], steps: int | None,
                  as_json: bool) -> None:
    """``optsym verify SCHEDULE``: generated learning rates against torch's scheduler."""
    from optsym.schedules.proof import every_step, induction
    from optsym.schedules.properties import EXACT_STEPS
    from optsym.verify.schedule import default_steps, verify_schedule

    spec = load_schedule(name)
    cfg = spec.config(parse_params(spec, options))
    n = steps or min(default_steps(spec, cfg), 100_000)
    if spec.tail(cfg).kind == "undefined" and n > spec.horizon(cfg):
        raise UsageFailure(f"--steps {n}: {spec.tail(cfg).note} ({spec.horizon(cfg)})")
    report = verify_schedule(spec, cfg, n)
    proofs = induction(spec, cfg)
    exact = every_step(spec, cfg, min(n, EXACT_STEPS))
    passed = report.passed and exact.holds and all(p.holds for p in proofs)
    if as_json:
        out = report.as_dict()
        out.update(passed=passed, steps=n, proofs={
            "induction": [p.as_dict() for p in proofs], "every_step": exact.as_dict()})
        click.echo(json.dumps(out, indent=2))
        ctx.exit(0 if passed else 1)
    click.echo(f"{spec.title}: generated learning rates vs {report.reference}, {n} steps")
    for c in report.checks:
        click.echo(f"  {c.form:<13} {'PASS' if c.passed else 'FAIL'}  parted at {c.parted}/"
                   f"{c.steps} steps, max {c.max_ulp} ULP, max rel {c.max_rel:.2g}"
                   + (f", worst error/tolerance {c.worst_ratio:.2g}" if c.worst_ratio else ""))
        click.echo(f"                criterion: {c.criterion}")
        if c.divergences:
            shown = ", ".join(f"k={d['k']} ({d['ulp']} ULP)" for d in c.divergences[:8])
            more = c.parted - min(c.parted, 8)
            click.echo(f"                parts at: {shown}" + (f" and {more} more" if more
                                                               else ""))
        if c.failure:
            click.echo(f"                FAIL: first at {c.failure}")
    for p in proofs:
        click.echo(f"  proof: induction step [{p.case}] on {p.phase}: "
                   f"{'holds' if p.holds else 'FAILS'} ({p.method})")
    click.echo(f"  proof: every step k < {exact.steps}, 50 digits ({exact.what}): max |diff| "
               f"{exact.max_diff:.1e} [{'holds' if exact.holds else 'FAILS'}]")
    ctx.exit(0 if passed else 1)


def _composition(rule_cfg_lr: float, schedule: str | None, pairs: tuple[str, ...],
                 clip_norm: float | None, clip_value: float | None, steps: int):
    """The schedule and clipping to compose with the rule (None, None when there are none)."""
    if pairs and schedule is None:
        raise UsageFailure("--schedule-opt needs --schedule")
    if clip_norm is not None and clip_value is not None:
        raise UsageFailure("give one of --clip-norm and --clip-value")
    composed = None
    if schedule is not None:
        spec = load_schedule(schedule)
        given = parse_schedule_pairs(spec, pairs)
        if "eta_max" in given and given["eta_max"] != rule_cfg_lr:
            raise UsageFailure(f"--schedule-opt eta_max={given['eta_max']:g} disagrees with the "
                               f"rule's --lr {rule_cfg_lr:g}: the schedule's peak is the "
                               "optimizer's lr; set --lr")
        composed = (spec, spec.config({**given, "eta_max": rule_cfg_lr}))
        tail = spec.tail(composed[1])
        if tail.kind == "undefined" and steps > spec.horizon(composed[1]):
            raise UsageFailure(f"--steps {steps} with --schedule {spec.name}: {tail.note} "
                               f"({spec.horizon(composed[1])}); use fewer --steps")
    clip = None
    if clip_norm is not None or clip_value is not None:
        from optsym.clipping import check_threshold

        kind, threshold = ("norm", clip_norm) if clip_norm is not None else ("value", clip_value)
        clip = (kind, check_threshold(kind, threshold))
    return composed, clip


def _convention_family(name: str):
    from optsym import conventions
    from optsym.spec import SpecError

    try:
        return conventions.get(name)
    except SpecError as exc:
        raise UsageFailure(str(exc)) from None


def _convention_run(ctx, family, name: str, options: tuple[str, ...], steps: int, dtype: str,
                    backend: str, seed: int, as_json: bool) -> None:
    """A convention no installed framework runs: its generated code against exact arithmetic."""
    from optsym.conventions.verify import verify_convention
    from optsym.spec import SpecError

    conv = family.get(name)
    overrides = parse_rule_options(family.base_rule(), options)
    try:
        checks = verify_convention(family, conv, overrides, min(steps, 50), seed,
                                   ("float32", "float64") if dtype == "all" else (dtype,),
                                   ("torch", "numpy") if backend == "all" else (backend,))
    except SpecError as exc:
        raise UsageFailure(str(exc)) from None
    passed = all(c.passed for c in checks)
    if as_json:
        click.echo(json.dumps({"family": family.name, "convention": conv.name,
                               "reference": "exact arithmetic (SymPy) of the same equations",
                               "passed": passed, "results": [c.as_dict() for c in checks]},
                              indent=2))
        ctx.exit(0 if passed else 1)
    click.echo(f"{family.name}, {conv.name} convention: {conv.summary}  [{conv.source}]")
    click.echo("reference: exact arithmetic (SymPy) of the same equations on a rational "
               "gradient stream (no framework implements this convention here)")
    for c in checks:
        click.echo(f"  {c.backend:<6} {c.dtype:<8} {c.steps} steps  max rel error "
                   f"{c.max_rel:.2g} (bound {c.tolerance:.2g})  {'PASS' if c.passed else 'FAIL'}")
        if c.failure:
            click.echo(f"    FAIL: {c.failure}")
    ctx.exit(0 if passed else 1)


def _objective_run(ctx: click.Context, name: str, rule_options: tuple[str, ...],
                   steps: int | None, seed: int, dtype: str, as_json: bool,
                   given: dict[str, bool]) -> None:
    """``optsym verify gd|minibatch-sgd|sam``: a rule over an objective, against torch's loop."""
    from optsym import objective_rules
    from optsym.verify.runner import DTYPES

    unused = [flag for flag, on in given.items() if on]
    if unused:
        raise UsageFailure(f"{', '.join(unused)}: not an option of {name}'s check "
                           "(a rule over an objective; `optsym list`)")
    report = objective_rules.verify_objective_rule(
        name, steps=steps or 50, seed=seed, dtypes=DTYPES if dtype == "all" else (dtype,),
        options=objective_rules.parse_options(name, rule_options))
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else "\n".join(report.lines()))
    ctx.exit(0 if report.passed else 1)


@click.command(context_settings=RULE_CONTEXT)
@rule_arguments
@click.option("--steps", type=click.IntRange(1, 100000), default=None,
              help="Optimizer steps per check [rules: 100; schedules: the horizon + 10%].")
@click.option("--dtype", type=click.Choice(["float32", "float64", "all"]), default="all",
              show_default=True)
@click.option("--device", type=click.Choice(["cpu", "cuda", "all"]), default="cpu",
              show_default=True, help="all: cpu, plus cuda where present.")
@click.option("--backend", type=click.Choice([*TARGETS, "all"]), default="all", show_default=True)
@impl_option
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Seed of the gradient stream.")
@click.option("--proofs", is_flag=True, help="Also prove torch's order equals the textbook form.")
@click.option("--schedule", "schedule", default=None, metavar="NAME",
              help="Compose with a learning-rate schedule (torch scheduler as reference).")
@click.option("--schedule-opt", "schedule_opts", multiple=True, metavar="KEY=VALUE",
              help="A schedule parameter, e.g. T=50 (repeatable).")
@click.option("--clip-norm", type=float, default=None, help="Clip gradients by global norm.")
@click.option("--clip-value", type=float, default=None, help="Clip gradients by value.")
@click.option("--convention", default=None, metavar="NAME",
              help="Check a named convention of RULE's family (optsym compare --table): torch "
                   "against torch.optim, the others' generated code against exact arithmetic.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def verify(ctx: click.Context, rule: str, rule_options: tuple[str, ...], steps: int | None,
           dtype: str, device: str, backend: str, impl: str, seed: int, proofs: bool,
           schedule: str | None, schedule_opts: tuple[str, ...], clip_norm: float | None,
           clip_value: float | None, convention: str | None, as_json: bool) -> None:
    """Check RULE's generated code against torch.optim (options: RULE's hyperparameters).

    With no hyperparameter options, RULE's whole sweep of configurations runs;
    `optsym list` shows each rule's options, defaults and domains.  RULE may also be a
    learning-rate schedule (`optsym schedule --list`), checked against torch's scheduler.
    """
    from optsym import rules, schedules

    if rule.lower() not in rules.names() and rule.lower() in schedules.names():
        given = {"--dtype": dtype != "all", "--device": device != "cpu",
                 "--backend": backend != "all", "--impl": impl != "single", "--seed": seed != 0,
                 "--proofs": proofs, "--schedule": schedule is not None,
                 "--schedule-opt": bool(schedule_opts), "--clip-norm": clip_norm is not None,
                 "--clip-value": clip_value is not None}
        unused = [flag for flag, on in given.items() if on]
        if unused:
            raise UsageFailure(f"{', '.join(unused)}: not an option of a schedule's check "
                               f"({rule} is a schedule; its proofs always run)")
        _schedule_run(ctx, rule, rule_options, steps, as_json)
        return
    from optsym import objective_rules

    if rule.lower() in objective_rules.names():
        _objective_run(ctx, rule.lower(), rule_options, steps, seed, dtype, as_json, {
            "--device": device != "cpu", "--backend": backend != "all",
            "--impl": impl != "single", "--proofs": proofs, "--schedule": schedule is not None,
            "--schedule-opt": bool(schedule_opts), "--clip-norm": clip_norm is not None,
            "--clip-value": clip_value is not None, "--convention": convention is not None})
        return
    family_config: dict = {}
    if convention is not None and not (convention.lower() == "torch"
                                       and rule.lower() in rules.names()):
        family = _convention_family(rule)
        if family.get(convention).name != "torch":
            unused = {"--device": device != "cpu", "--impl": impl != "single",
                      "--proofs": proofs, "--schedule": schedule is not None,
                      "--schedule-opt": bool(schedule_opts), "--clip-norm": clip_norm is not None,
                      "--clip-value": clip_value is not None,
                      "--backend torch-parity": backend == "torch-parity"}
            flags = [flag for flag, on in unused.items() if on]
            if flags:
                raise UsageFailure(f"{', '.join(flags)}: not an option of the {convention} "
                                   "convention's check (generated code vs exact arithmetic)")
            _convention_run(ctx, family, convention, rule_options, steps or 20, dtype, backend,
                            seed, as_json)
            return
        rule, family_config = family.rule, dict(family.config)
    steps = steps or 100
    spec = load_rule(rule)
    overrides = {**family_config, **parse_rule_options(spec, rule_options)}
    configs = [overrides] if rule_options or family_config else list(spec.sweep)
    for c in configs:
        spec.config(c)  # validate before any work
    spec.implementation_for(impl)
    composed, clip = _composition(spec.config(configs[0])["lr"], schedule, schedule_opts,
                                  clip_norm, clip_value, steps)
    if composed is not None and not rule_options:
        configs = [c for c in configs if "lr" not in c] or [{}]
    devices = _devices(device)

    from optsym.verify.runner import BACKENDS, DTYPES
    from optsym.verify.runner import verify as run

    report = run(spec, configs, backends=BACKENDS if backend == "all" else (backend,),
                 dtypes=DTYPES if dtype == "all" else (dtype,), devices=devices, steps=steps,
                 seed=seed, path=impl, schedule=composed, clip=clip)
    proof_ok = True
    if proofs:
        proof_text, proof_records, proof_ok = _proof_lines(spec, configs, impl)
    passed = report.passed and proof_ok
    if as_json:
        out = report.as_dict()
        out["passed"] = passed
        if composed is not None:
            out["schedule"] = {"name": composed[0].name, "config": composed[1],
                               "torch": "torch.optim.lr_scheduler."
                                        + composed[0].reference(composed[1])}
        if clip is not None:
            out["clip"] = {"kind": clip[0], "threshold": clip[1],
                           "torch": "torch.nn.utils.clip_grad_" + clip[0] + "_"}
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
        click.echo(f"\n{spec.name} ({impl} path) vs {report.reference}: "
                   f"{n_ok}/{len(report.results)} checks passed "
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
