"""Verification of generated code against torch.optim: streams, references, metrics, bounds."""
