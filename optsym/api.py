r"""optsym as a library: what every ``optsym`` command calls.

Each function takes typed values (no command-line text) and returns a report object with
``passed`` (where there is a verdict), ``to_json()`` (the dict ``--json`` prints) and ``lines()``
(the text the command prints).  Bad input raises :class:`~optsym.spec.SpecError` with a
one-line message.

>>> from optsym import api
>>> verdict = api.verify("adam", {"amsgrad": True}, steps=20, proofs=True)   # doctest: +SKIP
>>> verdict.passed, verdict.to_json()["proofs"][0]["holds"]                  # doctest: +SKIP
(True, True)

``NAME`` may be a rule (:mod:`optsym.rules`), a learning-rate schedule (:mod:`optsym.schedules`),
a rule over an objective (:mod:`optsym.objective_rules`), a transform over the list of
gradients (:mod:`optsym.transforms`) or, with ``convention=``, a named
convention of a rule family (:mod:`optsym.conventions`); :func:`resolve` decides which, once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from optsym.spec import SpecError

BACKENDS = ("torch-parity", "torch", "numpy")
DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class Target:
    """What a name given to ``verify`` is: its kind and the spec whose parameters it takes."""

    #: ``rule``, ``schedule``, ``objective`` (a rule over an objective), ``transform`` or
    #: ``convention``
    kind: str
    name: str
    #: the spec whose parameters are the options (a convention takes its base rule's)
    spec: Any
    family: Any = None
    convention: Any = None
    #: the rule options that select a convention family (``momentum=0.9``)
    family_config: Mapping[str, Any] = field(default_factory=dict)


def resolve(name: str, convention: str | None = None) -> Target:
    """The kind of ``name``: a rule, a schedule, a rule over an objective or a convention.

    A rule's name wins over a schedule's; ``convention="torch"`` of a rule is the rule itself,
    and the ``torch`` convention of a family (``momentum``) is the family's rule under its
    configuration.  Unknown names raise :class:`SpecError` with the closest names.
    """
    from optsym import objective_rules, rules, schedules

    key = name.lower()
    is_rule = key in rules.names()
    if not is_rule and key in schedules.names():
        return Target("schedule", key, schedules.get(key))
    if key in objective_rules.names():
        return Target("objective", key, objective_rules.get(key))
    if not is_rule and convention is None:
        transform = _transform(key)
        if transform is not None:
            return Target("transform", key, transform)
    if convention is not None and not (convention.lower() == "torch" and is_rule):
        from optsym import conventions

        family = conventions.get(name)
        conv = family.get(convention)
        if conv.name != "torch":
            return Target("convention", family.name, family.base_rule(), family, conv)
        return Target("rule", family.rule, rules.get(family.rule), family, conv,
                      dict(family.config))
    return Target("rule", key, rules.get(name))


def _transform(key: str):
    """The transform called ``key``, or None (also when transforms are not importable)."""
    try:
        from optsym import transforms
    except ImportError:  # pragma: no cover - transforms are optional for the other kinds
        return None
    return transforms.get(key) if key in transforms.names() else None


def _refuse(given: Mapping[str, bool], what: str) -> None:
    flags = [flag for flag, on in given.items() if on]
    if flags:
        raise SpecError(f"{', '.join(flags)}: not an option of {what}")


def devices_for(choice: str | None) -> tuple[tuple[str, ...], list[str]]:
    """``cpu`` / ``cuda`` / ``all`` as devices to run on, and a note where CUDA is absent."""
    import torch

    choice = choice or "cpu"
    has_cuda = torch.cuda.is_available()
    if choice == "cuda" and not has_cuda:
        raise SpecError("--device cuda: no CUDA device is available on this machine")
    if choice == "all":
        notes = [] if has_cuda else ["no CUDA device on this machine; checking cpu only"]
        return (("cpu", "cuda") if has_cuda else ("cpu",)), notes
    if choice not in ("cpu", "cuda"):
        raise SpecError(f"unknown device {choice!r}; choose cpu, cuda or all")
    return (choice,), []


def verify(target: str | Target, options: Mapping[str, Any] | None = None, *,
           steps: int | None = None, dtypes: Sequence[str] | None = None,
           device: str | None = None, backends: Sequence[str] | None = None,
           impl: str | None = None, seed: int | None = None, proofs: bool = False,
           schedule: Any = None, schedule_options: Mapping[str, Any] | None = None,
           clip_norm: float | None = None, clip_value: float | None = None,
           convention: str | None = None, grad_stream: str | None = None):
    """Check ``target``'s generated code against its reference; the verdict object.

    ``options``: the target's parameters (a rule's hyperparameters, a schedule's parameters,
    an objective rule's options), typed.  With none, a rule's whole sweep runs.  ``None`` for
    a run option means its default (all dtypes, cpu, all backends, the single-tensor path,
    seed 0; 100 steps for a rule, 50 for an objective rule, the horizon + 10% for a
    schedule).  ``schedule`` (a name or a spec) with ``schedule_options``, and ``clip_norm`` /
    ``clip_value``, compose a rule with a schedule and clipping
    (:mod:`optsym.verify.composition`).  Options that do not apply to the target's kind are
    refused.  Returns a :class:`~optsym.verify.verdicts.RuleVerdict`,
    :class:`~optsym.verify.verdicts.ScheduleVerdict`,
    :class:`~optsym.verify.verdicts.ConventionVerdict` or
    :class:`~optsym.objective_rules.ObjectiveReport`.
    """
    t = target if isinstance(target, Target) else resolve(target, convention)
    options = dict(options or {})
    composing = {"--schedule": schedule is not None,
                 "--schedule-opt": bool(schedule_options),
                 "--clip-norm": clip_norm is not None, "--clip-value": clip_value is not None,
                 "--grad-stream": grad_stream is not None}
    if t.kind == "schedule":
        _refuse({"--dtype": dtypes is not None, "--device": device is not None,
                 "--backend": backends is not None, "--impl": impl is not None,
                 "--seed": seed is not None, "--proofs": proofs, **composing,
                 "--convention": convention is not None},
                f"a schedule's check ({t.name} is a schedule; its proofs always run)")
        return verify_schedule(t.spec, options, steps)
    if t.kind == "transform":
        own = {"clip_norm": clip_norm, "clip_value": clip_value}.get(t.spec.composes_as)
        if own is not None:  # `verify clip-norm --clip-norm 0.5`: the transform's own value
            first = t.spec.params[0].name
            if first in options and options[first] != own:
                raise SpecError(f"--{t.spec.composes_as.replace('_', '-')} {own:g} and "
                                f"--{first.replace('_', '-')} {options[first]:g} name the "
                                f"same parameter of {t.name}; give one")
            options[first] = own
            composing[f"--{t.spec.composes_as.replace('_', '-')}"] = False
        _refuse({"--device": device is not None, "--impl": impl is not None,
                 "--proofs": proofs, **composing, "--convention": convention is not None},
                f"a transform's check ({t.name} is a transform over the list of gradients)")
        return verify_transform(t.spec, options, steps=steps or 50, dtypes=dtypes,
                                backends=backends, seed=seed or 0)
    if t.kind == "objective":
        _refuse({"--device": device is not None, "--backend": backends is not None,
                 "--impl": impl is not None, "--proofs": proofs, **composing,
                 "--convention": convention is not None},
                f"{t.name}'s check (a rule over an objective; `optsym list`)")
        from optsym import objective_rules

        return objective_rules.verify_objective_rule(
            t.name, steps=steps or 50, seed=seed or 0, dtypes=tuple(dtypes or DTYPES),
            options=options)
    if t.kind == "convention":
        _refuse({"--device": device is not None, "--impl": impl is not None,
                 "--proofs": proofs, **composing,
                 "--backend torch-parity": backends is not None and "torch-parity" in backends},
                f"the {t.convention.name} convention's check (generated code vs exact "
                "arithmetic)")
        return verify_convention(t, options, steps=steps or 20, dtypes=dtypes,
                                 backends=backends, seed=seed or 0)
    return verify_rule(t.spec, options, family_config=t.family_config, steps=steps or 100,
                       dtypes=dtypes, device=device, backends=backends, impl=impl or "single",
                       seed=seed or 0, proofs=proofs, schedule=schedule,
                       schedule_options=schedule_options, clip_norm=clip_norm,
                       clip_value=clip_value, grad_stream=grad_stream or "random")


def verify_rule(rule, options: Mapping[str, Any] | None = None, *,
                family_config: Mapping[str, Any] | None = None, steps: int = 100,
                dtypes: Sequence[str] | None = None, device: str | None = None,
                backends: Sequence[str] | None = None, impl: str = "single", seed: int = 0,
                proofs: bool = False, schedule: Any = None,
                schedule_options: Mapping[str, Any] | None = None,
                clip_norm: float | None = None, clip_value: float | None = None,
                grad_stream: str = "random"):
    """A rule (a :class:`~optsym.spec.Rule` or its name) against its reference: a
    :class:`~optsym.verify.verdicts.RuleVerdict`."""
    from optsym import rules, schedules
    from optsym.verify.composition import clip_for, schedule_for_rule

    rule = rules.get(rule) if isinstance(rule, str) else rule
    options = dict(options or {})
    overrides = {**(family_config or {}), **options}
    configs = [overrides] if overrides else list(rule.sweep)
    for c in configs:
        rule.check_horizon(rule.config(c), steps)  # validate before any work
    rule.implementation_for(impl)
    composed = None
    if schedule is not None:
        spec = schedules.get(schedule) if isinstance(schedule, str) else schedule
        composed = schedule_for_rule(spec, schedule_options or {},
                                     rule.config(configs[0])["lr"], steps)
        if not overrides:  # the schedule sets the learning rate: drop the sweep's lr configs
            configs = [c for c in configs if "lr" not in c] or [{}]
    elif schedule_options:
        raise SpecError("--schedule-opt needs --schedule")
    clip = clip_for(clip_norm, clip_value)
    devices, notes = devices_for(device)

    from optsym.verify.runner import verify as run
    from optsym.verify.verdicts import RuleVerdict, prove_configs

    report = run(rule, configs, backends=tuple(backends or BACKENDS),
                 dtypes=tuple(dtypes or DTYPES), devices=devices, steps=steps, seed=seed,
                 path=impl, schedule=composed, clip=clip, grad_stream=grad_stream)
    section = prove_configs(rule, configs, impl) if proofs else None
    return RuleVerdict(rule, report, section, composed, clip, notes)


def verify_schedule(schedule, options: Mapping[str, Any] | None = None,
                    steps: int | None = None):
    """A schedule (spec or name) against torch's scheduler, with its proofs: a
    :class:`~optsym.verify.verdicts.ScheduleVerdict`."""
    from optsym import schedules
    from optsym.schedules.proof import every_step, induction
    from optsym.schedules.properties import EXACT_STEPS
    from optsym.verify.composition import check_horizon
    from optsym.verify.schedule import default_steps
    from optsym.verify.schedule import verify_schedule as run
    from optsym.verify.verdicts import ScheduleVerdict

    spec = schedules.get(schedule) if isinstance(schedule, str) else schedule
    cfg = spec.config(options)
    n = steps or min(default_steps(spec, cfg), 100_000)
    check_horizon(spec, cfg, n, f"--steps {n}")
    return ScheduleVerdict(spec, run(spec, cfg, n), induction(spec, cfg),
                           every_step(spec, cfg, min(n, EXACT_STEPS)), n)


def verify_transform(transform, options: Mapping[str, Any] | None = None, *, steps: int = 50,
                     dtypes: Sequence[str] | None = None, backends: Sequence[str] | None = None,
                     seed: int = 0):
    """A transform (spec or name) against its torch reference, every target: a
    :class:`~optsym.verify.verdicts.TransformVerdict`."""
    from optsym.transforms.verify import verify as run
    from optsym.verify.verdicts import TransformVerdict

    spec = _transform(transform.lower()) if isinstance(transform, str) else transform
    if spec is None:
        from optsym import transforms

        transforms.get(transform)  # the unknown-name message
    record = run(spec, dict(options or {}), dtypes=tuple(dtypes or DTYPES), seed=seed,
                 steps=steps, targets=tuple(backends or BACKENDS))
    return TransformVerdict(record, dict(options or {}))


def verify_convention(target: Target, options: Mapping[str, Any] | None = None, *,
                      steps: int = 20, dtypes: Sequence[str] | None = None,
                      backends: Sequence[str] | None = None, seed: int = 0):
    """A convention's generated code against exact arithmetic (at most 50 steps): a
    :class:`~optsym.verify.verdicts.ConventionVerdict`."""
    from optsym.conventions.verify import verify_convention as run
    from optsym.verify.verdicts import ConventionVerdict

    checks = run(target.family, target.convention, dict(options or {}), min(steps, 50), seed,
                 tuple(dtypes or DTYPES), tuple(backends or ("torch", "numpy")))
    return ConventionVerdict(target.family, target.convention, checks)


def optimizer_class(rule, options: Mapping[str, Any] | None = None, *, source: bool = False,
                    path: str = "single"):
    """A ``torch.optim.Optimizer`` subclass generated from ``rule`` (a name or a
    :class:`~optsym.spec.Rule`) under ``options``; its module's source with ``source=True``.

    The class runs the rule's parity step in place, in the operation order of torch's ``path``
    (``single``, ``foreach``, ``fused`` where the reference has it), with param groups,
    schedulers and the reference's state names (:mod:`optsym.codegen.optimizer_class`).
    """
    from optsym import rules
    from optsym.codegen.module import load
    from optsym.codegen.optimizer_class import class_name, generate_class

    spec = rules.get(rule) if isinstance(rule, str) else rule
    text = generate_class(spec, spec.config(dict(options or {})), path)
    if source:
        return text
    return load(text, f"optsym_generated_{spec.name}")[class_name(spec)]


def list_specs() -> list[dict[str, Any]]:
    """Every rule and rule over an objective, as ``optsym list --json`` prints them: name,
    title, reference, options (name, default, domain, doc), note, torch paths, conventions."""
    from optsym import conventions, objective_rules, rules

    out = []
    for rule in rules.all_rules():
        out.append({
            "rule": rule.name, "title": rule.title, "torch": rule.reference_class,
            "reference": rule.reference.as_dict(),
            "options": [{"name": h.name, "default": h.default, "domain": h.domain or "true/false",
                         "doc": h.doc} for h in rule.hypers],
            "note": rule.torch_note,
            "impls": {p: ("bit-exact" if p not in rule.inexact else
                          f"within the rounding bound in {', '.join(rule.inexact[p][0])}")
                      for p in rule.path_names},
            "conventions": {name: conventions.get(name).names()
                            for name in conventions.for_rule(rule.name)},
        })
    return out + [{**entry, "conventions": {},
                   "reference": {"name": entry["torch"], "kind": "training loop",
                                 "what": "torch's own training loop on the objective",
                                 "requires": "", "note": ""}}
                  for entry in objective_rules.list_entries()]


def list_transforms() -> list[dict[str, Any]]:
    """Every transform over the list of gradients (``optsym verify NAME`` checks it): name,
    title, reference, options, and where it comes from (optsym, or the file that added it)."""
    try:
        from optsym import transforms
    except ImportError:  # pragma: no cover
        return []
    return [{"transform": name, "title": spec.title, "reference": str(spec.reference),
             "options": [{"name": p.name, "default": p.default, "doc": p.doc}
                         for p in spec.params],
             "source": transforms.REGISTRY.source(name)}
            for name, spec in zip(transforms.names(), transforms.REGISTRY.all())]


__all__ = ["Target", "devices_for", "list_specs", "list_transforms", "resolve", "verify", "verify_convention",
           "verify_rule", "verify_schedule", "verify_transform"]
