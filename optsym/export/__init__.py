"""optsym.export (being built)."""
