r"""The sandboxed side of ``optsym check``: load the user's target, map its names, run it.

``python -m optsym.check.child REQUEST RESULT PROGRESS`` reads a pickled request (the target,
the spec's names, the prepared runs), writes a pickled result, and appends ``run step`` to
PROGRESS before every step so that the parent can say where a hang happened.  The parent runs it
with a time limit; whatever the user's code does (raise, hang, print, exit) the parent's verdict
is one line.  :func:`execute` is the same work in-process (``optsym.testing``, an object target).
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Callable
from typing import Any

from optsym.check import harness
from optsym.check.mapping import map_arguments
from optsym.check.target import TargetError, classify, framework, load

RULE_KINDS = ("optimizer", "step", "optax")
SCHEDULE_KINDS = ("scheduler", "lr")


def _applicable(cfg: dict, defaults: dict, accepted: set[str]) -> bool:
    return all(name in accepted or value == defaults[name] for name, value in cfg.items())


def _load(request: dict, obj: Any) -> Any:
    if obj is not None:
        return obj
    try:
        return load(request["target"])
    except TargetError:
        raise
    except ModuleNotFoundError as exc:
        if exc.name in ("optax", "jax", "jaxlib"):
            raise _Skip(f"the target needs {exc.name}, which is not installed here "
                        "(pip install optax); skipped") from None
        raise
    

class _Skip(Exception):
    pass


def execute(request: dict, obj: Any = None,
            progress: Callable[[int, int], None] = lambda i, k: None) -> dict[str, Any]:
    """Load (unless ``obj`` is given), classify, map and run; every failure is in the result."""
    domain = request["domain"]
    try:
        target = _load(request, obj)
        kind, arguments = classify(target)
    except _Skip as exc:
        return {"skip": str(exc)}
    except TargetError as exc:
        return {"usage": str(exc)}
    except Exception as exc:  # importing the user's module failed: their traceback
        return {"load_fault": harness.fault("raises", 0, f"{type(exc).__name__}: {exc}",
                                            harness.user_traceback(exc))}
    if kind == "optax":
        if not _has_optax():
            return {"skip": "the target is an optax transformation and optax is not installed "
                            "here (pip install optax); skipped"}
        if domain != "rule":
            return {"usage": f"the target is an optax transformation, but {request['name']!r} "
                             "is a schedule"}
        return _run_optax(request, target, progress)
    wanted = RULE_KINDS if domain == "rule" else SCHEDULE_KINDS
    if kind not in wanted:
        what = "an optimizer rule" if domain == "rule" else "a schedule"
        return {"usage": f"the target is a {kind} ({_describe(kind)}), but {request['name']!r} "
                         f"is {what}"}
    mapping = map_arguments(request["name"], arguments, request["spec_names"],
                            request.get("explicit_map"))
    if mapping.error:
        return {"usage": mapping.error}
    accepted = mapping.accepted
    missing = [n for n in request.get("required", ()) if n not in accepted]
    result: dict[str, Any] = {"kind": kind, "mapping": mapping.describe(),
                              "accepted": sorted(accepted), "runs": {}, "skipped": [],
                              "frame": framework(target) if kind == "step" else "torch"}
    if missing:
        return {"usage": f"the target takes no {', '.join(missing)} (its arguments: "
                         f"{', '.join(a.name for a in arguments) or 'none'}); use --map"}
    init = None
    if kind == "step":
        names = getattr(target, "__globals__", None) or vars(
            sys.modules.get(getattr(target, "__module__", ""), sys))
        init = next((names[n] for n in ("init_state", "init", "init_fn")
                     if callable(names.get(n))), None)
    for i, run in enumerate(request["runs"]):
        if not _applicable(run["config"], request["defaults"], accepted):
            result["skipped"].append(i)
            continue
        spec_kw = {**request["defaults"], **run["config"]}
        job = {**run, "kwargs": mapping.kwargs(spec_kw, request["kinds"]),
               "lr_arg": mapping.lr_argument(), "init": init}
        if domain == "rule":
            rec = harness.run_optimizer(target, kind, job, request["name"],
                                        request["spec_states"], result["frame"],
                                        lambda k, i=i: progress(i, k))
        else:
            rec = harness.run_schedule(target, kind, job, lambda k, i=i: progress(i, k))
        result["runs"][i] = rec
        if rec["fault"] is not None:
            break
    return result


def _describe(kind: str) -> str:
    return {"optimizer": "a class built from params", "step": "step(params, grads, state)",
            "scheduler": "a class built from an optimizer", "lr": "a function of the step",
            "optax": "an optax GradientTransformation"}[kind]


def _has_optax() -> bool:
    try:
        import optax  # noqa: F401
    except ImportError:
        return False
    return True


def _run_optax(request: dict, tx: Any, progress: Callable[[int, int], None]) -> dict[str, Any]:
    """An optax transformation holds its hyperparameters: only the configuration the user
    gave (the spec's defaults without options) is run, at a constant learning rate."""
    result: dict[str, Any] = {"kind": "optax", "mapping": "none (an optax transformation fixes "
                              "its hyperparameters; the options say which they are)",
                              "accepted": list(request["spec_names"]), "runs": {},
                              "skipped": [], "frame": "jax"}
    first = request["runs"][0]["config"] if request["runs"] else {}
    for i, run in enumerate(request["runs"]):
        if run["config"] != first:
            result["skipped"].append(i)
            continue
        rec = harness.run_optax(tx, run, request["name"], request["spec_states"],
                                lambda k, i=i: progress(i, k))
        result["runs"][i] = rec
        if rec["fault"] is not None:
            break
    return result


def main(argv: list[str]) -> int:
    request_path, result_path, progress_path = argv
    with open(request_path, "rb") as fh:
        request = pickle.load(fh)
    with open(progress_path, "w", encoding="utf-8") as log:
        def progress(i: int, k: int) -> None:
            log.write(f"{i} {k}\n")
            log.flush()
        result = execute(request, progress=progress)
    with open(result_path, "wb") as fh:
        pickle.dump(result, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
