"""The arrays a run fills: one row per simulation, allocated once, checked against memory.

See :class:`simulator.results.Results` for what each array means; monthly arrays may be
dropped (zero rows) when a run does not keep them.
"""

from __future__ import annotations

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


def allocate_outputs(m: ModelArrays, sims: int, *, keep_monthly: bool, keep_components: bool) -> Outputs:
    n_p, n_m, n_a, n_c = len(m.party_kind), m.n_months, len(m.area_prime), len(m.cohort_start)
    monthly = (sims if keep_monthly else 0, n_p, n_m)
    parts = (sims if keep_components else 0, n_p, n_m)
    per_party = (sims, n_p)
    per_cohort = (sims, n_a, n_c)
    return Outputs(
        monthly_net=np.zeros(monthly),
        monthly_fee=np.zeros(parts),
        monthly_pbr=np.zeros(parts),
        monthly_cost=np.zeros(parts),
        commissioner_paid=np.zeros((sims, n_m)),
        commissioner_total=np.zeros(sims),
        commissioner_npv=np.zeros(sims),
        npv=np.zeros(per_party),
        peak_funding=np.zeros(per_party),
        lowest_headroom=np.zeros(per_party),
        first_pbr_month=np.zeros(per_party, dtype=np.int64),
        fee_total=np.zeros(per_party),
        pbr_total=np.zeros(per_party),
        cost_total=np.zeros(per_party),
        effect_binary_points=np.zeros(sims),
        effect_frequency_relative=np.zeros(sims),
        cohort_n=np.zeros(per_cohort, dtype=np.int64),
        cohort_binary=np.zeros(per_cohort),
        cohort_frequency=np.zeros(per_cohort),
        cohort_base_binary=np.zeros(per_cohort),
        cohort_base_frequency=np.zeros(per_cohort),
        cohort_pbr=np.zeros(per_cohort),
        cohort_met=np.zeros(per_cohort, dtype=np.bool_),
        pooled_pbr=np.zeros((sims, n_a)),
        cohort_clawback=np.zeros(per_cohort),
        caseload_share=np.zeros(per_party),
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
