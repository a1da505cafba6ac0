"""Blocks of simulations on several threads: the serial kernel, released from the GIL, run from a thread pool.

The kernel was ``parallel=True`` (numba parfors); parfors doubled its compile time on a fresh
install (74 s against 38 s on this machine), for no speed over plain threads: each block
owns its Generator and its rows, so the blocks of a chunk split between threads with no
sharing. Thread t takes a contiguous run of blocks; results do not depend on the split.
The thread count is numba's (``NUMBA_NUM_THREADS``, :func:`numba.set_num_threads`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba

from ..kernels import simulate_blocks as serial_blocks
from ..kernels.records import ModelArrays, Outputs, model_ref, outputs_ref

_POOLS: dict[int, ThreadPoolExecutor] = {}


def pool(workers: int) -> ThreadPoolExecutor:
    """A pool of ``workers`` threads, made once per size and kept (threads wait idle between chunks)."""
    if workers not in _POOLS:
        _POOLS[workers] = ThreadPoolExecutor(workers, thread_name_prefix="pbrsim-blocks")
    return _POOLS[workers]


def simulate_blocks(gens: tuple, block_size: int, m: ModelArrays, out: Outputs, keep_monthly: bool,
                    keep_components: bool, individual: bool = False) -> None:
    """Fill ``out`` (block b of ``block_size`` rows from ``gens[b]``) on numba's number of threads.

    Each thread gets the kernel with its blocks' rows (of the outputs and of any given draws,
    ``m.given``) and the Generators rotated so that its first block comes first (a tuple of the
    same length: one compiled type).
    """
    n_rows = out.npv.shape[0]
    n_blocks = min(len(gens), -(-n_rows // block_size))
    threads = max(1, min(numba.get_num_threads(), n_blocks))
    if threads == 1:
        serial_blocks(gens, block_size, model_ref(m), outputs_ref(out), keep_monthly, keep_components, individual)
        return
    cuts = [n_blocks * t // threads for t in range(threads + 1)]
    jobs = []
    for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
        rows = slice(lo * block_size, min(n_rows, hi * block_size))
        part = Outputs(*(a[rows] if _per_row(a, n_rows) else a for a in out))
        given = m.given[rows] if m.given.shape[0] else m.given  # given draws are indexed by row, like the outputs
        args = (gens[lo:] + gens[:lo], block_size, model_ref(m._replace(given=given)), outputs_ref(part), keep_monthly,
                keep_components, individual)
        jobs.append(pool(threads - 1).submit(serial_blocks, *args) if lo else args)
    serial_blocks(*jobs[0])  # the calling thread takes the first share
    for job in jobs[1:]:
        job.result()


def _per_row(a, n_rows: int) -> bool:
    """Whether an output array has one row per simulation (a monthly array not kept has none)."""
    return a.shape[0] == n_rows and n_rows > 0
