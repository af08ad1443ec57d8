"""RMSprop as a NumPy functional step (the style of a from-scratch course exercise)."""

import numpy as np


def init_state(params):
    return {"cache": [np.zeros_like(p) for p in params]}


def rmsprop_step(params, grads, state, lr=0.01, alpha=0.99, eps=1e-8):
    for i, (p, g) in enumerate(zip(params, grads)):
        state["cache"][i] = alpha * state["cache"][i] + (1 - alpha) * g * g
        p -= lr * g / (np.sqrt(state["cache"][i]) + eps)
