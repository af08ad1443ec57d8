"""What the two clipping transforms share: torch's reference call and the verify stream."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

#: the constant torch's ``clip_grad_norm_`` adds to the total norm
EPS = 1e-6


def _as_parameters(grads: list) -> list:
    import torch

    out = []
    for g in grads:
        p = torch.nn.Parameter(torch.zeros(g.shape, dtype=g.dtype))
        p.grad = g
        out.append(p)
    return out


def clip_norm_reference(params: list, grads: list, cfg: Mapping[str, Any]):
    """``torch.nn.utils.clip_grad_norm_`` on parameters whose ``.grad`` are ``grads``."""
    import torch

    return torch.nn.utils.clip_grad_norm_(_as_parameters(grads), cfg["max_norm"])


def clip_value_reference(params: list, grads: list, cfg: Mapping[str, Any]) -> None:
    """``torch.nn.utils.clip_grad_value_`` on parameters whose ``.grad`` are ``grads``."""
    import torch

    torch.nn.utils.clip_grad_value_(_as_parameters(grads), cfg["clip_value"])


def _flat(arrays) -> np.ndarray:
    return np.concatenate([np.ravel(a) for a in arrays])


def scaled_stream(kind: str, threshold: float, steps: int, seed: int) -> list[tuple[list, list]]:
    """The verify stream (float64), each step's gradients rescaled so that their size (global
    norm, or largest |g|) is r * threshold: r = 1/2 (no-op), 2 (clipped), 1 and the no-op
    boundary (N + eps = c) first, then r = 2^U(-3, 3) (about half the steps below the
    threshold)."""
    from optsym.verify.stream import make_problem

    problem = make_problem(steps, seed)
    rng = np.random.default_rng([seed, 7])
    out = []
    for k, gs in enumerate(problem.grads):
        flat = _flat(gs)
        size = float(np.linalg.norm(flat)) if kind == "norm" else float(np.abs(flat).max())
        if k < 3:
            target = threshold * (0.5, 2.0, 1.0)[k]
        elif k == 3 and kind == "norm" and threshold > 2 * EPS:
            target = threshold - EPS
        else:
            target = threshold * 2.0 ** rng.uniform(-3.0, 3.0)
        out.append((problem.params, [g * (target / size) if size > 0 else g for g in gs]))
    return out
