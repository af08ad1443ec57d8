r"""The target's recorded run against a rule (the spec, or a variant of it): equal or not, where.

Three verdicts, strongest first:

* **bitwise**: the parameters and every exposed state have the same bits as the rule's
  torch-order code (``torch-parity``) run freely from the same start, at every step;
* **within the rounding bound**: where the target exposes every state tensor, each step is
  recomputed by the rule's textbook code *from the target's own state* and each element must
  lie within the first-order rounding bound of :mod:`optsym.verify.bounds`,

  .. math:: |\text{target} - \text{spec}| \le u\,\bigl(B(f_\text{textbook}) +
            B(f_\text{torch order})\bigr) + \text{tiny}

  (so a slip shows at the step where it first matters, not blurred by a trajectory).  Where a
  state is hidden, the rule runs freely and the bound is accumulated over the steps,
  :math:`\sum_{j \le k} u\,B_j`, evaluated along the rule's own trajectory (a first-order
  estimate: errors carried through a hidden state are not amplified);
* **different**: the first step and element where the target leaves the rule, both values.

The *gap* is the largest parameter difference after the last step, the rule run freely.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from optsym.verify import metrics


@dataclass
class Comparison:
    """How one recorded run compares with one rule."""

    equal: bool
    mode: str  # bitwise | one-step | trajectory
    criterion: str
    #: the first differing element: step, tensor, element, target, spec, bound
    first: dict[str, Any] | None = None
    #: the outputs that differ at that step (which state diverged first)
    diverged: list[str] = field(default_factory=list)
    worst_ratio: float = 0.0
    gap: float = 0.0
    compared: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _namespace(rule: Any, cfg: Mapping[str, Any], backend: str) -> dict:
    from optsym.codegen.module import generate, load

    return load(generate(rule, cfg, backend), f"optsym_check_{backend.replace('-', '_')}")


def _step_kwargs(ns: dict, cfg: Mapping[str, Any]) -> dict[str, Any]:
    import inspect

    names = [p.name for p in inspect.signature(ns["step"]).parameters.values()
             if p.kind is inspect.Parameter.KEYWORD_ONLY]
    return {n: cfg[n] for n in names}


def _init_kw(rule: Any, cfg: Mapping[str, Any]) -> dict[str, Any]:
    states = rule.states(cfg)
    return {h.name: cfg[h.name] for h in rule.hypers if h.symbol is not None
            and any(h.symbol in s.init.free_symbols for s in states)}


def _np(x: Any) -> np.ndarray:
    return np.array(x.detach().cpu().numpy() if hasattr(x, "detach") else x, copy=True)


def free_run(rule: Any, cfg: Mapping[str, Any], run: Mapping[str, Any], lrs: Sequence[float],
             backend: str = "numpy") -> dict[str, list[np.ndarray]]:
    """The rule's generated code from the run's start: ``out[name][i]`` stacks tensor i over
    steps 0..N (0: before the first step)."""
    ns = _namespace(rule, cfg, backend)
    kw = _step_kwargs(ns, cfg)
    if backend == "numpy":
        params = [np.array(p, copy=True) for p in run["params"]]
        wrap = np.array
    else:
        import torch

        params = [torch.tensor(np.array(p)) for p in run["params"]]
        wrap = torch.tensor  # type: ignore[assignment]
    state = ns["init_state"](params, **_init_kw(rule, cfg))
    names = ["param"] + [s.name for s in rule.states(cfg)]
    out = {n: [[_np(x)] for x in (params if n == "param" else state[n])] for n in names}
    with np.errstate(all="ignore"):
        for k, grads in enumerate(run["grads"]):
            step_kw = {**kw, "lr": lrs[k]} if "lr" in kw else kw
            ns["step"](params, [wrap(np.array(g)) for g in grads], state, **step_kw)
            for n in names:
                for i, x in enumerate(params if n == "param" else state[n]):
                    out[n][i].append(_np(x))
    return {n: [np.stack(seq) for seq in per] for n, per in out.items()}


def target_stacks(rule: Any, cfg: Mapping[str, Any], run: Mapping[str, Any],
                  rec: Mapping[str, Any]) -> dict[str, list[np.ndarray]]:
    """The target's recording in the same layout; a state starts from the rule's own init."""
    ns = _namespace(rule, cfg, "numpy")
    init = ns["init_state"]([np.array(p) for p in run["params"]], **_init_kw(rule, cfg))
    out = {"param": [np.stack([np.asarray(p0)] + list(seq))
                     for p0, seq in zip(run["params"], rec["params"])]}
    for name, per in rec.get("states", {}).items():
        if name not in init:
            continue
        try:
            out[name] = [np.stack([np.asarray(x0, dtype=run["dtype"])] + list(seq))
                         for x0, seq in zip(init[name], per)]
        except ValueError:  # a state of another shape: not comparable
            continue
    return out


def _one_step(rule: Any, cfg: Mapping[str, Any], run: Mapping[str, Any], lrs: Sequence[float],
              target: Mapping[str, list[np.ndarray]], names: Sequence[str]
              ) -> dict[str, list[np.ndarray]]:
    """Each step of the rule's textbook code from the target's state before it."""
    ns = _namespace(rule, cfg, "numpy")
    kw = _step_kwargs(ns, cfg)
    n_t = len(run["params"])
    ours: dict[str, list[list[np.ndarray]]] = {n: [[] for _ in range(n_t)] for n in names}
    with np.errstate(all="ignore"):
        for k in range(1, len(run["grads"]) + 1):
            params = [np.array(target["param"][i][k - 1]) for i in range(n_t)]
            state: dict[str, Any] = {"step": k - 1}
            for n in names[1:]:
                state[n] = [np.array(target[n][i][k - 1]) for i in range(n_t)]
            step_kw = {**kw, "lr": lrs[k - 1]} if "lr" in kw else kw
            ns["step"](params, [np.array(g) for g in run["grads"][k - 1]], state, **step_kw)
            for n in names:
                for i, x in enumerate(params if n == "param" else state[n]):
                    ours[n][i].append(np.array(x))
    return {n: [np.stack(s) for s in per] for n, per in ours.items()}


def _tolerances(rule: Any, cfg: Mapping[str, Any], run: Mapping[str, Any],
                lrs: Sequence[float], before: Mapping[str, list[np.ndarray]],
                names: Sequence[str]) -> dict[str, list[np.ndarray]]:
    """u*(B_textbook + B_torch) + tiny per element and step, at the states ``before``."""
    from optsym.proof import outputs
    from optsym.spec import per_tensor_values
    from optsym.verify.bounds import evaluate_bound
    from optsym.verify.runner import bound_expressions

    exprs = bound_expressions(rule, cfg)
    dtype = np.dtype(run["dtype"])
    u, tiny = float(np.finfo(dtype).eps) / 2, float(np.finfo(dtype).tiny)
    leaves = {h.symbol for h in rule.hypers if h.symbol is not None}
    steps = len(run["grads"])
    out: dict[str, list[np.ndarray]] = {n: [] for n in names}
    for i in range(len(run["params"])):
        shape = tuple(np.shape(run["params"][i]))
        col = (steps,) + (1,) * len(shape)
        values: dict[str, Any] = {h.name: float(cfg[h.name]) for h in rule.hypers
                                  if h.symbol is not None and cfg[h.name] is not None}
        values.update(per_tensor_values(shape, float(np.finfo(dtype).eps)))
        values["lr"] = np.array(lrs, dtype=np.float64).reshape(col)
        values["t"] = np.arange(1, steps + 1, dtype=np.float64).reshape(col)
        values["grad"] = np.stack([np.asarray(g[i], dtype=np.float64) for g in run["grads"]])
        for n, sym in outputs(rule, cfg):
            b = before[n][i][:-1].astype(np.float64)
            values[sym.name] = b.reshape(b.shape + (1,) * (len(shape) + 1 - b.ndim))
        for n in names:
            own = before[n][i].shape[1:]
            bound = sum(evaluate_bound(f, leaves, values, u) for f in exprs[n])
            out[n].append(u * np.broadcast_to(bound, (steps,) + own) + tiny)
    return out


def _locate(shape: tuple[int, ...], flat: int) -> str:
    return "" if not shape else "[" + ", ".join(str(int(j)) for j in
                                                np.unravel_index(flat, shape)) + "]"


def _judge(ours: Mapping[str, list[np.ndarray]], theirs: Mapping[str, list[np.ndarray]],
           tol: Mapping[str, list[np.ndarray]] | None, names: Sequence[str]
           ) -> tuple[dict[str, Any] | None, list[str], float]:
    """The first differing element over ``names`` (earliest step, then the order of names),
    every output differing at that step, and the worst error/bound ratio."""
    first: dict[str, Any] | None = None
    at: dict[int, list[str]] = {}
    worst = 0.0
    for n in names:
        for i, (a, b) in enumerate(zip(ours[n], theirs[n])):
            err = metrics.abs_error(a, b)
            if tol is None:
                bad = ~metrics.same_bits(a, b)
            else:
                t = tol[n][i]
                bad = (err != 0) & ~(np.isfinite(err) & (err <= t))
                with np.errstate(all="ignore"):
                    r = np.where((err == 0) | ~np.isfinite(t), 0.0, err / t)
                worst = max(worst, float(np.nanmax(np.where(bad, 0.0, r), initial=0.0)))
            if not bad.any():
                continue
            flat = int(np.flatnonzero(bad.reshape(len(bad), -1).any(axis=1))[0])
            k = flat + 1
            elem = int(np.flatnonzero(bad[flat].ravel())[0])
            at.setdefault(k, []).append(n if len(ours[n]) == 1 else f"{n}[{i}]")
            if first is None or k < first["step"]:
                first = {"step": k, "tensor": f"{n}[{i}]{_locate(b.shape[1:], elem)}",
                         "target": float(np.ravel(b[flat])[elem]),
                         "spec": float(np.ravel(a[flat])[elem]),
                         "bound": None if tol is None else float(np.ravel(
                             np.broadcast_to(tol[n][i], b.shape)[flat])[elem])}
    return first, (at[first["step"]] if first else []), worst


def compare(rule: Any, overrides: Mapping[str, Any], run: Mapping[str, Any],
            rec: Mapping[str, Any], bitwise: bool = True) -> Comparison:
    """``rec`` (the child's recording of ``run``) against ``rule`` under ``overrides``."""
    from optsym.proof import outputs

    cfg = rule.config(overrides)
    lrs = run["lrs"] if rec.get("lr_changed", True) else [run["lrs"][0]] * len(run["lrs"])
    target = target_stacks(rule, cfg, run, rec)
    names = [n for n, _ in outputs(rule, cfg)]
    compared = [n for n in names if n in target]
    free = free_run(rule, cfg, run, lrs)
    gap = max(float(np.max(metrics.abs_error(a[-1], b[-1]), initial=0.0))
              for a, b in zip(free["param"], target["param"]))
    if bitwise:
        parity = free_run(rule, cfg, run, lrs, "torch-parity")
        first, _, _ = _judge({n: [s[1:] for s in parity[n]] for n in compared},
                             {n: [s[1:] for s in target[n]] for n in compared}, None, compared)
        if first is None:
            return Comparison(True, "bitwise", "bitwise (same bits as torch's order, every "
                              "step)", gap=gap, compared=compared)
    theirs = {n: [s[1:] for s in target[n]] for n in compared}
    if compared == names:
        ours = _one_step(rule, cfg, run, lrs, target, names)
        tol = _tolerances(rule, cfg, run, lrs, target, names)
        mode = "one-step"
        criterion = ("each step from the target's own state, within the first-order rounding "
                     "bound u*(B_textbook + B_torch)")
    else:
        ours = {n: [s[1:] for s in free[n]] for n in compared}
        per_step = _tolerances(rule, cfg, run, lrs, free, names)
        tol = {n: [np.cumsum(np.broadcast_to(t, ours[n][i].shape), axis=0)
                   for i, t in enumerate(per_step[n])] for n in compared}
        mode = "trajectory"
        hidden = ", ".join(n for n in names if n not in compared)
        criterion = (f"run freely ({hidden} not exposed), within the rounding bound summed "
                     "over the steps")
    first, diverged, worst = _judge(ours, theirs, tol, compared)
    return Comparison(first is None, mode, criterion, first, diverged, worst, gap, compared)
