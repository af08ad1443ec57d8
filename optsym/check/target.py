r"""What the user's TARGET is: load ``path/file.py:NAME`` or ``package.module:NAME`` and classify it.

Kinds (:data:`KINDS`):

* ``optimizer``: a class built from ``(params, **hyperparameters)`` whose ``step()`` reads
  ``.grad`` (a ``torch.optim.Optimizer`` subclass or a from-scratch class, which may lack
  ``zero_grad``, param groups or state);
* ``step``: a functional step ``step(params, grads, state, **hyperparameters)`` in torch or NumPy
  (updating ``params`` in place, or returning the new params, or ``(params, state)``);
* ``scheduler``: a class built from ``(optimizer, **parameters)`` that sets
  ``param_groups[i]["lr"]`` (at construction and in each ``step()``);
* ``lr``: a function ``lr(k, **parameters)`` of the step count;
* ``optax``: an optax ``GradientTransformation`` (``init``/``update``).

Loading runs the user's module, so it happens in the sandboxed child (:mod:`optsym.check.child`)
when ``optsym check`` is given a path.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from typing import Any

from optsym.check.mapping import Argument

KINDS = ("optimizer", "step", "scheduler", "lr", "optax")


class TargetError(Exception):
    """The target cannot be loaded or is not one of the kinds (a usage error)."""


def split_target(text: str) -> tuple[str, str]:
    """``file.py:Name`` -> (``file.py``, ``Name``); a usage error when there is no ``:NAME``."""
    where, sep, name = text.rpartition(":")
    if not sep or not where or not name.replace(".", "").replace("_", "a").isalnum():
        raise TargetError(f"TARGET {text!r} must be path/to/file.py:NAME or package.module:NAME")
    return where, name


def load(text: str) -> Any:
    """The object named by TARGET (runs the user's module)."""
    where, name = split_target(text)
    if where.endswith(".py") or os.sep in where or "/" in where:
        path = os.path.abspath(where)
        if not os.path.isfile(path):
            raise TargetError(f"no such file: {where}")
        folder = os.path.dirname(path)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        mod_name = "optsym_check_target_" + os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(mod_name, path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    else:
        try:
            module = importlib.import_module(where)
        except ModuleNotFoundError as exc:
            raise TargetError(f"cannot import {where!r}: {exc}") from None
    obj: Any = module
    for part in name.split("."):
        if not hasattr(obj, part):
            raise TargetError(f"{where} has no {name!r}")
        obj = getattr(obj, part)
    return obj


def _params_of(fn: Any) -> list[inspect.Parameter]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise TargetError(f"cannot read the signature of the target: {exc}") from None
    return [p for p in sig.parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name != "self"]


def is_optax(obj: Any) -> bool:
    return (not inspect.isclass(obj) and hasattr(obj, "init") and hasattr(obj, "update")
            and callable(getattr(obj, "update")))


def classify(obj: Any) -> tuple[str, list[Argument]]:
    """The target's kind and its hyperparameter arguments (the leading ones removed)."""
    if is_optax(obj):
        return "optax", []
    if inspect.isclass(obj):
        params = _params_of(obj.__init__)
        if not params:
            raise TargetError(f"{obj.__name__}() takes no arguments: an optimizer class takes "
                              "(params, ...), a scheduler class (optimizer, ...)")
        first = params[0].name.lower()
        kind = "scheduler" if first in ("optimizer", "opt", "optim") else "optimizer"
        rest = params[1:]
    elif callable(obj):
        params = _params_of(obj)
        names = [p.name.lower() for p in params]
        if len(names) >= 3 and names[1].startswith("grad"):
            kind, rest = "step", params[3:]
        elif params:
            kind, rest = "lr", params[1:]
        else:
            raise TargetError("a function target is step(params, grads, state, ...) or lr(k, ...)")
    else:
        raise TargetError(f"the target is a {type(obj).__name__}, not a class or function")
    args = [Argument(p.name, p.default is not p.empty,
                     None if p.default is p.empty else p.default) for p in rest]
    return kind, args


def framework(fn: Any) -> str:
    """``torch`` or ``numpy``: which library a functional step's module uses."""
    names = getattr(fn, "__globals__", {})
    for value in names.values():
        if getattr(value, "__name__", None) == "torch":
            return "torch"
    return "numpy"
