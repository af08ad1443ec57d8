"""optsym.examples (being built)."""
