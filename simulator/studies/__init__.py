"""The studies layer: questions asked of many runs on common random numbers.

``grid.py`` parses the values to vary, ``sweep.py`` runs a grid of scenario variants,
``breakeven.py`` solves for the value of one key that meets a target, ``distributed.py``
sends the points to a Dask cluster. A new study (power curves, sensitivity, design
comparison, incentives) is a module here built on :func:`simulator.engine.simulate` and
:class:`simulator.results.Results`; it writes tables and leaves drawing to ``outputs``.
"""

from .breakeven import parse_target, solve
from .sweep import SweepSpec, run_sweep

__all__ = ["SweepSpec", "parse_target", "run_sweep", "solve"]
