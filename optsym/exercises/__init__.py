"""optsym.exercises (being built)."""
