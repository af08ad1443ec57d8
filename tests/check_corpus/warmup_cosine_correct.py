"""Linear warmup + cosine decay as a scheduler class (the transformer recipe)."""

import math


class WarmupCosine:
    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0):
        self.optimizer = optimizer
        self.base_lr = optimizer.param_groups[0]["lr"]
        self.warmup_steps, self.total_steps, self.min_lr = warmup_steps, total_steps, min_lr
        self.k = 0
        self._apply()

    def _lr(self):
        k, w, total = self.k, self.warmup_steps, self.total_steps
        if k < w:
            return self.base_lr * k / w
        if k >= total:
            return self.min_lr
        progress = (k - w) / (total - w)
        return self.min_lr + (self.base_lr - self.min_lr) * 0.5 * (1 + math.cos(math.pi * progress))

    def _apply(self):
        for group in self.optimizer.param_groups:
            group["lr"] = self._lr()

    def step(self):
        self.k += 1
        self._apply()
