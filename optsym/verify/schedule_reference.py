r"""torch's learning-rate schedulers as the independent reference.

Each adapter is the torch code a user writes for the schedule: a ``torch.optim.lr_scheduler``
class where torch has one, and for the schedules torch lacks (warmup-cosine, inverse-sqrt,
inverse-time) the ``LambdaLR`` with the multiplier written as users write it (Hugging Face's
``get_cosine_schedule_with_warmup``, fairseq's inverse square root).  The scheduler drives a real
optimizer; the learning rate of each optimizer step is read from ``param_groups[0]["lr"]``
before the step, and ``scheduler.step()`` follows ``optimizer.step()``, the order torch asks for.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch.optim import lr_scheduler as S

Config = dict[str, Any]


def _warmup_cosine(c: Config) -> Callable[[int], float]:
    warmup, total, floor = c["warmup"], c["T"], c["eta_min"] / c["eta_max"]

    def factor(k: int) -> float:
        if k < warmup:
            return k / warmup
        if k < total:
            return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * (k - warmup)
                                                              / (total - warmup)))
        return floor
    return factor


def _inverse_sqrt(c: Config) -> Callable[[int], float]:
    warmup = c["warmup"]
    return lambda k: k / warmup if k < warmup else (warmup / k) ** 0.5


def _transformer(c: Config) -> Callable[[int], float]:
    """Vaswani et al. (2017), eq. (3), as a LambdaLR multiplier (step_num = k + 1)."""
    d_model, warmup, factor = c["d_model"], c["warmup"], c["factor"]
    return lambda k: factor * d_model ** -0.5 * min((k + 1) ** -0.5, (k + 1) * warmup ** -1.5)


ADAPTERS: dict[str, Callable[[torch.optim.Optimizer, Config], S.LRScheduler]] = {
    "constant": lambda o, c: S.ConstantLR(o, factor=c["factor"], total_iters=c["total_iters"]),
    "linear": lambda o, c: S.LinearLR(o, start_factor=c["start_factor"],
                                      end_factor=c["end_factor"], total_iters=c["total_iters"]),
    "warmup": lambda o, c: S.LinearLR(o, start_factor=c["start_factor"], end_factor=1.0,
                                      total_iters=c["warmup"]),
    "step": lambda o, c: S.StepLR(o, step_size=c["step_size"], gamma=c["gamma"]),
    "multistep": lambda o, c: S.MultiStepLR(o, milestones=list(c["milestones"]),
                                            gamma=c["gamma"]),
    "exponential": lambda o, c: S.ExponentialLR(o, gamma=c["gamma"]),
    "polynomial": lambda o, c: S.PolynomialLR(o, total_iters=c["total_iters"],
                                              power=c["power"]),
    "inverse-time": lambda o, c: S.LambdaLR(o, lambda k: 1 / (1 + c["decay"] * k)),
    "inverse-sqrt": lambda o, c: S.LambdaLR(o, _inverse_sqrt(c)),
    "transformer": lambda o, c: S.LambdaLR(o, _transformer(c)),
    "cosine": lambda o, c: S.CosineAnnealingLR(o, T_max=c["T"], eta_min=c["eta_min"]),
    "cosine-restarts": lambda o, c: S.CosineAnnealingWarmRestarts(
        o, T_0=c["T_0"], T_mult=c["T_mult"], eta_min=c["eta_min"]),
    "warmup-cosine": lambda o, c: S.LambdaLR(o, _warmup_cosine(c)),
    "onecycle": lambda o, c: S.OneCycleLR(
        o, max_lr=c["eta_max"], total_steps=c["total_steps"], pct_start=c["pct_start"],
        anneal_strategy=c["anneal"], div_factor=c["div_factor"],
        final_div_factor=c["final_div_factor"], cycle_momentum=False),
    "cyclic": lambda o, c: S.CyclicLR(
        o, base_lr=c["eta_min"], max_lr=c["eta_max"], step_size_up=c["step_size_up"],
        step_size_down=c["step_size_down"] or None, mode=c["mode"], gamma=c["gamma"],
        cycle_momentum=False),
}


def make_scheduler(name: str, optimizer: torch.optim.Optimizer, cfg: Config) -> S.LRScheduler:
    """The torch scheduler for schedule ``name`` under ``cfg`` on ``optimizer``: torch's class,
    or the reference a spec file declares (:func:`optsym.loader.scheduler_reference`)."""
    from optsym.loader import SCHEDULERS

    adapter = SCHEDULERS.get(name) or ADAPTERS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return adapter(optimizer, dict(cfg))


def torch_lrs(name: str, cfg: Config, n: int) -> list[float]:
    """The learning rates of ``n`` optimizer steps under torch's scheduler (an SGD on one
    parameter, with zero gradients so that only the schedule moves)."""
    from optsym import schedules
    from optsym.schedules.codegen import overflow_message
    from optsym.spec import SpecError

    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([param], lr=cfg["eta_max"])
    sched = make_scheduler(name, opt, cfg)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            out.append(opt.param_groups[0]["lr"])
            param.grad = torch.zeros_like(param)
            opt.step()
            if i + 1 < n:
                try:
                    sched.step()
                except OverflowError as exc:
                    raise SpecError(overflow_message(schedules.get(name), n, exc)) from None
    return [float(x) for x in out]
