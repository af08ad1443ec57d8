r"""``optsym verify``: generated code against torch.optim, configuration by configuration.

For each configuration of the rule's sweep (or the one given), each backend, dtype and device:

* **torch-parity** (torch's operation order) runs freely from the same start as torch over the
  whole gradient stream and must match it to **0 ULP** in every element of the parameters and of
  every state tensor at every step.  The first difference is reported (step, tensor, element).
* **torch** and **numpy** (textbook equations) are checked *one step at a time*: each step starts
  from torch's own parameters and state, so the comparison measures the step's rounding, not
  chaos accumulated over a trajectory.  An element passes when it lies within the first-order
  rounding-error bound derived from the expressions (:mod:`optsym.verify.bounds`).

A wrong formula (a missing bias correction, a step-1 case left out) fails both: it moves the
result by far more than rounding, at the first step where it matters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from optsym.codegen.module import generate, load
from optsym.ops import Float32
from optsym.reductions import Mean, Norm
from optsym.proof import compose, outputs
from optsym.report import RunCheck
from optsym.spec import Config, Rule, SpecError, per_tensor_values
from optsym.verify import metrics
from optsym.verify.accumulate import Accumulator, not_finite_inputs
from optsym.verify.bounds import evaluate_bound
from optsym.verify.stream import problem_for

BACKENDS = ("torch-parity", "torch", "numpy")
DTYPES = ("float32", "float64")


@dataclass(kw_only=True)
class Result(RunCheck):
    """One configuration, backend, dtype and device of a rule against its reference."""

    config: dict[str, Any]
    overrides: dict[str, Any]
    backend: str
    dtype: str
    device: str
    #: ``trajectory`` (bitwise over a free run), ``one-step`` (within the bound) or ``skipped``
    mode: str
    #: elements whose bound is not finite (not checkable to first order)
    ill_conditioned: int = 0
    #: elements where torch's value or an input of the step is inf or NaN, or an intermediate
    #: overflows, and ours differs: real arithmetic has no value there; not a failure
    outside_domain: int = 0
    outside_first: str | None = None
    #: why this check did not run (the textbook form outside its domain), or None
    skipped: str | None = None


@dataclass
class Report:
    rule: str
    path: str = "single"
    results: list[Result] = field(default_factory=list)
    #: the independent reference, by class (``torch.optim.Adam``, ``pytorch_optimizer.Lion``)
    reference: str = ""

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "impl": self.path, "reference": self.reference,
                "passed": self.passed,
                "results": [r.as_dict() for r in self.results]}


@dataclass
class _Extras:
    """What runs around the parity step: the generated clip and the schedule's rates."""

    clip: Any = None
    lrs: list[float] | None = None


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy()


def _to_backend(x: np.ndarray, backend: str, device):
    import torch

    x = np.array(x)  # a copy, and a 0-d array rather than a NumPy scalar
    return x if backend == "numpy" else torch.from_numpy(x).to(device)


def _stacks(snaps) -> dict[str, list[np.ndarray]]:
    """torch's snapshots as NumPy stacks: ``out[name][i][k]`` is tensor i after step k."""
    return {name: [np.stack([_np(s[name][i]) for s in snaps]) for i in range(len(snaps[0][name]))]
            for name in snaps[0]}


def _trajectory(namespace, cfg_kw, init_kw, snaps, ref, grads, state_names, acc,
                extras: _Extras | None = None) -> None:
    """Free run of the parity code from torch's start; 0 ULP required everywhere.  With
    ``extras``, each step first clips the gradients with the generated parity clip and takes
    the generated parity schedule's learning rate."""
    params = [p.clone() for p in snaps[0]["param"]]
    state = namespace["init_state"](params, **init_kw)
    ours: dict[str, list[list[np.ndarray]]] = {n: [[] for _ in params]
                                               for n in ["param", *state_names]}
    for i, g in enumerate(grads):
        g = [x.clone() for x in g]
        kw = dict(cfg_kw)
        if extras is not None:
            if extras.clip is not None:
                extras.clip(g)
            if extras.lrs is not None:
                kw["lr"] = extras.lrs[i]
        namespace["step"](params, g, state, **kw)
        for n, tensors in ours.items():
            for i, x in enumerate(params if n == "param" else state[n]):
                tensors[i].append(_np(x).copy())
    for n, tensors in ours.items():
        for i, seq in enumerate(tensors):
            acc.add(np.stack(seq), ref[n][i][1:], (n, i), None)


def _one_step(namespace, cfg_kw, ref, grad_stack, rule, cfg, exprs, backend, device,
              acc, lrs: list[float] | None = None) -> None:
    """Each step from torch's state; each element within the rounding bound.  ``lrs``: the
    learning rate torch used at each step (under a schedule)."""
    out = outputs(rule, cfg)
    names = [n for n, _ in out]
    n_tensors = len(ref["param"])
    steps = ref["param"][0].shape[0] - 1
    ours: dict[tuple[str, int], list[np.ndarray]] = {}
    for k in range(1, steps + 1):
        params = [_to_backend(ref["param"][i][k - 1], backend, device) for i in range(n_tensors)]
        state = {"step": k - 1}
        for n in names[1:]:
            state[n] = [_to_backend(ref[n][i][k - 1], backend, device) for i in range(n_tensors)]
        grads = [_to_backend(grad_stack[i][k - 1], backend, device) for i in range(n_tensors)]
        kw = dict(cfg_kw) if lrs is None else {**cfg_kw, "lr": lrs[k - 1]}
        with np.errstate(all="ignore"):  # overflow is judged by the comparison, not warned about
            namespace["step"](params, grads, state, **kw)
        for n in names:
            for i, x in enumerate(params if n == "param" else state[n]):
                ours.setdefault((n, i), []).append(np.array(x if backend == "numpy" else _np(x)))
    dtype = ref["param"][0].dtype
    u, tiny = float(np.finfo(dtype).eps) / 2, float(np.finfo(dtype).tiny)
    leaves = {h.symbol for h in rule.hypers if h.symbol is not None}
    for i in range(n_tensors):
        shape = ref["param"][i].shape[1:]
        values = {h.name: float(cfg[h.name]) for h in rule.hypers
                  if h.symbol is not None and cfg[h.name] is not None}
        values.update(per_tensor_values(tuple(shape), float(np.finfo(dtype).eps)))
        if lrs is not None:
            values["lr"] = np.array(lrs, dtype=np.float64).reshape((steps,) + (1,) * len(shape))
        values["t"] = np.arange(1, steps + 1, dtype=np.float64).reshape(
            (steps,) + (1,) * len(shape))
        values["grad"] = grad_stack[i].astype(np.float64)
        for n, sym in out:
            before = ref[n][i][:-1].astype(np.float64)  # a scalar state broadcasts per step
            values[sym.name] = before.reshape(before.shape + (1,) * (len(shape) + 1
                                                                     - before.ndim))
        for n in names:
            # a scalar state is float32 whatever the parameters' dtype: its own u and tiny
            u_n, tiny_n = ((u, tiny) if ref[n][i].dtype == dtype else
                           (float(np.finfo(ref[n][i].dtype).eps) / 2,
                            float(np.finfo(ref[n][i].dtype).tiny)))
            # each output's own shape (Adafactor's row_var is (n, 1)); a scalar state's bound is
            # first taken over the parameter's shape
            own = tuple(shape) if ref[n][i].ndim == 1 else ref[n][i].shape[1:]
            # the textbook backends: an overflowing intermediate leaves the bound's domain (NaN)
            huge = None if backend == "torch-parity" else float(np.finfo(ref[n][i].dtype).max)
            bound = np.broadcast_to(sum(evaluate_bound(f, leaves, values, u_n, tiny_n, huge)
                                        for f in exprs[n]), (steps,) + own)
            # the parity form models torch's own handling of inf and NaN inputs
            undefined = (None if backend == "torch-parity" else
                         not_finite_inputs(values, (steps,) + own))
            if undefined is not None and any(f.has(Norm, Mean, sp.Sum) for f in exprs[n]):
                # a reduction over the tensor (a norm, Adafactor's RMS): one element not
                # finite leaves every element of that step undefined
                flat = undefined.reshape(steps, -1).any(axis=1)
                undefined = np.broadcast_to(flat.reshape((steps,) + (1,) * len(own)),
                                            undefined.shape)
            if ref[n][i].ndim == 1 and shape:  # a scalar state: its worst case over the tensor
                bound = bound.reshape(steps, -1).max(axis=1)
                undefined = None if undefined is None else undefined.reshape(steps, -1).any(1)
            acc.add(np.stack(ours[(n, i)]), ref[n][i][1:], (n, i), u_n * bound + tiny_n,
                    undefined)


def bound_expressions(rule: Rule, cfg: Config, path: str = "single"
                      ) -> dict[str, tuple[sp.Expr, sp.Expr]]:
    """Per output: its textbook and torch-order expressions, whose bounds add up.  The torch
    order keeps its roundings to float32 (:class:`~optsym.ops.Float32`: scalar state)."""
    book = compose(rule.textbook(cfg))
    impl = compose(rule.implementation_for(path)(cfg), keep=(Float32,))
    return {name: (book.get(sym, sym), impl.get(sym, sym)) for name, sym in outputs(rule, cfg)}


def verify(rule: Rule, configs: list[dict[str, Any]], backends=BACKENDS, dtypes=DTYPES,
           devices=("cpu",), steps: int = 100, seed: int = 0, path: str = "single",
           grad_stream: str = "random",
           schedule: tuple[Any, dict[str, Any]] | None = None,
           clip: tuple[str, float] | None = None) -> Report:
    """Run every (configuration, backend, dtype, device) against torch's ``path``.

    ``schedule`` (a :class:`~optsym.schedules.spec.Schedule` and its configuration) and
    ``clip`` (``("norm" | "value", threshold)``) compose the rule with a learning-rate schedule
    and gradient clipping, against torch's optimizer + scheduler + ``clip_grad_*_`` loop: the
    parity backend runs the generated schedule and clip code and must stay bitwise; the
    textbook backends take each step from torch's state, clipped gradients and learning rate.
    """
    import torch

    from optsym.verify.reference import run_composed, run_reference

    rule.implementation_for(path)  # an unknown path fails before any work
    rule.reference.load(rule.name)  # so does a reference whose package is missing
    report = Report(rule.name, path, reference=rule.reference_class)
    composed = schedule is not None or clip is not None
    extras = _extras(schedule, clip, steps) if composed else None
    problem = problem_for(grad_stream, steps, seed)
    for overrides in configs:
        cfg = rule.config(overrides)
        states = rule.states(cfg)
        init_kw = {h.name: cfg[h.name] for h in rule.hypers if h.symbol is not None
                   and any(h.symbol in s.init.free_symbols for s in states)}
        sources = {b: load(generate(rule, cfg, b, path), f"optsym_{rule.name}_{b}")
                   for b in backends}
        exprs = bound_expressions(rule, cfg, path)
        for device in devices:
            for dtype in dtypes:
                tdtype = getattr(torch, dtype)
                params0 = [torch.tensor(p, dtype=tdtype, device=device) for p in problem.params]
                grads = [[torch.tensor(x, dtype=tdtype, device=device) for x in g]
                         for g in problem.grads]
                torch_lrs = None
                try:
                    if composed:
                        run = run_composed(rule, cfg, params0, grads, path,
                                           None if schedule is None else
                                           (schedule[0].name, schedule[1]), clip)
                        snaps, torch_lrs, used_grads = run.snaps, run.lrs, run.grads
                    else:
                        snaps, used_grads = run_reference(rule, cfg, params0, grads,
                                                          path), grads
                except (RuntimeError, OverflowError) as exc:  # torch fails at step time
                    first = str(exc).strip().splitlines()[0]
                    if isinstance(exc, OverflowError) and schedule is not None:
                        raise SpecError(f"torch's {schedule[0].name} scheduler overflows within "
                                        f"{steps} steps ({first}): use fewer --steps or other "
                                        "--schedule-opt values") from None
                    raise SpecError(f"{rule.reference_class} fails on this "
                                    f"configuration: {first}") from None
                ref = _stacks(snaps)
                grad_stack = [np.stack([_np(g[i]) for g in used_grads])
                              for i in range(len(params0))]
                for backend in backends:
                    if backend == "numpy" and device != "cpu":
                        continue
                    ns = sources[backend]
                    cfg_kw = _step_kwargs(ns)
                    acc = Accumulator()
                    inexact_dtypes, reason = rule.inexact.get(path, ((), ""))
                    outside = (None if backend == "torch-parity" or rule.textbook_domain is None
                               else rule.textbook_domain(cfg, dtype))
                    if outside is not None:
                        report.results.append(Result(
                            config=dict(cfg), overrides=rule.non_default(cfg), backend=backend,
                            dtype=dtype, device=device, steps=0, max_abs=0.0, max_rel=0.0,
                            max_ulp=0, passed=True, mode="skipped",
                            criterion=f"not checked: outside the textbook form's domain in "
                                      f"{dtype}: {outside}", skipped=outside))
                        continue
                    if backend == "torch-parity" and dtype not in inexact_dtypes:
                        run_extras = _with_clip(extras)
                        _trajectory(ns, {k: cfg[k] for k in cfg_kw}, init_kw, snaps, ref, grads,
                                    [s.name for s in states], acc, run_extras)
                        mode, criterion = "trajectory", "bitwise (0 ULP, same bits)"
                        if composed:
                            criterion += _composed_note(schedule, clip, extras, torch_lrs, acc)
                        passed = acc.first_failure is None
                    else:
                        _one_step(ns, {k: cfg[k] for k in cfg_kw}, ref, grad_stack, rule, cfg,
                                  exprs, backend, device, acc, torch_lrs if schedule else None)
                        mode = "one-step"
                        criterion = "first-order rounding bound u*(B_textbook + B_torch)"
                        if composed:
                            criterion += (" (each step from torch's state, its clipped "
                                          "gradients and its learning rate)")
                        if backend == "torch-parity":
                            criterion += f" (not bit-exact: {reason})"
                        passed = acc.first_failure is None
                    report.results.append(Result(
                        config=dict(cfg), overrides=rule.non_default(cfg), backend=backend,
                        dtype=dtype,
                        device=device, steps=steps, max_abs=acc.max_abs, max_rel=acc.max_rel,
                        max_ulp=int(acc.max_ulp), passed=passed, mode=mode, criterion=criterion,
                        worst_ratio=None if mode == "trajectory" else acc.worst_ratio,
                        ill_conditioned=acc.ill_conditioned,
                        failure=acc.first_failure, outside_domain=acc.outside_domain,
                        outside_first=None if acc.outside_first is None
                        else acc.outside_first[1]))
    return report


def _extras(schedule, clip, steps: int) -> _Extras:
    """The generated parity schedule (its learning rates) and parity clip source."""
    out = _Extras()
    if schedule is not None:
        from optsym.schedules.codegen import load_lrs

        spec, scfg = schedule
        out.lrs = [float(x) for x in load_lrs(spec, scfg, "torch-parity")(steps)]
        bad = [i for i, x in enumerate(out.lrs) if not np.isfinite(x)]
        if bad:
            raise SpecError(f"the {spec.name} schedule's learning rate is {out.lrs[bad[0]]} at "
                            f"k = {bad[0]} (within {steps} steps): use fewer --steps or other "
                            "--schedule-opt values")
    if clip is not None:
        from optsym.clipping import generate_clip

        out.clip = (clip, generate_clip(clip[0], "torch-parity"))
    return out


def _with_clip(extras: _Extras | None) -> _Extras | None:
    """Bind the generated clip to its threshold."""
    if extras is None or extras.clip is None:
        return extras
    (kind, threshold), source = extras.clip
    fn = load(source, f"optsym_clip_{kind}")["clip"]
    key = "max_norm" if kind == "norm" else "clip_value"
    return _Extras(lambda g: fn(g, **{key: threshold}), extras.lrs)


def _composed_note(schedule, clip, extras: _Extras, torch_lrs, acc) -> str:
    """What else the trajectory ran; a schedule's learning rates must equal torch's bitwise."""
    parts = []
    if schedule is not None:
        ours = np.array(extras.lrs, dtype=np.float64)
        theirs = np.array(torch_lrs, dtype=np.float64)
        differs = ~metrics.same_bits(ours, theirs)
        if differs.any() and acc.failure is None:
            i = int(np.flatnonzero(differs)[0])
            acc.failure = (i + 1, f"step {i + 1}: learning rate ours {ours[i]!r} vs torch "
                                  f"{theirs[i]!r} (schedule {schedule[0].name})")
        parts.append(f"{schedule[0].name} schedule's lr bitwise")
    if clip is not None:
        parts.append(f"clip by {clip[0]} {clip[1]:g}")
    return "; with the generated " + " and ".join(parts)


def _step_kwargs(namespace) -> list[str]:
    import inspect

    return [p.name for p in inspect.signature(namespace["step"]).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY]


__all__ = ["verify", "Report", "Result", "BACKENDS", "DTYPES"]
