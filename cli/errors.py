"""The usage error optsym's commands raise: printed as one line, exit status 2."""


class UsageFailure(Exception):
    """Bad input from the user (not a bug): one line on stderr, exit 2."""
