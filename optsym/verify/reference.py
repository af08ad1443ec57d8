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


def _adadelta(params, cfg: Config, path: str):
    from torch.optim.adadelta import adadelta

    state = {"square_avg": [torch.zeros_like(p) for p in params],
             "acc_delta": [torch.zeros_like(p) for p in params]}
    steps = _steps(params, path)

    def step(grads):
        adadelta(params, grads, state["square_avg"], state["acc_delta"], steps,
                 foreach=_FLAGS[path]["foreach"], lr=cfg["lr"], rho=cfg["rho"], eps=cfg["eps"],
                 weight_decay=cfg["weight_decay"], maximize=cfg["maximize"])

    return state, step


class _LiveState:
    """A class-based reference's state, read at snapshot time (its tensors appear at step 1)."""

    def __init__(self, opt, params, keys: list[str]) -> None:
        self.opt, self.params, self.keys = opt, params, keys

    def items(self):
        return [(k, [self.opt.state[p].get(k) for p in self.params]) for k in self.keys]


def _pytorch_optimizer(rule_name: str):
    """An adapter for a ``pytorch_optimizer`` class (Lion, LAMB: optimizers torch does not have).

    The reference is the class itself, per-parameter path (``foreach=False``) or its foreach
    path; its ``step`` reads ``p.grad``, which each step sets to a fresh copy of the gradient.
    """

    def adapter(params, cfg: Config, path: str):
        from optsym import rules

        rule = rules.get(rule_name)
        opt = reference_class(rule)(params, **_constructor_kwargs(cfg),
                                    foreach=path == "foreach")
        state = _LiveState(opt, params, [s.name for s in rule.states(cfg)])

        def step(grads):
            for p, g in zip(params, grads):
                p.grad = g
            opt.step()

        return state, step

    return adapter


def reference_class(rule) -> type:
    """The reference optimizer class: ``torch.optim.<torch_class>``, or the class in the
    module ``rule.reference`` names (``pytorch_optimizer.Lion``)."""
    import importlib

    return getattr(importlib.import_module(rule.reference), rule.torch_class)


def _constructor_kwargs(cfg: Config) -> dict:
    """A configuration as the optimizer classes take it (``beta1, beta2`` as ``betas``)."""
    kwargs = dict(cfg)
    if "beta1" in kwargs:
        kwargs["betas"] = (kwargs.pop("beta1"), kwargs.pop("beta2"))
    if "etaminus" in kwargs:  # Rprop's pairs
        kwargs["etas"] = (kwargs.pop("etaminus"), kwargs.pop("etaplus"))
        kwargs["step_sizes"] = (kwargs.pop("step_size_min"), kwargs.pop("step_size_max"))
    if "eps1" in kwargs:  # Adafactor's pair
        kwargs["eps"] = (kwargs.pop("eps1"), kwargs.pop("eps2"))
    return kwargs


def _scalar_states(params, value: float) -> list[torch.Tensor]:
    """One 0-d float32 tensor per parameter (NAdam's ``mu_product``, ASGD's ``eta``, ``mu``),
    on the CPU as the non-capturable classes create them."""
    return [torch.tensor(value, dtype=torch.float32) for _ in params]


def _nadam(params, cfg: Config, path: str):
    from torch.optim.nadam import nadam

    state = {"exp_avg": [torch.zeros_like(p) for p in params],
             "exp_avg_sq": [torch.zeros_like(p) for p in params],
             "mu_product": _scalar_states(params, 1.0)}
    steps = _steps(params, path)

    def step(grads):
        nadam(params, grads, state["exp_avg"], state["exp_avg_sq"], state["mu_product"], steps,
              decoupled_weight_decay=cfg["decoupled_weight_decay"],
              foreach=_FLAGS[path]["foreach"], maximize=cfg["maximize"], beta1=cfg["beta1"],
              beta2=cfg["beta2"], lr=cfg["lr"], weight_decay=cfg["weight_decay"],
              momentum_decay=cfg["momentum_decay"], eps=cfg["eps"])

    return state, step


def _rprop(params, cfg: Config, path: str):
    from torch.optim.rprop import rprop

    state = {"prev": [torch.zeros_like(p) for p in params],
             "step_size": [torch.full_like(p, cfg["lr"]) for p in params]}
    steps = _steps(params, path)

    def step(grads):
        rprop(params, grads, state["prev"], state["step_size"], steps,
              foreach=_FLAGS[path]["foreach"], maximize=cfg["maximize"],
              step_size_min=cfg["step_size_min"], step_size_max=cfg["step_size_max"],
              etaminus=cfg["etaminus"], etaplus=cfg["etaplus"])

    return state, step


def _radam(params, cfg: Config, path: str):
    from torch.optim.radam import radam

    state = {"exp_avg": [torch.zeros_like(p) for p in params],
             "exp_avg_sq": [torch.zeros_like(p) for p in params]}
    steps = _steps(params, path)

    def step(grads):
        radam(params, grads, state["exp_avg"], state["exp_avg_sq"], steps,
              decoupled_weight_decay=cfg["decoupled_weight_decay"],
              foreach=_FLAGS[path]["foreach"], maximize=cfg["maximize"], beta1=cfg["beta1"],
              beta2=cfg["beta2"], lr=cfg["lr"], weight_decay=cfg["weight_decay"], eps=cfg["eps"])

    return state, step


def _adamax(params, cfg: Config, path: str):
    from torch.optim.adamax import adamax

    state = {"exp_avg": [torch.zeros_like(p) for p in params],
             "exp_inf": [torch.zeros_like(p) for p in params]}
    steps = _steps(params, path)

    def step(grads):
        adamax(params, grads, state["exp_avg"], state["exp_inf"], steps,
               foreach=_FLAGS[path]["foreach"], maximize=cfg["maximize"], eps=cfg["eps"],
               beta1=cfg["beta1"], beta2=cfg["beta2"], lr=cfg["lr"],
               weight_decay=cfg["weight_decay"])

    return state, step


def _asgd(params, cfg: Config, path: str):
    from torch.optim.asgd import asgd

    state = {"eta": _scalar_states(params, cfg["lr"]), "mu": _scalar_states(params, 1.0),
             "ax": [torch.zeros_like(p) for p in params]}
    steps = _steps(params, path)

    def step(grads):
        asgd(params, grads, state["ax"], state["mu"], state["eta"], steps,
             foreach=_FLAGS[path]["foreach"], maximize=cfg["maximize"], lambd=cfg["lambd"],
             lr=cfg["lr"], t0=cfg["t0"], alpha=cfg["alpha"], weight_decay=cfg["weight_decay"])

    return state, step


def _adafactor(params, cfg: Config, path: str):
    """Adafactor has no ``torch.optim`` functional export: ``torch.optim._adafactor.adafactor``
    is the function its class calls.  Tensors of two or more dimensions get ``row_var`` and
    ``col_var``, the others ``variance`` (None where torch has none)."""
    from torch.optim._adafactor import adafactor

    def factor(p, axis: int):
        if p.dim() < 2:
            return None
        shape = list(p.shape)
        shape[axis] = 1
        return p.new_zeros(shape)

    state = {"row_var": [factor(p, -1) for p in params],
             "col_var": [factor(p, -2) for p in params],
             "variance": [torch.zeros_like(p) if p.dim() < 2 else None for p in params]}
    steps = _steps(params, path)

    def step(grads):
        adafactor(params, grads, state["row_var"], state["col_var"], state["variance"], steps,
                  foreach=_FLAGS[path]["foreach"], d=cfg["d"], lr=cfg["lr"],
                  beta2_decay=cfg["beta2_decay"], weight_decay=cfg["weight_decay"],
                  eps1=cfg["eps1"], eps2=cfg["eps2"], maximize=cfg["maximize"])

    return state, step


ADAPTERS: dict[str, Callable] = {
    "adam": lambda p, c, path: _adam(p, c, path, c["decoupled_weight_decay"]),
    "adamw": lambda p, c, path: _adam(p, c, path, True),
    "lion": _pytorch_optimizer("lion"),
    "lamb": _pytorch_optimizer("lamb"),
    "sgd": _sgd,
    "adagrad": _adagrad,
    "rmsprop": _rmsprop,
    "nadam": _nadam,
    "radam": _radam,
    "adamax": _adamax,
    "asgd": _asgd,
    "adadelta": _adadelta,
    "rprop": _rprop,
    "adafactor": _adafactor,
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
    kwargs = _constructor_kwargs(cfg)
    params = [torch.nn.Parameter(p.detach().clone()) for p in params]
    opt = reference_class(rule)(params, **kwargs, **flags)
    sched = make_scheduler(schedule[0], opt, schedule[1]) if schedule else None
    keys = [s.name for s in rule.states(cfg)]
    # a state torch has not created yet (before step 1) holds its initial value (Rprop: lr)
    inits = {s.name: float(s.init.subs({h.symbol: cfg[h.name] for h in rule.hypers
                                         if h.symbol is not None and cfg[h.name] is not None}))
             for s in rule.states(cfg)}
    # a scalar state (NAdam's mu_product, ASGD's eta) is a 0-d float32 tensor in torch
    scalar_keys = {s.name for s in rule.states(cfg) if s.scalar}

    def initial(key: str, p: torch.Tensor) -> torch.Tensor:
        return (torch.tensor(inits[key], dtype=torch.float32) if key in scalar_keys
                else torch.full_like(p, inits[key]))

    def snap() -> Snapshot:
        out = {"param": [p.detach().clone() for p in params]}
        for key in keys:
            out[key] = [opt.state[p][key].detach().clone() if key in opt.state[p]
                        and opt.state[p][key] is not None else initial(key, p)
                        for p in params]
        return out

    created = [set(opt.state[p]) for p in params]  # the states torch has before step 1
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
    # a state torch creates on step 1 held its initial value before, in the shape torch gives
    # it (Adafactor's row_var is (..., n, 1), not the parameter's shape)
    for key in keys if len(run.snaps) > 1 else ():
        for i in range(len(params)):
            if key not in created[i]:
                run.snaps[0][key][i] = torch.full_like(run.snaps[1][key][i], inits[key])
    return run
