"""optsym: deep-learning optimizers written once in SymPy, with generated code verified against
torch.optim, derivations and course material generated from the same source."""

__version__ = "0.1.0"
