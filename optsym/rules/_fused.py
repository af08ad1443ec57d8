"""What every fused-kernel form shares: why its parity form is checked within rounding."""

#: ``Rule.inexact`` entry for torch's fused CPU kernels (SGD, Adagrad, Adam, AdamW)
FUSED_INEXACT = {"fused": (("float32", "float64"),
                           "torch's compiled fused CPU kernel contracts multiply-adds into FMAs "
                           "the source does not show; no operation order found reproduces "
                           "every bit")}
