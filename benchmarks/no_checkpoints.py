"""``pbrsim`` with the resume checkpoints' saves left out: what they cost a run.

    python benchmarks/no_checkpoints.py run scenarios/national_tr21.toml --sims 10000 --out /tmp/x

Every step is the CLI's own except :meth:`Checkpoint.save`, which does nothing: a run killed
part-way keeps none of its work. For measuring only. ``start_fast.py`` times the national
default against ``--no-monthly`` this way beside the target, whose two runs write 65 MB and
32 MB of checkpoint a chunk (national, 1,024 simulations).
"""

from __future__ import annotations

import sys

from simulator.cli import main
from simulator.engine.checkpoint import Checkpoint


def _not_saved(self, chunk, first_block) -> None:
    """Checkpoint.save, left out."""


if __name__ == "__main__":
    Checkpoint.save = _not_saved
    sys.argv[0] = "pbrsim"
    main()
