"""SGD with momentum from course notes, each function one slip against torch.optim.SGD."""

import numpy as np


def dampening_from_zero(params, grads, state, lr=0.01, momentum=0.9, dampening=0.5):
    """The buffer starts at 0 and is damped on step 1 too (torch starts it at g)."""
    bufs = state.setdefault("buf", [np.zeros_like(p) for p in params])
    for p, g, b in zip(params, grads, bufs):
        b *= momentum
        b += (1 - dampening) * g
        p -= lr * b


def nesterov_classical(params, grads, state, lr=0.01, momentum=0.9, nesterov=True):
    """'Nesterov' that steps along the buffer alone (classical momentum)."""
    bufs = state.setdefault("buf", [None] * len(params))
    for i, (p, g) in enumerate(zip(params, grads)):
        bufs[i] = g.copy() if bufs[i] is None else momentum * bufs[i] + g
        p -= lr * bufs[i]


def maximize_ignored(params, grads, state, lr=0.01, momentum=0.9, maximize=True):
    """Takes torch's maximize flag but always descends."""
    bufs = state.setdefault("buf", [None] * len(params))
    for i, (p, g) in enumerate(zip(params, grads)):
        bufs[i] = g.copy() if bufs[i] is None else momentum * bufs[i] + g
        p -= lr * bufs[i]
