r"""torch's functional API as the fast reference of the ``torch.optim`` rules.

Each adapter sets up the state exactly as the torch optimizer class does on its first ``step``
(``_init_group``) and calls torch's *functional* API (``torch.optim.adam.adam`` ...) with
``foreach=False`` (the CPU single-tensor path), or with ``foreach=True`` / ``fused=True`` for
torch's other paths.  The functional API runs the same code as the class but does not import
``torch._dynamo`` (constructing an optimizer does, +1.1-1.5 s), which keeps ``optsym verify``
quick to start.  A rule declares its adapter in its reference
(``Reference.torch("Adam", functional="optsym.verify.functional:adam")``), and a test checks
every adapter against its class, bit for bit, so the shortcut cannot drift from torch.

An adapter is ``(params, cfg, path) -> (state, step)``: ``state`` maps each torch state key to
one tensor (or None) per parameter, ``step(grads)`` takes one step.
"""

from __future__ import annotations

from typing import Any

import torch

from optsym.spec import Config

_FLAGS = {"single": {"foreach": False, "fused": False},
          "foreach": {"foreach": True, "fused": False},
          "fused": {"foreach": False, "fused": True}}


def _steps(params, path: str) -> list[torch.Tensor]:
    # torch keeps the step count as a float32 0-d tensor: on the CPU for the single-tensor and
    # foreach paths, on the parameter's device for the fused path (``_get_scalar_dtype``)
    if path == "fused":
        return [torch.zeros((), dtype=torch.float32, device=p.device) for p in params]
    return [torch.tensor(0.0, dtype=torch.float32) for _ in params]


def adam_adapter(params, cfg: Config, path: str, decoupled: bool):
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


def sgd_adapter(params, cfg: Config, path: str):
    from torch.optim.sgd import sgd

    buffers: list[Any] = [None for _ in params]
    state = {"momentum_buffer": buffers} if cfg["momentum"] != 0 else {}

    def step(grads):
        sgd(params, grads, buffers, **_FLAGS[path],
            weight_decay=cfg["weight_decay"], momentum=cfg["momentum"], lr=cfg["lr"],
            dampening=cfg["dampening"], nesterov=cfg["nesterov"], maximize=cfg["maximize"])

    return state, step


def adagrad_adapter(params, cfg: Config, path: str):
    from torch.optim.adagrad import adagrad

    state = {"sum": [torch.full_like(p, cfg["initial_accumulator_value"]) for p in params]}
    steps = _steps(params, path)

    def step(grads):
        adagrad(params, grads, state["sum"], steps, **_FLAGS[path],
                lr=cfg["lr"], weight_decay=cfg["weight_decay"], lr_decay=cfg["lr_decay"],
                eps=cfg["eps"], maximize=cfg["maximize"])

    return state, step


def rmsprop_adapter(params, cfg: Config, path: str):
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


def adadelta_adapter(params, cfg: Config, path: str):
    from torch.optim.adadelta import adadelta

    state = {"square_avg": [torch.zeros_like(p) for p in params],
             "acc_delta": [torch.zeros_like(p) for p in params]}
    steps = _steps(params, path)

    def step(grads):
        adadelta(params, grads, state["square_avg"], state["acc_delta"], steps,
                 foreach=_FLAGS[path]["foreach"], lr=cfg["lr"], rho=cfg["rho"], eps=cfg["eps"],
                 weight_decay=cfg["weight_decay"], maximize=cfg["maximize"])

    return state, step


def _scalar_states(params, value: float) -> list[torch.Tensor]:
    """One 0-d float32 tensor per parameter (NAdam's ``mu_product``, ASGD's ``eta``, ``mu``),
    on the CPU as the non-capturable classes create them."""
    return [torch.tensor(value, dtype=torch.float32) for _ in params]


def nadam_adapter(params, cfg: Config, path: str):
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


def rprop_adapter(params, cfg: Config, path: str):
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


def radam_adapter(params, cfg: Config, path: str):
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


def adamax_adapter(params, cfg: Config, path: str):
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


def asgd_adapter(params, cfg: Config, path: str):
    from torch.optim.asgd import asgd

    state = {"eta": _scalar_states(params, cfg["lr"]), "mu": _scalar_states(params, 1.0),
             "ax": [torch.zeros_like(p) for p in params]}
    steps = _steps(params, path)

    def step(grads):
        asgd(params, grads, state["ax"], state["mu"], state["eta"], steps,
             foreach=_FLAGS[path]["foreach"], maximize=cfg["maximize"], lambd=cfg["lambd"],
             lr=cfg["lr"], t0=cfg["t0"], alpha=cfg["alpha"], weight_decay=cfg["weight_decay"])

    return state, step


def adafactor_adapter(params, cfg: Config, path: str):
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


def adam(params, cfg: Config, path: str):
    """``torch.optim.adam.adam`` (``decoupled_weight_decay`` as configured)."""
    return adam_adapter(params, cfg, path, cfg["decoupled_weight_decay"])


def adamw(params, cfg: Config, path: str):
    """AdamW: torch's Adam with ``decoupled_weight_decay=True``."""
    return adam_adapter(params, cfg, path, True)


sgd, adagrad, rmsprop, adadelta = sgd_adapter, adagrad_adapter, rmsprop_adapter, adadelta_adapter
nadam, radam, adamax, asgd = nadam_adapter, radam_adapter, adamax_adapter, asgd_adapter
rprop, adafactor = rprop_adapter, adafactor_adapter
