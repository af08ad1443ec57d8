r"""torch.optim as the independent reference.

Each adapter sets up the state exactly as the torch optimizer class does on its first ``step``
(``_init_group``) and calls torch's *functional* API (``torch.optim.adam.adam`` ...) with
``foreach=False`` (the CPU single-tensor path), or with ``foreach=True`` / ``fused=True`` for
torch's other paths.  The functional API runs the same code as the
class but does not import ``torch._dynamo`` (constructing an optimizer does, +1.1-1.5 s), which
keeps ``optsym verify`` quick to start.  A test checks that these adapters and the torch classes
produce bit-identical trajectories, so the shortcut cannot drift from torch.

:func:`run_reference` returns snapshots: index 0 is the initial state, index k the state after
step k, each ``{"param": [...], <torch state key>: [...]}`` of tensor clones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from optsym.spec import Config

Snapshot = dict[str, list[torch.Tensor]]


_FLAGS = {"single": {"foreach": False, "fused": False},
          "foreach": {"foreach": True, "fused": False},
          "fused": {"foreach": False, "fused": True}}


#: the same paths as constructor flags (RMSprop has no ``fused`` argument: pass only what is on)
_CLASS_FLAGS = {"single": {"foreach": False}, "foreach": {"foreach": True},
                "fused": {"fused": True}}


def _steps(params, path: str) -> list[torch.Tensor]:
    # torch keeps the step count as a float32 0-d tensor: on the CPU for the single-tensor and
    # foreach paths, on the parameter's device for the fused path (``_get_scalar_dtype``)
    if path == "fused":
        return [torch.zeros((), dtype=torch.float32, device=p.device) for p in params]
    return [torch.tensor(0.0, dtype=torch.float32) for _ in params]


def _adam(params, cfg: Config, path: str, decoupled: bool):
    from torch.optim.adam import adam

    state = {"exp_avg": [torch.zeros_like(p) for p in params],
             "exp_avg_sq": [torch.zeros_like(p) for p in params]}
    if cfg["amsgrad"]:
        state["max_exp_avg_sq"] = [torch.zeros_like(p) for p in params]
    steps = _steps(params, path)

    def step(grads):
        adam(params, grads, state["exp_avg"], state["exp_avg_sq"],
             state.get("max_exp_avg_sq", []), steps, **_FLAGS[path],
             decoupled_weight_decay=decoupled, amsgrad=cfg["amsgrad"], beta1=cfg["beta1"],
             beta2=cfg["beta2"], lr=cfg["lr"], weight_decay=cfg["weight_decay"],
             eps=cfg["eps"], maximize=cfg["maximize"])

    return state, step


def _sgd(params, cfg: Config, path: str):
    from torch.optim.sgd import sgd

    buffers: list[Any] = [None for _ in params]
    state = {"momentum_buffer": buffers} if cfg["momentum"] != 0 else {}

    def step(grads):
        sgd(params, grads, buffers, **_FLAGS[path],
            weight_decay=cfg["weight_decay"], momentum=cfg["momentum"], lr=cfg["lr"],
            dampening=cfg["dampening"], nesterov=cfg["nesterov"], maximize=cfg["maximize"])

    return state, step


def _adagrad(params, cfg: Config, path: str):
    from torch.optim.adagrad import adagrad

    state = {"sum": [torch.full_like(p, cfg["initial_accumulator_value"]) for p in params]}
    steps = _steps(params, path)

    def step(grads):
        adagrad(params, grads, state["sum"], steps, **_FLAGS[path],
                lr=cfg["lr"], weight_decay=cfg["weight_decay"], lr_decay=cfg["lr_decay"],
                eps=cfg["eps"], maximize=cfg["maximize"])

    return state, step


def _rmsprop(params, cfg: Config, path: str):
    from torch.optim.rmsprop import rmsprop

    state = {"square_avg": [torch.zeros_like(p) for p in params]}
    if cfg["centered"]:
        state["grad_avg"] = [torch.zeros_like(p) for p in params]
    if cfg["momentum"] > 0:
        state["momentum_buffer"] = [torch.zeros_like(p) for p in params]
    steps = _steps(params, path)

    def step(grads):
        rmsprop(params, grads, state["square_avg"], state.get("grad_avg", []),
                state.get("momentum_buffer", []), steps, foreach=_FLAGS[path]["foreach"],
                lr=cfg["lr"],
                alpha=cfg["alpha"], eps=cfg["eps"], weight_decay=cfg["weight_decay"],
                momentum=cfg["momentum"], centered=cfg["centered"], maximize=cfg["maximize"])

    return state, step


ADAPTERS: dict[str, Callable] = {
    "adam": lambda p, c, path: _adam(p, c, path, c["decoupled_weight_decay"]),
    "adamw": lambda p, c, path: _adam(p, c, path, True),
    "sgd": _sgd,
    "adagrad": _adagrad,
    "rmsprop": _rmsprop,
}


def _snapshot(params, state, like) -> Snapshot:
    snap = {"param": [p.detach().clone() for p in params]}
    for key, tensors in state.items():
        snap[key] = [torch.zeros_like(p) if x is None else x.detach().clone()
                     for x, p in zip(tensors, like)]
    return snap


def run_reference(rule_name: str, cfg: Config, params: list[torch.Tensor],
                  grads: list[list[torch.Tensor]], path: str = "single") -> list[Snapshot]:
    """torch's trajectory from ``params`` over the gradient stream ``grads``, on ``path``."""
    params = [p.detach().clone() for p in params]
    state, step = ADAPTERS[rule_name](params, cfg, path)
    snaps = [_snapshot(params, state, params)]
    with torch.no_grad():
        for g in grads:
            step([x.clone() for x in g])
            snaps.append(_snapshot(params, state, params))
    return snaps


def run_torch_class(rule_name: str, cfg: Config, params: list[torch.Tensor],
                    grads: list[list[torch.Tensor]], **flags) -> list[Snapshot]:
    """The same trajectory through the ``torch.optim`` class (slow to import; used in tests)."""
    return _class_loop(rule_name, cfg, params, grads, flags).snaps


@dataclass
class Composed:
    """A torch run of optimizer + scheduler + clipping: snapshots, and per step the learning
    rate torch used and the gradients after clipping."""

    snaps: list[Snapshot]
    lrs: list[float]
    grads: list[list[torch.Tensor]]


def run_composed(rule_name: str, cfg: Config, params: list[torch.Tensor],
                 grads: list[list[torch.Tensor]], path: str = "single",
                 schedule: tuple[str, Config] | None = None,
                 clip: tuple[str, float] | None = None) -> Composed:
    """torch's training loop as a user writes it: per step set ``.grad``, clip with
    ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``, ``optimizer.step()``, then
    ``scheduler.step()``.  Uses the ``torch.optim`` class (the scheduler needs one)."""
    return _class_loop(rule_name, cfg, params, grads, _CLASS_FLAGS[path], schedule, clip)


def _class_loop(rule_name: str, cfg: Config, params: list[torch.Tensor],
                grads: list[list[torch.Tensor]], flags: dict,
                schedule: tuple[str, Config] | None = None,
                clip: tuple[str, float] | None = None) -> Composed:
    import warnings

    import torch.optim

    from optsym import rules
    from optsym.verify.schedule_reference import make_scheduler

    rule = rules.get(rule_name)
    kwargs = dict(cfg)
    if "beta1" in kwargs:
        kwargs["betas"] = (kwargs.pop("beta1"), kwargs.pop("beta2"))
    params = [torch.nn.Parameter(p.detach().clone()) for p in params]
    opt = getattr(torch.optim, rule.torch_class)(params, **kwargs, **flags)
    sched = make_scheduler(schedule[0], opt, schedule[1]) if schedule else None
    keys = [s.name for s in rule.states(cfg)]

    def snap() -> Snapshot:
        out = {"param": [p.detach().clone() for p in params]}
        for key in keys:
            out[key] = [opt.state[p][key].detach().clone() if key in opt.state[p]
                        and opt.state[p][key] is not None else torch.zeros_like(p)
                        for p in params]
        return out

    run = Composed([snap()], [], [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for g in grads:
            for p, gi in zip(params, g):
                p.grad = gi.clone()
            if clip is not None and clip[0] == "norm":
                torch.nn.utils.clip_grad_norm_(params, clip[1])
            elif clip is not None:
                torch.nn.utils.clip_grad_value_(params, clip[1])
            run.grads.append([p.grad.detach().clone() for p in params])
            run.lrs.append(float(opt.param_groups[0]["lr"]))
            opt.step()
            if sched is not None:
                sched.step()
            run.snaps.append(snap())
    return run
