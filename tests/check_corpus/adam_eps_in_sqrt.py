"""Adam with eps inside the square root (a common port of RMSprop-style code)."""

import torch


class Adam:
    def __init__(self, params, learning_rate=1e-3, betas=(0.9, 0.999), epsilon=1e-8):
        self.params = list(params)
        self.learning_rate, self.betas, self.epsilon = learning_rate, betas, epsilon
        self.t = 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self):
        b1, b2 = self.betas
        self.t += 1
        for p, m, v in zip(self.params, self.m, self.v):
            m.mul_(b1).add_((1 - b1) * p.grad)
            v.mul_(b2).add_((1 - b2) * p.grad ** 2)
            m_hat = m / (1 - b1 ** self.t)
            v_hat = v / (1 - b2 ** self.t)
            p.sub_(self.learning_rate * m_hat / torch.sqrt(v_hat + self.epsilon))

    def zero_grad(self):
        for p in self.params:
            p.grad = None
