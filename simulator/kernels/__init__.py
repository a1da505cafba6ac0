"""Compiled kernels: pure ``@njit`` functions over arrays and scalars.

Nothing here knows about files, scenarios or the CLI; the engine turns a scenario into
:class:`simulator.model_arrays.ModelArrays` and calls :func:`simulate_blocks`.
"""

from .simulate import simulate_blocks

__all__ = ["simulate_blocks"]
