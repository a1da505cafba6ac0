"""The ``pbrsim`` command line: a thin shell over the public API (parsing and formatting only).

``common.py`` holds the command group and its error rule, ``run.py`` the commands on one
run, ``studies.py`` the commands over many runs, ``app.py`` the local web page, ``options.py``
--set and the run header, ``progress.py`` the progress bars.
"""

from . import app, compare, incentives, power, record, run, sensitivity, studies  # noqa: F401  (importing them registers their commands)
from .common import main

__all__ = ["main"]
