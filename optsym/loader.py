r"""Rules, schedules and transforms from the user's own file (``--spec FILE``) or package.

A spec file is an ordinary Python file that builds specs with optsym's public API: every
module-level :class:`~optsym.spec.Rule`, :class:`~optsym.schedules.spec.Schedule` and
:class:`~optsym.transforms.Transform` in it is registered under its ``name`` for the run, so
every command finds it as it finds a built-in::

    optsym verify --spec adabelief.py adabelief
    optsym codegen --spec adabelief.py adabelief --target numpy

A schedule that torch has no class for names its reference (the torch scheduler a user would
write) with :func:`scheduler_reference`.  Loading a file **runs it**: that is what it is for.
optsym never evaluates text from the command line.

Installed packages register specs through the ``optsym.specs`` entry-point group (each entry
names a module, loaded the same way), e.g. in the package's ``pyproject.toml``::

    [project.entry-points."optsym.specs"]
    adabelief = "my_package.adabelief"

Everything that goes wrong while loading (no such file, a syntax error, an exception raised by
the file, a name that clashes with a built-in, a file that defines nothing) is one
:class:`~optsym.errors.SpecError` line naming the file, and the line where it applies.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from optsym.errors import SpecError

#: the entry-point group installed packages register their spec modules under
ENTRY_POINT_GROUP = "optsym.specs"

_ENTRY_POINTS_LOADED = False

#: schedule name -> its reference ``fn(optimizer, cfg) -> torch scheduler``, from the spec files
#: loaded in this run (:func:`scheduler_reference`; :mod:`optsym.verify.schedule_reference`
#: runs it)
SCHEDULERS: dict[str, Callable] = {}


@dataclass
class Loaded:
    """What one file or module registered: (kind, name) pairs, and where it came from."""

    source: str
    specs: list[tuple[str, str]] = field(default_factory=list)
    schedulers: list[str] = field(default_factory=list)

    def names(self, kind: str) -> list[str]:
        return [n for k, n in self.specs if k == kind]


def scheduler_reference(name: str) -> Callable:
    """Mark ``fn(optimizer, cfg) -> torch scheduler`` as the reference of the schedule
    ``name`` (a ``LambdaLR`` written from the schedule's definition, or a class of another
    package).  Used as a decorator in a spec file."""

    def mark(fn: Callable) -> Callable:
        fn.__optsym_scheduler__ = name.lower()
        return fn

    return mark


def _registries() -> dict[str, tuple[type, Any]]:
    """kind -> (the spec class, its registry)."""
    from optsym import rules, schedules
    from optsym.schedules.spec import Schedule
    from optsym.spec import Rule

    out = {"rule": (Rule, rules.REGISTRY), "schedule": (Schedule, schedules.REGISTRY)}
    try:
        from optsym import transforms
    except ImportError:  # pragma: no cover - transforms are optional for rules and schedules
        return out
    return {**out, "transform": (transforms.Transform, transforms.REGISTRY)}


def _user_line(exc: BaseException, path: Path) -> str:
    """`` (line N)`` of the innermost frame in the user's file, or nothing."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if Path(f.filename).resolve() == path]
    return f" (line {frames[-1].lineno})" if frames else ""


def _import_file(path: Path, shown: str) -> ModuleType:
    """Run the file as a module (its own name, so its classes pickle and dataclasses work);
    ``shown``: the path as the user gave it, for the messages."""
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:8]
    name = f"optsym_user_{path.stem.replace('-', '_')}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SpecError(f"--spec {shown}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[name]
        raise SpecError(f"--spec {shown}: invalid Python (line {exc.lineno}): {exc.msg}") from None
    except SpecError as exc:
        del sys.modules[name]
        raise SpecError(f"--spec {shown}{_user_line(exc, path)}: {exc}") from None
    except (Exception, SystemExit) as exc:  # the user's code failed: one line, never a traceback
        del sys.modules[name]
        raise SpecError(f"--spec {shown}{_user_line(exc, path)}: {type(exc).__name__}: "
                        f"{exc}") from None
    return module


def _found(module: ModuleType) -> Iterator[tuple[str, Any]]:
    """(kind, spec) for each module-level spec, once each (an alias is the same object)."""
    seen: set[int] = set()
    kinds = _registries()
    for attr, value in vars(module).items():
        if attr.startswith("_") or id(value) in seen:
            continue
        for kind, (cls, registry) in kinds.items():
            if isinstance(value, cls):
                seen.add(id(value))
                builtin = value.name.lower() in registry.modules
                if not (builtin and registry.get(value.name) is value):  # an imported built-in
                    yield kind, value


def _try(source: str, path: Path | None, what: str, fn: Callable[[], Any]) -> Any:
    """``fn()``; an exception raised by the user's code is one line naming ``what``."""
    try:
        return fn()
    except Exception as exc:  # the user's code failed: one line, never a traceback
        line = _user_line(exc, path) if path is not None else ""
        kind = "" if isinstance(exc, SpecError) else f"{type(exc).__name__}: "
        raise SpecError(f"{source}{line}: {what}: {kind}{exc}") from None


def _check_rule(rule: Any, source: str, path: Path | None) -> None:
    """Build every form of every sweep configuration once, so that a mistake in the file is
    reported now, with its line, not as a traceback in the middle of a check."""
    from optsym.spec import Assign

    forms = {"textbook": rule.textbook, "implementation": rule.implementation,
             **{f"paths[{name!r}]": fn for name, fn in rule.paths.items()}}
    for overrides in rule.sweep:
        cfg = _try(source, path, f"{rule.name}'s sweep entry {overrides}",
                   lambda o=overrides: rule.config(o))
        _try(source, path, f"{rule.name}.states", lambda c=cfg: tuple(rule.states(c)))
        for form, fn in forms.items():
            eqs = _try(source, path, f"{rule.name}.{form}", lambda f=fn, c=cfg: tuple(f(c)))
            if not eqs or not all(isinstance(a, Assign) for a in eqs):
                raise SpecError(f"{source}: {rule.name}.{form} must return Assign(...) "
                                "equations")


def _check_schedule(spec: Any, source: str, path: Path | None) -> None:
    cfg = _try(source, path, f"{spec.name}'s defaults", spec.config)
    for what in ("phases", "torch", "reference", "horizon"):
        _try(source, path, f"{spec.name}.{what}", lambda w=what: getattr(spec, w)(cfg))


def register_module(module: ModuleType, source: str, path: Path | None = None) -> Loaded:
    """Register every spec ``module`` defines (and its scheduler references)."""
    loaded = Loaded(source)
    kinds = _registries()
    checks = {"rule": _check_rule, "schedule": _check_schedule}
    for kind, spec in _found(module):
        if kind in checks:
            checks[kind](spec, source, path)
        kinds[kind][1].add(spec.name, spec, source)
        loaded.specs.append((kind, spec.name.lower()))
    for value in vars(module).values():
        name = getattr(value, "__optsym_scheduler__", None)
        if callable(value) and name:
            SCHEDULERS[name] = value
            loaded.schedulers.append(name)
    missing = [n for n in loaded.names("schedule") if n not in SCHEDULERS]
    if missing:
        unregister(loaded)
        raise SpecError(f"{source}: schedule {missing[0]!r} has no reference: write the torch "
                        "scheduler it is checked against and mark it "
                        f"@scheduler_reference({missing[0]!r})")
    if not loaded.specs:
        raise SpecError(f"{source}: defines no rule, schedule or transform (a module-level "
                        "optsym.spec.Rule, optsym.schedules.spec.Schedule or "
                        "optsym.transforms.Transform)")
    return loaded


def load_file(path: str | Path) -> Loaded:
    """Run the spec file ``path`` and register what it defines; :class:`SpecError` (one line)
    when the file is missing, fails, or defines nothing."""
    p = Path(path).expanduser()
    if not p.is_file():
        why = "is a directory" if p.is_dir() else "no such file"
        raise SpecError(f"--spec {path}: {why}")
    if p.suffix != ".py":
        raise SpecError(f"--spec {path}: expected a Python file (.py)")
    p = p.resolve()
    return register_module(_import_file(p, str(path)), f"--spec {path}", p)


def unregister(loaded: Loaded) -> None:
    """Forget what :func:`load_file` registered."""
    kinds = _registries()
    for kind, name in loaded.specs:
        kinds[kind][1].remove(name)
    for name in loaded.schedulers:
        SCHEDULERS.pop(name, None)


@contextmanager
def spec_files(paths: list[str] | tuple[str, ...]) -> Iterator[list[Loaded]]:
    """Register the specs of ``paths`` for the duration of the ``with`` block."""
    done: list[Loaded] = []
    try:
        for path in paths:
            done.append(load_file(path))
        yield done
    finally:
        for loaded in reversed(done):
            unregister(loaded)


def load_entry_points() -> None:
    """Register the specs of installed packages (``optsym.specs`` entry points), once."""
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        source = f"entry point {ep.name} ({ep.value})"
        try:
            module = importlib.import_module(ep.value.partition(":")[0])
        except Exception as exc:  # a broken plugin: one line, never a traceback
            raise SpecError(f"{source}: {type(exc).__name__}: {exc}") from None
        register_module(module, source)


__all__ = ["ENTRY_POINT_GROUP", "Loaded", "SCHEDULERS", "load_entry_points", "load_file",
           "register_module", "scheduler_reference", "spec_files", "unregister"]
