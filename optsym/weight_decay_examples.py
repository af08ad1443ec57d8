r"""Coupled vs decoupled weight decay on exact numbers, next to torch.optim on the same numbers.

An :class:`Example` unrolls both forms (:mod:`optsym.weight_decay_forms`) on rationals and runs
the same inputs through torch in float64: SGD with ``weight_decay`` against
``param.mul_(1 - lr*wd)`` followed by SGD without decay, and Adam (L2) against AdamW.  The
first step at which the exact parameters differ must be the first step at which torch's differ
by more than :data:`TORCH_DIFFER` (relative), wherever float64 can resolve the difference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from optsym.spec import latex
from optsym.weight_decay_forms import (
    Forms,
    Number,
    adam_forms,
    exact_number,
    sgd_forms,
    show,
    trajectory,
)

#: relative difference between torch's two trajectories above which they "differ" (rounding in
#: float64 is ~1e-16; the differences derived here are of order eta*lambda)
TORCH_DIFFER = 1e-9


def _first_text(step: int | None) -> str:
    return "no difference" if step is None else f"first differ at step {step}"


@dataclass(frozen=True)
class Example:
    """Both forms on exact numbers, and the same numbers through torch.optim in float64."""

    inputs: Mapping[str, Any]
    coupled: tuple[sp.Expr, ...]
    decoupled: tuple[sp.Expr, ...]
    first_differing_step: int | None
    torch: str
    torch_coupled: tuple[float, ...]
    torch_decoupled: tuple[float, ...]
    torch_first_differing_step: int | None
    #: max relative error of torch's parameters against the exact values (both forms)
    max_rel_error: float

    @property
    def resolvable_first_step(self) -> int | None:
        """The first step whose exact difference float64 can show (relative > TORCH_DIFFER):
        the step torch must first differ at (a tiny momentum's difference is not resolvable)."""
        return _torch_first_difference([float(x) for x in self.coupled],
                                       [float(x) for x in self.decoupled])

    @property
    def agrees_with_torch(self) -> bool:
        return (self.torch_first_differing_step == self.resolvable_first_step
                and self.max_rel_error <= 1e-12)

    def lines(self) -> list[str]:
        head = "example: " + ", ".join(f"{k} = {show(v)}" for k, v in self.inputs.items())
        out = [head, "  step  coupled (exact ~ torch)  |  decoupled (exact ~ torch)"]
        for k, (c, d, tc, td) in enumerate(zip(self.coupled, self.decoupled, self.torch_coupled,
                                               self.torch_decoupled), 1):
            mark = "  <- first difference" if k == self.first_differing_step else ""
            out.append(f"  {k}  {show(c)} ~ {tc:.15g}  |  {show(d)} ~ {td:.15g}{mark}")
        if self.resolvable_first_step != self.first_differing_step:
            out.append(f"  (relative differences below {TORCH_DIFFER:g} are rounding to torch: "
                       f"the exact values expect {_first_text(self.resolvable_first_step)})")
        out.append(f"  exact: {_first_text(self.first_differing_step)}; {self.torch}: "
                   f"{_first_text(self.torch_first_differing_step)}; max rel error exact vs "
                   f"torch {self.max_rel_error:.1e}: "
                   f"{'agree' if self.agrees_with_torch else 'DISAGREE'}")
        return out

    def as_dict(self) -> dict:
        return {"inputs": {k: show(v) for k, v in self.inputs.items()},
                "coupled": [str(x) for x in self.coupled],
                "decoupled": [str(x) for x in self.decoupled],
                "coupled_latex": [latex(x) for x in self.coupled],
                "decoupled_latex": [latex(x) for x in self.decoupled],
                "first_differing_step": self.first_differing_step,
                "resolvable_first_step": self.resolvable_first_step,
                "torch": self.torch,
                "torch_coupled": list(self.torch_coupled),
                "torch_decoupled": list(self.torch_decoupled),
                "torch_first_differing_step": self.torch_first_differing_step,
                "max_rel_error": self.max_rel_error,
                "agrees_with_torch": self.agrees_with_torch}


def _first_difference(a: Sequence[sp.Expr], b: Sequence[sp.Expr]) -> int | None:
    """First step (1-based) at which two exact sequences differ."""
    for k, (x, y) in enumerate(zip(a, b), 1):
        d = x - y
        if d == 0:
            continue
        if abs(sp.N(d, 60)) > 1e-40 or sp.simplify(d) != 0:
            return k
    return None


def _torch_first_difference(a: Sequence[float], b: Sequence[float]) -> int | None:
    for k, (x, y) in enumerate(zip(a, b), 1):
        if abs(x - y) > TORCH_DIFFER * max(abs(x), abs(y)):
            return k
    return None


TorchRun = Callable[[Mapping[str, float], float, Sequence[float]],
                    tuple[list[float], list[float], str]]


def _example(forms: Forms, values: Mapping[str, Number], start: Number,
             grads: Sequence[Number], run_torch: TorchRun) -> Example:
    symbols = {h.name: h.symbol for h in forms.rule.hypers if h.symbol is not None}
    exact = {name: exact_number(v) for name, v in values.items()}
    subs = {**forms.fixed, **{symbols[name]: v for name, v in exact.items()}}
    th0, gs = exact_number(start), tuple(exact_number(x) for x in grads)
    coupled = tuple(trajectory(forms.coupled, forms.states, th0, gs, subs))
    decoupled = tuple(trajectory(forms.decoupled, forms.states, th0, gs, subs))
    tc, td, what = run_torch({k: float(v) for k, v in exact.items()}, float(th0),
                             [float(x) for x in gs])
    rel = max(abs(float(e) - x) / max(abs(float(e)), 1e-300)
              for es, xs in ((coupled, tc), (decoupled, td)) for e, x in zip(es, xs))
    return Example({"theta_0": th0, "g": gs, **exact}, coupled, decoupled,
                   _first_difference(coupled, decoupled), what, tuple(tc), tuple(td),
                   _torch_first_difference(tc, td), rel)


def _torch_params(snaps) -> list[float]:
    return [s["param"][0].item() for s in snaps[1:]]


def _run_torch_sgd(hp: Mapping[str, float], start: float, grads: Sequence[float]
                   ) -> tuple[list[float], list[float], str]:
    """torch's SGD with ``weight_decay``, and ``param.mul_(1 - lr*wd)`` + torch's SGD without."""
    import torch
    from torch.optim.sgd import sgd as sgd_step

    from optsym.rules import sgd
    from optsym.verify.reference import run_reference

    def tensor(x: float) -> torch.Tensor:
        return torch.tensor([x], dtype=torch.float64)

    coupled = _torch_params(run_reference("sgd", sgd.RULE.config(hp), [tensor(start)],
                                          [[tensor(x)] for x in grads]))
    rest = {k: v for k, v in sgd.RULE.config(hp).items() if k != "weight_decay"}
    param, buffers, decoupled = tensor(start), [None], []
    with torch.no_grad():
        for x in grads:
            param.mul_(1 - hp["lr"] * hp["weight_decay"])
            sgd_step([param], [tensor(x)], buffers, foreach=False, fused=False,
                     weight_decay=0.0, **rest)
            decoupled.append(param.item())
    return coupled, decoupled, ("torch SGD(weight_decay) vs param.mul_(1 - lr*wd) + "
                                "SGD(weight_decay=0), float64")


def _run_torch_adam(hp: Mapping[str, float], start: float, grads: Sequence[float]
                    ) -> tuple[list[float], list[float], str]:
    """torch's Adam (L2, ``decoupled_weight_decay=False``) vs torch's AdamW."""
    import torch

    from optsym.rules import adam
    from optsym.verify.reference import run_reference

    params = [torch.tensor([start], dtype=torch.float64)]
    stream = [[torch.tensor([x], dtype=torch.float64)] for x in grads]
    coupled = run_reference("adam", adam.RULE.config({**hp, "decoupled_weight_decay": False}),
                            params, stream)
    decoupled = run_reference("adamw", adam.ADAMW.config(hp), params, stream)
    return (_torch_params(coupled), _torch_params(decoupled),
            "torch Adam(weight_decay) vs AdamW(weight_decay), float64")


def sgd_example(momentum: Number = 0, theta_0: Number = 1, grads: Sequence[Number] = ("1/2",) * 3,
                lr: Number = "1/10", weight_decay: Number = "1/10") -> Example:
    """SGD (dampening 0) on exact numbers: coupled vs decoupled, and torch on the same numbers."""
    values = {"lr": lr, "weight_decay": weight_decay, "momentum": momentum}
    return _example(sgd_forms(float(exact_number(momentum))), values, theta_0, grads, _run_torch_sgd)


def adam_example(theta_0: Number = 1, grads: Sequence[Number] = ("1/2",) * 2,
                 lr: Number = "1/10", weight_decay: Number = "1/10", beta1: Number = "9/10",
                 beta2: Number = "999/1000", eps: Number = 0) -> Example:
    """Adam + L2 vs AdamW on exact numbers (``eps = 0``: step 1 moves by exactly lr), and torch's
    Adam vs AdamW on the same numbers."""
    values = {"lr": lr, "weight_decay": weight_decay, "beta1": beta1, "beta2": beta2, "eps": eps}
    return _example(adam_forms(), values, theta_0, grads, _run_torch_adam)
