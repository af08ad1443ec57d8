"""Epoch against step: two learning-rate functions that mix up what ``k`` counts.

``per_epoch`` works in epochs of 4 optimizer steps (the scheduler stepped once an epoch, the
warmup and the horizon meant in steps); ``per_step`` is a step decay whose ``step_size`` is in
epochs of 5 steps, but its ``k`` counts optimizer steps, so it decays 5 times too fast.
"""

import math

STEPS_PER_EPOCH = 4


def per_epoch(step, base_lr=0.1, warmup=10, total=100, min_lr=0.0):
    epoch = step // STEPS_PER_EPOCH
    if epoch < warmup:
        return base_lr * epoch / warmup
    if epoch >= total:
        return min_lr
    progress = (epoch - warmup) / (total - warmup)
    return min_lr + (base_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


def per_step(k, lr=0.1, step_size=30, gamma=0.1):
    return lr * gamma ** ((5 * k) // step_size)
