"""Code generation: SymPy printers for NumPy and torch, and whole step modules."""

TARGETS = ("torch-parity", "torch", "numpy")
