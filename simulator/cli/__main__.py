"""``python -m simulator.cli``: the same as the ``pbrsim`` command."""

from . import main

main()
