"""Warmup + cosine with the warmup test written k <= warmup instead of k < warmup."""

import math


def lr(step, base_lr=0.1, warmup=10, total=100, min_lr=0.0):
    if step <= warmup:
        return base_lr * step / warmup
    if step >= total:
        return min_lr
    progress = (step - warmup) / (total - warmup)
    return min_lr + (base_lr - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))
