"""Targets that fail: one raises at step 3, one hangs at step 2, one returns NaN at step 1."""

import numpy as np


def raises_step(params, grads, state, lr=0.01):
    state["t"] = state.get("t", 0) + 1
    if state["t"] == 3:
        raise ValueError("shapes do not align")  # the user's own bug
    for p, g in zip(params, grads):
        p -= lr * g


def hangs_step(params, grads, state, lr=0.01):
    state["t"] = state.get("t", 0) + 1
    while state["t"] == 2:
        pass
    for p, g in zip(params, grads):
        p -= lr * g


def nan_step(params, grads, state, lr=0.01):
    for p, g in zip(params, grads):
        p -= lr * g / np.sqrt(g - g.mean())  # NaN where g < mean


def reshapes_step(params, grads, state, lr=0.01):
    return [(p - lr * g).ravel() for p, g in zip(params, grads)]
