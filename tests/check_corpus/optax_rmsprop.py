"""An engineer's port: optax's RMSprop (its default puts eps inside the square root)."""

import optax

tx = optax.rmsprop(learning_rate=0.01, decay=0.9, eps=1e-8)
