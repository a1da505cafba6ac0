"""The arrays a run fills: one row per simulation, allocated once, checked against memory.

See :class:`simulator.results.Results` for what each array means; monthly arrays may be
dropped (zero rows) when a run does not keep them.
"""

from __future__ import annotations

import errno
import mmap
import os

import numpy as np

from ..errors import ResourceError
from ..kernels.records import ModelArrays, Outputs


def output_bytes(m: ModelArrays, sims: int, *, keep_monthly: bool, keep_components: bool) -> int:
    """Bytes the output arrays of a run take (8 per value)."""
    n_p, n_m, n_c = len(m.party_kind), m.n_months, len(m.area_prime) * len(m.cohort_start)
    monthly = n_p * n_m * (int(keep_monthly) + 3 * int(keep_components))
    return 8 * sims * (monthly + n_m + 9 * n_p + 8 * n_c + len(m.area_prime) + 4)


def available_memory() -> int:
    """Physical memory available now (bytes), from /proc/meminfo or sysconf."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def check_memory(m: ModelArrays, sims: int, *, keep_monthly: bool, keep_components: bool) -> None:
    """Refuse, before allocating, a run whose outputs would not fit in memory."""
    need, have = output_bytes(m, sims, keep_monthly=keep_monthly, keep_components=keep_components), available_memory()
    if need > 0.8 * have:
        hint = " or drop the monthly arrays (--no-monthly)" if keep_monthly or keep_components else ""
        raise ResourceError(f"{sims:,} simulations need about {need / 2**30:.1f} GiB for their outputs but "
                            f"{have / 2**30:.1f} GiB is available: run fewer simulations{hint}")


MAPPED_MIN = 4 * 2**20  # bytes: smaller arrays are zeroed in numpy's memory


def mapped_zeros(shape, dtype=float) -> np.ndarray:
    """Zeros whose memory is already mapped, before the kernels write them.

    ``np.zeros`` maps a large array's pages only when they are first written: the kernels,
    writing from two threads at once, then take those page faults together, more slowly
    than one thread writing zeros first (a national run's outputs: see CHANGELOG). Where the
    system has it (Linux), an anonymous map with ``MAP_POPULATE`` has the kernel map every
    page at once, already zeroed. On this machine (a VM, transparent huge pages on request
    only) 300 MB took 0.11 s that way, against 0.74 s written into numpy's own memory, which
    numpy asks to be huge pages (slow here to map the first time), and 0.17 s without huge
    pages (``benchmarks/fresh_memory.py``, medians of 4). A map the system cannot make is a MemoryError, as
    numpy's would be.
    """
    dtype = np.dtype(dtype)
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if size < MAPPED_MIN or not hasattr(mmap, "MAP_POPULATE"):  # small ones: not worth a map of their own
        out = np.empty(shape, dtype)
        out.fill(0)
        return out
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE
    try:
        mapped = mmap.mmap(-1, size, flags=flags)
    except OSError as exc:
        if exc.errno == errno.ENOMEM:  # a memory limit (ulimit -v, strict overcommit): numpy raises MemoryError
            raise MemoryError(f"cannot map {size / 2**30:.1f} GiB of zeros") from exc
        raise
    return np.frombuffer(mapped, dtype=dtype).reshape(shape)


PER_SIMULATION = ("commissioner_total", "commissioner_npv", "effect_binary_points", "effect_frequency_relative")
PER_PARTY = ("npv", "peak_funding", "lowest_headroom", "fee_total", "pbr_total", "cost_total", "caseload_share")
PER_COHORT = ("cohort_binary", "cohort_frequency", "cohort_base_binary", "cohort_base_frequency", "cohort_pbr")


def allocate_outputs(m: ModelArrays, sims: int, *, keep_monthly: bool, keep_components: bool,
                     ahead: bool = True) -> Outputs:
    """Zeroed outputs for ``sims`` simulations; ``ahead``: mapped now (:func:`mapped_zeros`), for a run that
    fills every row. A run that may stop early (precision control, up to 200,000 simulations) leaves
    them to be mapped as it writes, or it would hold memory for simulations it never runs."""
    zeros = mapped_zeros if ahead else np.zeros
    n_p, n_m, n_a, n_c = len(m.party_kind), m.n_months, len(m.area_prime), len(m.cohort_start)
    monthly = (sims if keep_monthly else 0, n_p, n_m)
    parts = (sims if keep_components else 0, n_p, n_m)
    per_party, per_cohort = (sims, n_p), (sims, n_a, n_c)
    arrays = {name: zeros(sims) for name in PER_SIMULATION}
    arrays |= {name: zeros(per_party) for name in PER_PARTY}
    arrays |= {name: zeros(per_cohort) for name in PER_COHORT}
    return Outputs(
        **arrays,
        monthly_net=zeros(monthly),
        monthly_fee=zeros(parts), monthly_pbr=zeros(parts), monthly_cost=zeros(parts),
        commissioner_paid=zeros((sims, n_m)),
        first_pbr_month=zeros(per_party, dtype=np.int64),
        cohort_n=zeros(per_cohort, dtype=np.int64),
        cohort_met=zeros(per_cohort, dtype=np.bool_),
        pooled_pbr=np.zeros((sims, n_a)),  # these two are written only for a pooled trigger or a clawback:
        cohort_clawback=np.zeros(per_cohort),  # left unmapped, other runs never hold their memory
    )


def kept(name: str, keep_monthly: bool, keep_components: bool) -> bool:
    """Whether an output array holds one row per simulation (dropped monthly arrays do not)."""
    if name == "monthly_net":
        return keep_monthly
    return keep_components if name.startswith("monthly_") else True


def chunk_view(out: Outputs, start: int, stop: int, keep_monthly: bool, keep_components: bool) -> Outputs:
    return Outputs(**{k: v[start:stop] if kept(k, keep_monthly, keep_components) else v
                      for k, v in out._asdict().items()})


def stored_fields(chunk: Outputs, keep_monthly: bool, keep_components: bool) -> dict[str, np.ndarray]:
    return {k: v for k, v in chunk._asdict().items() if kept(k, keep_monthly, keep_components)}
