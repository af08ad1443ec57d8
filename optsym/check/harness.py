r"""Run the user's target on a prepared gradient stream and record what it does, step by step.

A *run* is one configuration in one dtype: initial parameters, the gradient of every step, the
learning rate of every step (it changes between steps), and the target's keyword arguments.  The
recording is the parameters after every step and every state tensor the target exposes whose name
is a spec state's usual name (:func:`optsym.check.mapping.map_states`).

Faults are results, not crashes: an exception (with the user's own traceback, optsym's frames
removed), a parameter of the wrong shape or dtype, each with the step where it happened.  The
learning rate is changed the way a training loop would: ``param_groups[i]["lr"]`` where the
target has param groups, else its ``lr`` attribute (by the mapped name), else the keyword
argument of a functional step; a target that exposes no learning rate runs at a constant one.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from optsym.check.mapping import map_states

_HERE = __file__.rsplit("/", 1)[0]


def user_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` with optsym's own frames left out (the user's code is the news)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith(_HERE)]
    lines = traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines).rstrip()


def fault(kind: str, step: int, message: str, tb: str = "") -> dict[str, Any]:
    return {"kind": kind, "step": step, "message": message, "traceback": tb}


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy().copy()
    return np.array(x, copy=True)


def _tensors_of(value: Any, params: Sequence[Any]) -> list[Any] | None:
    """``value`` as one tensor per parameter (a list, or a dict by parameter or index)."""
    n = len(params)
    if isinstance(value, (list, tuple)) and len(value) == n:
        items = list(value)
    elif isinstance(value, Mapping) and len(value) == n:
        if all(any(k is p for p in params) for k in value):
            items = [next(value[k] for k in value if k is p) for p in params]
        elif set(value) == set(range(n)):
            items = [value[i] for i in range(n)]
        else:
            return None
    else:
        return None
    shapes = [tuple(getattr(p, "shape", ())) for p in params]
    ok = all(hasattr(x, "shape") and tuple(x.shape) == s for x, s in zip(items, shapes))
    return items if ok else None


def exposed_states(obj: Any, params: Sequence[Any]) -> dict[str, list[Any]]:
    """Every per-parameter tensor family ``obj`` shows: ``obj.state[p][name]`` (torch's layout),
    attributes holding one tensor per parameter, or a functional step's state dict."""
    found: dict[str, list[Any]] = {}
    st = obj if isinstance(obj, Mapping) else getattr(obj, "state", None)
    if isinstance(st, Mapping) and params and any(k is params[0] for k in st):
        per = [next((st[k] for k in st if k is p), {}) for p in params]
        names = {n for d in per if isinstance(d, Mapping) for n in d}
        for n in names:
            items = [d.get(n) if isinstance(d, Mapping) else None for d in per]
            got = _tensors_of(items, params)
            if got is not None:
                found[str(n)] = got
    sources = st.items() if isinstance(obj, Mapping) else (
        vars(obj).items() if hasattr(obj, "__dict__") else ())
    for n, value in sources:
        if n in ("params", "param_groups", "state", "defaults") or value is params:
            continue
        got = _tensors_of(value, params)
        if got is not None and not any(a is b for a, b in zip(got, params)):
            found[str(n)] = got
    return found


def _set_lr(obj: Any, lr_arg: str | None, lr: float) -> bool:
    groups = getattr(obj, "param_groups", None)
    if isinstance(groups, list) and groups and all(isinstance(g, dict) for g in groups):
        key = "lr" if "lr" in groups[0] or lr_arg is None else lr_arg
        for g in groups:
            g[key] = lr
        return True
    if lr_arg is not None and isinstance(getattr(obj, lr_arg, None), (int, float)):
        setattr(obj, lr_arg, lr)
        return True
    return False


def _check_params(now: Sequence[Any], shapes: Sequence[tuple], dtype: str, step: int
                  ) -> dict[str, Any] | None:
    if len(now) != len(shapes):
        return fault("wrong-shape", step, f"{len(now)} parameter tensors, expected {len(shapes)}")
    for i, (x, s) in enumerate(zip(now, shapes)):
        shape = tuple(getattr(x, "shape", ()))
        if not hasattr(x, "shape") or shape != s:
            return fault("wrong-shape", step, f"parameter {i} has shape {shape}, expected {s}")
        got = str(x.dtype).replace("torch.", "")
        if got != dtype:
            return fault("wrong-dtype", step, f"parameter {i} became {got}, expected {dtype}")
        values = _to_numpy(x)
        if np.isnan(values).any():
            where = np.unravel_index(int(np.flatnonzero(np.isnan(values))[0]), shape) \
                if shape else ()
            return fault("nan", step, f"parameter {i}{list(map(int, where)) if shape else ''} "
                                      "is NaN (the gradients are finite)")
    return None


def _stopped(out: dict[str, Any], bad: dict[str, Any], k: int) -> dict[str, Any]:
    """The run ends at a NaN; its step ``k`` is kept in the recording (so a variant of the
    spec can be matched against it), with the states recorded on every step up to ``k``."""
    out["fault"] = bad
    out["states"] = {s: q for s, q in out["states"].items() if len(q[0]) == k}
    return out


def run_optimizer(obj: Any, kind: str, run: Mapping[str, Any], rule: str,
                  spec_states: Sequence[str], frame: str = "torch",
                  progress: Callable[[int], None] = lambda k: None) -> dict[str, Any]:
    """One run of an optimizer class or a functional step; see the module docstring."""
    dtype, lrs, kwargs = run["dtype"], run["lrs"], dict(run["kwargs"])
    lr_arg = run.get("lr_arg")
    shapes = [tuple(p.shape) for p in run["params"]]
    steps = len(run["grads"])
    out: dict[str, Any] = {"params": [[] for _ in shapes], "states": {}, "fault": None,
                           "lr_changed": True, "state_names": {}}
    use_torch = kind == "optimizer" or frame == "torch"
    if use_torch:
        import torch

        def make(a: np.ndarray, param: bool = False):
            t = torch.tensor(a.astype(dtype))
            return torch.nn.Parameter(t) if param else t
    else:
        def make(a: np.ndarray, param: bool = False):
            return np.array(a, dtype=dtype)
    params = [make(p, kind == "optimizer") for p in run["params"]]
    holder: Any = None
    state: Any = None
    k = 0
    try:
        if kind == "optimizer":
            holder = obj(params, **kwargs)
        else:
            init = run.get("init")
            state = init(params) if init is not None else {}
        for k in range(1, steps + 1):
            progress(k)
            grads = [make(g) for g in run["grads"][k - 1]]
            lr = lrs[k - 1]
            if kind == "optimizer":
                for p, g in zip(params, grads):
                    p.grad = g
                if not _set_lr(holder, lr_arg, lr):
                    out["lr_changed"] = False
                holder.step()
            else:
                kw = dict(kwargs)
                if lr_arg is not None:
                    kw[lr_arg] = lr
                else:
                    out["lr_changed"] = False
                ret = obj(params, grads, state, **kw)
                if isinstance(ret, tuple) and len(ret) == 2 and isinstance(ret[1], Mapping):
                    params, state = list(ret[0]), ret[1]
                elif isinstance(ret, (list, tuple)) and len(ret) == len(params):
                    params = list(ret)
            bad = _check_params(params, shapes, dtype, k)
            if bad is not None and bad["kind"] != "nan":
                out["fault"] = bad
                return out
            for i, p in enumerate(params):
                out["params"][i].append(_to_numpy(p))
            found = exposed_states(holder if kind == "optimizer" else state, params)
            names = map_states(rule, list(found), spec_states)
            for name, spec in names.items():
                seq = out["states"].setdefault(spec, [[] for _ in shapes])
                if len(seq[0]) != k - 1:  # appeared late or vanished: not comparable
                    continue
                for i, x in enumerate(found[name]):
                    seq[i].append(_to_numpy(x).astype(dtype))
                out["state_names"][spec] = name
            if bad is not None:
                return _stopped(out, bad, k)
    except Exception as exc:  # the user's code failed: a verdict, with their traceback
        out["fault"] = fault("raises", k, f"{type(exc).__name__}: {exc}", user_traceback(exc))
        return out
    out["states"] = {s: seq for s, seq in out["states"].items() if len(seq[0]) == steps}
    return out


def optax_states(state: Any, params: Sequence[Any]) -> dict[str, list[Any]]:
    """The per-parameter arrays in an optax state (nested named tuples: ``mu``, ``nu``...)."""
    found: dict[str, list[Any]] = {}

    def walk(node: Any) -> None:
        if hasattr(node, "_fields"):
            for name in node._fields:
                value = getattr(node, name)
                got = None if hasattr(value, "_fields") else _tensors_of(value, params)
                if got is not None:
                    found.setdefault(name, got)
                else:
                    walk(value)
        elif isinstance(node, (list, tuple)):
            for x in node:
                walk(x)
    walk(state)
    return found


def run_optax(tx: Any, run: Mapping[str, Any], rule: str, spec_states: Sequence[str],
              progress: Callable[[int], None] = lambda k: None) -> dict[str, Any]:
    """One run of an optax ``GradientTransformation`` (float64 with jax's x64 switched on);
    its hyperparameters are fixed inside it, so the learning rate stays constant."""
    import jax
    import optax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    dtype = run["dtype"]
    shapes = [tuple(np.shape(p)) for p in run["params"]]
    out: dict[str, Any] = {"params": [[] for _ in shapes], "states": {}, "fault": None,
                           "lr_changed": False, "state_names": {}}
    params = [jnp.asarray(p, dtype=dtype) for p in run["params"]]
    k = 0
    try:
        state = tx.init(params)
        for k in range(1, len(run["grads"]) + 1):
            progress(k)
            grads = [jnp.asarray(g, dtype=dtype) for g in run["grads"][k - 1]]
            updates, state = tx.update(grads, state, params)
            params = list(optax.apply_updates(params, updates))
            bad = _check_params(params, shapes, dtype, k)
            if bad is not None and bad["kind"] != "nan":
                out["fault"] = bad
                return out
            for i, p in enumerate(params):
                out["params"][i].append(np.array(p))
            found = optax_states(state, params)
            for name, spec in map_states(rule, list(found), spec_states).items():
                seq = out["states"].setdefault(spec, [[] for _ in shapes])
                if len(seq[0]) == k - 1:
                    for i, x in enumerate(found[name]):
                        seq[i].append(np.array(x).astype(dtype))
            if bad is not None:
                return _stopped(out, bad, k)
    except Exception as exc:  # the user's transformation failed: a verdict
        out["fault"] = fault("raises", k, f"{type(exc).__name__}: {exc}", user_traceback(exc))
        return out
    out["states"] = {s: q for s, q in out["states"].items() if len(q[0]) == len(run["grads"])}
    return out


def run_schedule(obj: Any, kind: str, run: Mapping[str, Any],
                 progress: Callable[[int], None] = lambda k: None) -> dict[str, Any]:
    """The learning rate of each optimizer step: k = 0 at construction, then after each
    ``step()`` (a class), or ``lr(k)`` (a function)."""
    n, kwargs = run["steps"], dict(run["kwargs"])
    out: dict[str, Any] = {"lrs": [], "fault": None}
    k = 0
    try:
        if kind == "lr":
            for k in range(n):
                progress(k)
                out["lrs"].append(float(obj(k, **kwargs)))
            return out
        import torch

        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=run["base_lr"])
        sched = obj(opt, **kwargs)
        out["lrs"].append(float(opt.param_groups[0]["lr"]))
        for k in range(1, n):
            progress(k)
            opt.step()
            sched.step()
            out["lrs"].append(float(opt.param_groups[0]["lr"]))
    except Exception as exc:
        out["fault"] = fault("raises", k, f"{type(exc).__name__}: {exc}", user_traceback(exc))
    return out
