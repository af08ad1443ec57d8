"""The ``optsym`` command line: one click command per module, errors as one line.

Every usage error, whether click's own (a bad ``--steps``) or optsym's (an unknown rule, an
invalid hyperparameter), is printed as a single ``optsym: error: ...`` line on stderr with exit
status 2; a failed verification exits 1.  Heavy modules (torch, sympy) are imported inside the
commands, never at module level, so ``optsym --help`` is instant.
"""

from __future__ import annotations

import sys

import click

from optsym import __version__
from optsym.cli.clip import clip
from optsym.cli.check import check
from optsym.cli.claims import claims
from optsym.cli.codegen import codegen
from optsym.cli.compare import compare
from optsym.cli.derive import derive
from optsym.cli.errors import (UsageFailure, debug_enabled, flush_stdout, internal_failure,
                               os_failure, set_debug)
from optsym.cli.options import add_spec_option
from optsym.cli.example import example
from optsym.cli.exercises import exercises
from optsym.cli.export import export
from optsym.cli.list_rules import list_rules
from optsym.cli.plot import plot
from optsym.cli.port import port
from optsym.cli.schedule import schedule
from optsym.cli.verify import verify
from optsym.cli.weight_decay import weight_decay


def _set_quiet(value: bool) -> None:
    from optsym.progress import set_quiet

    set_quiet(value)


def _one_line(message: str) -> str:
    """Click lists a choice's values on lines of their own; an error here is one line."""
    return " ".join(message.split())


class OptsymGroup(click.Group):
    """A click group whose errors are one line and whose exit codes are 0, 1 or 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        from optsym.spec import SpecError

        set_debug(False)
        _set_quiet(False)
        try:
            rv = super().main(args=args, prog_name=prog_name or "optsym",
                              complete_var=complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help())
            sys.exit(0)
        except click.UsageError as exc:
            click.echo(f"optsym: error: {_one_line(exc.format_message())}", err=True)
            sys.exit(2)
        except (SpecError, UsageFailure) as exc:
            click.echo(f"optsym: error: {exc}", err=True)
            sys.exit(2)
        except click.Abort:
            click.echo("optsym: aborted", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            click.echo(f"optsym: error: {_one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:  # a closed pipe, a full disk, an unwritable file
            sys.exit(os_failure(exc))
        except Exception as exc:  # noqa: BLE001 -- the error boundary: one line, never a traceback
            sys.exit(internal_failure(exc, debug_enabled(args)))
        try:
            flush_stdout()
        except OSError as exc:
            sys.exit(os_failure(exc))
        sys.exit(rv if isinstance(rv, int) else 0)


@click.group(cls=OptsymGroup)
@click.version_option(__version__, prog_name="optsym")
@click.option("--debug", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda _ctx, _param, value: set_debug(value),
              help="Show the traceback of an unexpected error (otherwise one line).")
@click.option("--quiet", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda _ctx, _param, value: _set_quiet(value),
              help="No progress bars on stderr (drawn only on a terminal anyway).")
def cli() -> None:
    """optsym: deep-learning optimizers written once in SymPy, verified against torch.optim."""


cli.add_command(verify)
cli.add_command(codegen)
cli.add_command(list_rules)
cli.add_command(schedule)
cli.add_command(clip)
cli.add_command(derive)
cli.add_command(weight_decay)
cli.add_command(compare)
cli.add_command(example)
cli.add_command(exercises)
cli.add_command(export)
cli.add_command(plot)
cli.add_command(port)
cli.add_command(check)
cli.add_command(claims)
add_spec_option(cli)  # --spec FILE on every command (optsym.cli.options)


def main() -> None:
    cli.main()
