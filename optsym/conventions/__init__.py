"""optsym.conventions (being built)."""
