"""optax's Adam with torch's defaults."""

import optax

tx = optax.adam(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-8)
