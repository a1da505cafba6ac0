"""The engine layer: a validated scenario in, labelled :class:`~simulator.results.Results` out.

``model_arrays.py`` flattens a scenario into arrays once (with ``timeline.py``'s calendar),
``run.py`` seeds the blocks, cuts the run into chunks and calls the compiled kernels,
``outputs.py`` allocates what they fill, ``checkpoint.py`` keeps finished chunks.
"""

from .run import BLOCK_SIZE, CHUNK_BLOCKS, MODES, block_generators, run_checkpoint, simulate, with_mode

__all__ = ["BLOCK_SIZE", "CHUNK_BLOCKS", "MODES", "block_generators", "run_checkpoint", "simulate", "with_mode"]
