"""Functional torch Adam steps, each with one slip a port or an exercise makes (named by the
function); ``init_state`` is found by ``optsym check`` next to them."""

import torch


def init_state(params):
    return {"t": 0, "m": [torch.zeros_like(p) for p in params],
            "v": [torch.zeros_like(p) for p in params]}


def _moments(params, grads, state, beta1, beta2, square=True):
    state["t"] += 1
    for i, g in enumerate(grads):
        state["m"][i] = beta1 * state["m"][i] + (1 - beta1) * g
        state["v"][i] = beta2 * state["v"][i] + (1 - beta2) * (g * g if square else g)
    return state["t"]


def eps_hat_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """TF's form: the bias corrections folded into the step size, eps added to sqrt(v)."""
    t = _moments(params, grads, state, beta1, beta2)
    step_size = lr * (1 - beta2 ** t) ** 0.5 / (1 - beta1 ** t)
    for p, m, v in zip(params, state["m"], state["v"]):
        p -= step_size * m / (v.sqrt() + eps)


def betas_swapped_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = _moments(params, grads, state, beta2, beta1)
    for p, m, v in zip(params, state["m"], state["v"]):
        p -= lr * (m / (1 - beta2 ** t)) / ((v / (1 - beta1 ** t)).sqrt() + eps)


def sqrt_missing_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = _moments(params, grads, state, beta1, beta2)
    for p, m, v in zip(params, state["m"], state["v"]):
        p -= lr * (m / (1 - beta1 ** t)) / (v / (1 - beta2 ** t) + eps)


def two_slips_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """No bias correction and eps inside the square root."""
    _moments(params, grads, state, beta1, beta2)
    for p, m, v in zip(params, state["m"], state["v"]):
        p -= lr * m / (v + eps).sqrt()


def t_ahead_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The bias correction with t one step ahead (the counter increased twice)."""
    t = _moments(params, grads, state, beta1, beta2) + 1
    for p, m, v in zip(params, state["m"], state["v"]):
        p -= lr * (m / (1 - beta1 ** t)) / ((v / (1 - beta2 ** t)).sqrt() + eps)


def g_not_squared_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """g instead of g**2 in the second moment: the square root of a negative average is NaN."""
    t = _moments(params, grads, state, beta1, beta2, square=False)
    for p, m, v in zip(params, state["m"], state["v"]):
        p -= lr * (m / (1 - beta1 ** t)) / ((v / (1 - beta2 ** t)).sqrt() + eps)


def t_from_0_step(params, grads, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The bias correction with t counted from 0 (the counter read before its increment):
    1 - beta**0 = 0 at step 1, so the first step divides by zero (inf / inf is NaN)."""
    t = _moments(params, grads, state, beta1, beta2) - 1
    for p, m, v in zip(params, state["m"], state["v"]):
        p -= lr * (m / (1 - beta1 ** t)) / ((v / (1 - beta2 ** t)).sqrt() + eps)
