"""The engine layer: a validated scenario in, labelled :class:`~simulator.results.Results` out.

``model_arrays.py`` flattens a scenario into arrays once (with ``timeline.py``'s calendar),
``run.py`` seeds the blocks, cuts the run into chunks and calls the compiled kernels,
``outputs.py`` allocates what they fill, ``checkpoint.py`` keeps finished chunks,
``external.py`` carries externally sampled inputs (one row per simulation) to the kernels.
"""

from .external import ExternalInputs, InputColumn, uncertain_inputs
from .run import BLOCK_SIZE, CHUNK_BLOCKS, MODES, block_generators, run_checkpoint, simulate, with_mode

__all__ = ["BLOCK_SIZE", "CHUNK_BLOCKS", "MODES", "ExternalInputs", "InputColumn", "block_generators", "run_checkpoint",
           "simulate", "uncertain_inputs", "with_mode"]
