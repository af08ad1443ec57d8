"""Functional AdamW steps with the decoupled decay written wrong (named by the function)."""

import torch


def init_state(params):
    return {"t": 0, "m": [torch.zeros_like(p) for p in params],
            "v": [torch.zeros_like(p) for p in params]}


def _adam(p, g, m, v, t, lr, beta1, beta2, eps):
    m.mul_(beta1).add_((1 - beta1) * g)
    v.mul_(beta2).add_((1 - beta2) * g * g)
    p -= lr * (m / (1 - beta1 ** t)) / ((v / (1 - beta2 ** t)).sqrt() + eps)


def decay_not_scaled_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                          weight_decay=1e-2):
    """p *= 1 - weight_decay: the decay is not multiplied by the lr."""
    state["t"] += 1
    for p, g, m, v in zip(params, grads, state["m"], state["v"]):
        p *= 1 - weight_decay
        _adam(p, g, m, v, state["t"], lr, beta1, beta2, eps)


def decay_after_update_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                            weight_decay=1e-2):
    """The decay applied to the parameters after the Adam update instead of before it."""
    state["t"] += 1
    for p, g, m, v in zip(params, grads, state["m"], state["v"]):
        _adam(p, g, m, v, state["t"], lr, beta1, beta2, eps)
        p *= 1 - lr * weight_decay
