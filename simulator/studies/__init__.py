"""The studies layer: questions asked of many runs on common random numbers.

``grid.py`` parses the values to vary, ``sweep.py`` runs a grid of scenario variants,
``breakeven.py`` solves for the value of one key that meets a target, ``distributed.py``
sends the points to a Dask cluster. The researcher's studies: ``power.py`` (power curves,
with ``power_theory.py`` and ``crossing.py``), ``compare.py`` (designs with paired errors,
``value.py`` for value for money), ``incentives.py`` (spend against reward, worded by
``incentive_answers.py``); ``designs.py``, ``tables.py`` and ``drawing.py`` serve them. A new
study (e.g. sensitivity) is a module here built on :func:`simulator.engine.simulate` and
:class:`simulator.results.Results`; it writes tables and leaves drawing to ``outputs``.
"""

from .breakeven import parse_target, solve
from .sweep import SweepSpec, run_sweep

__all__ = ["SweepSpec", "parse_target", "run_sweep", "solve"]
