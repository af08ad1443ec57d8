"""Options shared by the commands, defined once.

A rule's hyperparameters are not click options (each rule has its own): they arrive as extra
arguments and :func:`parse_rule_options` reads them against the rule's spec: ``--lr 0.1``,
``--weight-decay=0.01``, ``--betas 0.9,0.99``, ``--amsgrad`` or ``--amsgrad false``.  Numbers
are exact (``--lr 1/10``, ``--L "5+sqrt(2)"``, ``--gamma "exp(-0.05)"``, ``2^-10``), read by
the objective's allow-list grammar (:func:`optsym.params.parse_real`); flags take a fixed set
of boolean words: user text is never evaluated.
"""

from __future__ import annotations

import functools

import click

from optsym.cli.errors import UsageFailure

RULE_CONTEXT = {"ignore_unknown_options": True, "allow_extra_args": True}

SPEC_HELP = ("Load rules, schedules and transforms from this Python file for this command "
             "(the file is run: only use your own); repeatable.")


def writes_files(fn):
    """A command that writes files: adds ``--force`` and passes ``out``, an
    :class:`optsym.output.Output` that commits the staged files when the command succeeds
    (returns, or exits 0) and discards them when it fails, so a failed command changes no file."""
    @functools.wraps(fn)
    def command(*args, force: bool, **kwargs):
        from optsym.output import Output

        with Output(force=force) as out:
            return fn(*args, out=out, **kwargs)

    return click.option("--force", is_flag=True,
                        help="Replace files that exist already (never through a link).")(command)


def _load_spec_files(ctx: click.Context, _param: click.Parameter, paths: tuple[str, ...]):
    """Register the files' specs until the command ends (:func:`optsym.loader.spec_files`)."""
    if paths:
        from optsym.loader import spec_files

        ctx.with_resource(spec_files(paths))
    return paths


def spec_option() -> click.Option:
    """``--spec FILE``: specs from the user's own file, registered for this command only."""
    return click.Option(["--spec", "spec_files"], multiple=True, metavar="FILE",
                        expose_value=False, is_eager=True, callback=_load_spec_files,
                        help=SPEC_HELP)


def add_spec_option(group: click.Group) -> None:
    """Give every command of ``group`` the ``--spec FILE`` option, defined once here."""
    for command in group.commands.values():
        if not any(p.name == "spec_files" for p in command.params):
            command.params.append(spec_option())
        if isinstance(command, click.Group):  # ``optsym plot schedules --spec FILE``
            add_spec_option(command)


def rule_arguments(fn):
    """RULE and its hyperparameter options (``--OPTION VALUE ...``)."""
    fn = click.argument("rule_options", nargs=-1, type=click.UNPROCESSED,
                        metavar="[--OPTION VALUE]...")(fn)
    return click.argument("rule", metavar="RULE")(fn)


IMPLS = ("single", "foreach", "fused")


def impl_option(fn):
    """``--impl single|foreach|fused``: which of torch's execution paths to match."""
    return click.option("--impl", type=click.Choice(IMPLS), default="single", show_default=True,
                        help="torch's path: single-tensor, foreach (multi-tensor) or fused.")(fn)


def _exact(flag: str, text: str) -> float:
    """``--flag TEXT`` as a number typed exactly (:class:`optsym.params.Exact`: a float that
    keeps ``1/10``, ``5+sqrt(2)``, ``exp(-0.05)``, ``2^-10`` exactly), read by the safe
    parser; a refused text is a one-line usage error."""
    from optsym.params import parse_real
    from optsym.spec import SpecError

    try:
        return parse_real(text, flag)
    except SpecError as exc:
        raise UsageFailure(str(exc)) from None


def _number(flag: str, text: str) -> float:
    """``--flag TEXT`` as a plain float, typed as exactly as for :func:`_exact` (numeric code
    such as NumPy treats a float subclass as float64, a plain float as a weak scalar)."""
    return float(_exact(flag, text))


class ExactNumber(click.ParamType):
    """A click option's type for numbers typed exactly (``--threshold 1/2``)."""

    name = "number"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        flag = param.opts[0] if param is not None and param.opts else "--value"
        return _exact(flag, str(value))


#: ``type=EXACT`` for a click option that takes a number
EXACT = ExactNumber()


def _boolean(flag: str, text: str) -> bool:
    from optsym.params import FALSE_WORDS, TRUE_WORDS

    word = text.lower()
    if word in TRUE_WORDS | FALSE_WORDS:
        return word in TRUE_WORDS
    raise UsageFailure(f"option {flag} expects true or false, got {text!r}")


def _pairs(args: tuple[str, ...], params, unknown) -> list[tuple[str, str, str | None]]:
    """:func:`optsym.params.option_pairs` over ``params`` (``--betas`` for a rule with beta1
    and beta2), a refused argument being a one-line usage error."""
    from optsym.params import option_pairs
    from optsym.spec import SpecError

    names = {p.name for p in params}
    known = names | ({"betas"} if {"beta1", "beta2"} <= names else set())
    try:
        return option_pairs(args, known, {p.name for p in params if p.is_flag}, unknown)
    except SpecError as exc:
        raise UsageFailure(str(exc)) from None


def _parse(params, args: tuple[str, ...], unknown) -> dict:
    """Typed values of ``params`` from ``--OPTION VALUE`` arguments."""
    by_name = {p.name: p for p in params}
    out: dict = {}
    for name, flag, value in _pairs(args, params, unknown):
        if name == "betas":
            parts = (value or "").split(",")
            if len(parts) != 2:
                raise UsageFailure("option --betas expects two numbers, e.g. --betas 0.9,0.999")
            out["beta1"], out["beta2"] = (_exact(flag, p) for p in parts)
            continue
        param = by_name[name]
        if param.is_flag:
            out[name] = True if value is None else _boolean(flag, value)
        elif param.kind == "real" and param.default is None and value == "None":
            out[name] = None  # torch's None default
        else:
            out[name] = _param_value(param, flag, value)
    return out


def parse_rule_options(rule, args: tuple[str, ...]) -> dict:
    """Hyperparameter overrides from ``args``; unknown options suggest the closest names."""
    from optsym.spec import unknown_name_message

    known = ["--" + h.name.replace("_", "-") for h in rule.hypers]
    return _parse(rule.hypers, args,
                  lambda flag: unknown_name_message("option", flag, known, f" for {rule.name}"))


def parse_spec_options(spec, args: tuple[str, ...]) -> dict:
    """``--OPTION VALUE`` arguments against any spec's parameters: a rule's hyperparameters,
    a schedule's or derivation's parameters, a rule over an objective's options."""
    if hasattr(spec, "hypers"):
        return parse_rule_options(spec, args)
    return parse_params(spec, args)


def _load(registry, name: str):
    """``registry.get(name)``, an unknown name being a one-line usage error."""
    from optsym.spec import SpecError

    try:
        return registry.get(name)
    except SpecError as exc:
        raise UsageFailure(str(exc)) from None


def load_rule(name: str):
    """The rule spec called ``name``."""
    from optsym import rules

    return _load(rules, name)


def _param_value(param, flag: str, text: str):
    """One parameter's value from text, by the parameter's kind."""
    if param.kind == "real":
        return _exact(flag, text)
    if param.kind == "int":
        try:
            return int(text)
        except ValueError:
            raise UsageFailure(f"option {flag} expects an integer, got {text!r}") from None
    if param.kind == "text":  # a formula or a point: the spec's own safe parser reads it
        return text
    if param.kind == "choice":
        if text not in param.choices:
            raise UsageFailure(f"option {flag} expects one of {', '.join(param.choices)}, "
                               f"got {text!r}")
        return text
    try:
        return tuple(int(x) for x in text.split(","))
    except ValueError:
        raise UsageFailure(f"option {flag} expects integers separated by commas, "
                           f"got {text!r}") from None


def _param_named(spec, key: str):
    from optsym.spec import SpecError

    try:
        return spec.param(key.replace("-", "_"))
    except SpecError as exc:
        raise UsageFailure(str(exc)) from None


def _unknown_param(spec):
    """The message for an unknown parameter of ``spec``: its own (with the closest names)."""
    from optsym.spec import SpecError

    def message(flag: str) -> str:
        try:
            spec.param(flag[2:].replace("-", "_"))
        except SpecError as exc:
            return str(exc)
        return f"unknown option {flag}"  # pragma: no cover - only called for unknown names

    return message


def parse_params(spec, args: tuple[str, ...]) -> dict:
    """A schedule's, a derivation's or a rule over an objective's parameters from ``--eta-max
    0.1 --T=100 --milestones 30,80`` style arguments."""
    return _parse(spec.params, args, _unknown_param(spec))


def parse_schedule_pairs(schedule, pairs: tuple[str, ...]) -> dict:
    """Schedule parameters from ``--schedule-opt T=50`` pairs."""
    out: dict = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise UsageFailure(f"--schedule-opt expects KEY=VALUE, got {pair!r}")
        param = _param_named(schedule, key)
        out[param.name] = _param_value(param, param.flag, value)
    return out


def load_derivation(name: str):
    """The derivation called ``name``."""
    from optsym import derivations

    return _load(derivations, name)


def load_schedule(name: str):
    """The schedule called ``name``."""
    from optsym import schedules

    return _load(schedules, name)
