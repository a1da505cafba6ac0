"""The ``pbrsim`` command line: a thin shell over the public API (parsing and formatting only).

``common.py`` holds the command group and its error rule, ``run.py`` the commands on one
run, ``studies.py`` the commands over many runs, ``progress.py`` the progress bars.
"""

from . import record, run, studies  # noqa: F401  (importing them registers their commands)
from .common import main

__all__ = ["main"]
