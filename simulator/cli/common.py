"""The command group and its one rule: every error is one line and exit code 2, never a traceback."""

from __future__ import annotations

import os
import sys

import click

from .._version import __version__
from ..errors import PbrsimError

EXIT_BAD_INPUT = 2


def fail(message: str) -> None:
    """Print one clear line and exit with code 2 (bad input): no traceback."""
    click.echo(f"pbrsim: error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


class _Commands(click.Group):
    """Every command's errors end as one line and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PbrsimError as exc:
            fail(str(exc))
        except BrokenPipeError:  # output piped into e.g. `head`: the work is done, stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except MemoryError:
            fail("ran out of memory: run fewer simulations at a time, or add --no-monthly")
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            fail(f"{where}{exc.strerror or exc}")


@click.group(cls=_Commands)
@click.version_option(__version__, prog_name="pbrsim")
def main() -> None:
    """pbrsim: Monte Carlo cash-flow risk of Payment-by-Results contracts."""
