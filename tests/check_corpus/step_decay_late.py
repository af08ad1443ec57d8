"""A step-decay scheduler class that sets the lr before it counts the step (one step late)."""


class StepDecay:
    def __init__(self, optimizer, step_size=30, gamma=0.1):
        self.optimizer, self.step_size, self.gamma = optimizer, step_size, gamma
        self.base_lr = optimizer.param_groups[0]["lr"]
        self.k = 0

    def step(self):
        for group in self.optimizer.param_groups:
            group["lr"] = self.base_lr * self.gamma ** (self.k // self.step_size)
        self.k += 1
