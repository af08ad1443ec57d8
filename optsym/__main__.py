"""``python -m optsym`` runs the command line."""

from optsym.cli import main

if __name__ == "__main__":
    main()
