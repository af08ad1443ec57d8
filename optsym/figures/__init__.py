"""optsym.figures (being built)."""
