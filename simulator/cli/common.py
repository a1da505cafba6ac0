"""The command group and its one rule: every error is one line and exit code 2, never a traceback.

Click's own usage errors (a bad option value, a missing argument) follow the same rule: the
group runs click in non-standalone mode and formats them itself. Everything printed passes
through :func:`say` or :func:`fail`, which show control characters escaped, so text from a
scenario or a path cannot drive the terminal.
"""

from __future__ import annotations

import errno
import gc
import os
import sys
from pathlib import Path

import click

from .._version import __version__
from ..engine.run import MAX_SEED
from ..errors import PbrsimError
from ..folders import shown_path
from ..safe_text import terminal_text
from .interrupt import was_interrupted, watching_interrupts

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
SEED = click.IntRange(0, MAX_SEED)


def say(text: str = "", *, err: bool = False) -> None:
    """Print ``text`` with any control character escaped (newlines and tabs kept)."""
    click.echo(terminal_text(text), err=err)


def final_paths(paths: list[Path], stage: Path, out: Path) -> list[Path]:
    """Paths written in a staging folder as they are named once the result is made current (for messages)."""
    return [Path(out) / Path(p).relative_to(stage) for p in paths]


def warn(message: str) -> None:
    say(f"pbrsim: warning: {message}", err=True)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    """Print one clear line and exit with code 2 (bad input): no traceback."""
    line = " ".join(str(message).split("\n"))
    say(f"pbrsim: error: {line}", err=True)
    sys.exit(code)


class Folder(click.ParamType):
    """A folder path; an empty one is refused (it would mean the current folder)."""

    name = "folder"

    def convert(self, value, param, ctx) -> Path:
        text = os.fspath(value)
        if not text.strip():
            self.fail("must name a folder (got an empty path)", param, ctx)
        return Path(text)


def _os_error(exc: OSError) -> str:
    where = f"{shown_path(str(exc.filename))}: " if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (f"{where}no space left on the device; nothing was replaced and finished work is kept: "
                "free some space and run the same command again (add --resume to a run)")
    return f"{where}{exc.strerror or exc}"


class _Commands(click.Group):
    """Every command's errors end as one line and exit code 2, never a traceback."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if args is None and standalone_mode:  # the pbrsim process itself (a test's runner passes its arguments)
            gc.freeze()  # what the imports made lives as long as the process: full collections skip it
        try:
            code = super().main(args, prog_name or "pbrsim", complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            where = f" (see '{exc.ctx.command_path} --help')" if getattr(exc, "ctx", None) else ""
            fail(exc.format_message() + where)
        except click.exceptions.Abort:
            fail("interrupted", EXIT_INTERRUPTED)
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code

    def invoke(self, ctx: click.Context):
        try:
            with watching_interrupts():
                return super().invoke(ctx)
        except PbrsimError as exc:
            fail(str(exc))
        except BrokenPipeError:  # output piped into e.g. `head`: the work is done, stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except MemoryError:
            fail("ran out of memory: run fewer simulations at a time, or add --no-monthly")
        except OSError as exc:
            fail(_os_error(exc))
        except (Exception, KeyboardInterrupt) as exc:  # an interrupt a library turned into another error too
            if not was_interrupted(exc):
                raise
            fail("interrupted (finished simulations are kept: add --resume to continue a run)", EXIT_INTERRUPTED)


@click.group(cls=_Commands)
@click.version_option(__version__, prog_name="pbrsim")
def main() -> None:
    """pbrsim: Monte Carlo cash-flow risk of Payment-by-Results contracts."""
