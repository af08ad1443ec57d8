r"""The independent reference a rule is checked against, declared by the rule's spec.

A :class:`Reference` says what the reference is (a ``torch.optim`` class, a class of another
package such as ``pytorch_optimizer``, or an independent implementation written from the paper,
said so), how a configuration maps onto its constructor's arguments, what its state keys are
called, and the optional dependency it needs.  Every text that names a rule's reference
(``optsym list``, ``optsym verify``, the course's chapters) takes it from here, and
:mod:`optsym.verify.reference` runs it.

A rule in your own file declares its reference the same way, with no edit to optsym::

    from optsym.references import Reference

    REFERENCE = Reference.package("pytorch_optimizer", "AdaBelief", pip="pytorch-optimizer",
                                  states={"exp_avg_sq": "exp_avg_var"})

The constructor arguments come from the rule's parameters: each :class:`~optsym.params.Param`
names its argument (``argument``, default its own name) and its position in a tuple argument
(``position``: ``beta1`` is ``betas[0]``); ``arguments`` overrides that per reference
(``{"eps1": ("eps", 0)}``, or ``None`` for a parameter the reference does not take).

A missing optional dependency is a :class:`MissingReference` (a :class:`~optsym.spec.SpecError`:
one line for the user, exit status 2), never a traceback.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from optsym.errors import SpecError

#: constructor flags that select an execution path (torch's and pytorch_optimizer's classes)
PATH_FLAGS: Mapping[str, Mapping[str, Any]] = {
    "single": {"foreach": False}, "foreach": {"foreach": True}, "fused": {"fused": True}}

#: how to install the optional references optsym's own rules use (``pytorch_optimizer``)
DEV_INSTALL = "pip install 'optsym[dev]'"

#: what each kind of reference is, in words
KINDS = {
    "torch.optim": "the torch.optim class (run through torch's functional API where the rule "
                   "declares it)",
    "package": "a class of another package (torch has none)",
    "independent": "an independent implementation written from the paper (not a library)",
}


class MissingReference(SpecError):
    """The reference's module is not installed (one line: what to install)."""


@dataclass(frozen=True)
class Reference:
    """The independent implementation a rule is verified against."""

    #: the module that holds it (``torch.optim``, ``pytorch_optimizer``, the user's module)
    module: str
    #: the class (or callable with an optimizer's interface) in ``module``
    name: str
    #: ``torch.optim``, ``package`` or ``independent`` (:data:`KINDS`)
    kind: str = "torch.optim"
    #: rule parameter -> the reference's argument: a name, ``(name, position)`` in a tuple
    #: argument, or None (not passed); overrides the parameter's own ``argument``/``position``
    arguments: Mapping[str, str | tuple[str, int] | None] = field(default_factory=dict)
    #: rule state name -> the reference's state key, where they differ
    states: Mapping[str, str] = field(default_factory=dict)
    #: the distribution to install when ``module`` is missing (``pytorch-optimizer``)
    pip: str = ""
    #: how to install it (default ``pip install <pip>``)
    install: str = ""
    #: a faster adapter with the same trajectory (torch's functional API), as
    #: ``"module:function"`` or a callable ``(params, cfg, path) -> (state, step)``; a test
    #: checks it against the class
    functional: str | Callable | None = None
    #: path -> constructor flags (a class without ``foreach``: ``{"single": {}}``)
    path_flags: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: PATH_FLAGS)
    #: the class itself, when it is not importable by name (defined in the user's file)
    obj: Any = None
    #: a version or a remark shown with the name (``version 4.1``)
    note: str = ""

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def torch(cls, name: str, functional: str | Callable | None = None, **kw: Any) -> Reference:
        """``torch.optim.<name>``; ``functional``: its functional-API adapter."""
        return cls("torch.optim", name, "torch.optim", functional=functional, **kw)

    @classmethod
    def package(cls, module: str, name: str, pip: str = "", **kw: Any) -> Reference:
        """A class of another package, e.g. ``pytorch_optimizer.Lion``."""
        return cls(module, name, "package", pip=pip or module.replace("_", "-"), **kw)

    @classmethod
    def independent(cls, obj: Any, note: str = "written from the paper", **kw: Any
                    ) -> Reference:
        """An implementation written for the purpose (a class with an optimizer's interface)."""
        return cls(obj.__module__, obj.__qualname__, "independent", obj=obj, note=note, **kw)

    # -- what it is ---------------------------------------------------------------------------
    @property
    def qualified(self) -> str:
        """``torch.optim.Adam``, ``pytorch_optimizer.Lion``."""
        return f"{self.module}.{self.name}"

    def __str__(self) -> str:
        return self.qualified

    def describe(self) -> str:
        """The name with what it is: ``pytorch_optimizer.Lion (pytorch-optimizer; torch has
        none)``."""
        if self.kind == "torch.optim":
            return self.qualified
        what = (f"{self.pip}; torch has none" if self.kind == "package"
                else f"independent, {self.note}")
        return f"{self.qualified} ({what})"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.qualified, "kind": self.kind, "what": KINDS.get(self.kind, ""),
                "requires": self.pip, "note": self.note}

    # -- running it ---------------------------------------------------------------------------
    def load(self, owner: str = "") -> Any:
        """The reference class; :class:`MissingReference` when its module is not installed."""
        if self.obj is not None:
            return self.obj
        whose = f"{owner}'s " if owner else ""
        try:
            module = importlib.import_module(self.module)
        except ImportError:
            hint = self.install or (f"pip install {self.pip}" if self.pip else "install it")
            raise MissingReference(f"{whose}reference needs {self.module}: {hint}") from None
        try:
            return getattr(module, self.name)
        except AttributeError:
            raise SpecError(f"{whose}reference {self.qualified} does not exist (module {self.module} has no "
                            f"{self.name})") from None

    def adapter(self) -> Callable | None:
        """The functional adapter, or None (the class is run)."""
        if self.functional is None or callable(self.functional):
            return self.functional
        module, _, attr = self.functional.partition(":")
        return getattr(importlib.import_module(module), attr)

    def flags(self, path: str) -> dict[str, Any]:
        """The constructor flags of ``path``."""
        if path not in self.path_flags:
            raise SpecError(f"the reference {self.qualified} has no {path} path; paths: "
                            f"{', '.join(self.path_flags)}")
        return dict(self.path_flags[path])

    def state_key(self, name: str) -> str:
        """The reference's key for the rule's state ``name``."""
        return self.states.get(name, name)

    def kwargs(self, params, cfg: Mapping[str, Any]) -> dict[str, Any]:
        """The constructor's keyword arguments for ``cfg`` (``params``: the rule's
        parameters, each naming its argument and tuple position)."""
        out: dict[str, Any] = {}
        parts: dict[str, dict[int, Any]] = {}
        for p in params:
            arg = self.arguments.get(p.name, (p.argument or p.name, p.position)
                                     if p.position is not None else (p.argument or p.name))
            if arg is None:
                continue
            if isinstance(arg, tuple):
                parts.setdefault(arg[0], {})[arg[1]] = cfg[p.name]
            else:
                out[arg] = cfg[p.name]
        for arg, values in parts.items():
            out[arg] = tuple(values[i] for i in sorted(values))
        return out


def as_reference(value: Any, name: str = "") -> Reference:
    """A :class:`Reference` from the older spelling: a module name plus ``torch_class``."""
    if isinstance(value, Reference):
        return value
    module = value or "torch.optim"
    if module == "torch.optim":
        return Reference.torch(name)
    return Reference.package(module, name)


__all__ = ["DEV_INSTALL", "KINDS", "MissingReference", "PATH_FLAGS", "Reference", "as_reference"]
