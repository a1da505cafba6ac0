"""The draw floor: only the cohort-segment draws of the aggregate engine, nothing else.

Same draws as the engine (``cohorts.cohort_outcome``: fast binomial reoffenders,
gamma-Poisson reoffences) for the same cohort sizes and rates, without volumes, baselines,
shocks, payment rules or cash flows: the rate the full engine could reach if everything but
drawing were free.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from simulator.kernels.cohorts import cohort_outcome
from simulator.kernels.sampling import seed_state


@njit(parallel=True, cache=True)
def segment_draws_only(gens, m, block_size, sims):
    """Draw every cohort segment of every area for ``sims`` simulations; returns the reoffences."""
    n_blocks = -(-sims // block_size)
    totals = np.zeros(n_blocks, dtype=np.int64)
    for b in prange(n_blocks):
        gen = gens[np.int64(b)]
        state = seed_state(gen)
        total = 0
        for _ in range(b * block_size, min(sims, (b + 1) * block_size)):
            for a in range(len(m.area_prime)):
                size = m.vol_contracted[a] * m.vol_factor_mean[a] * m.period_len
                for _c in range(len(m.cohort_start)):
                    for g in range(m.n_segments[a]):
                        n_g = int(round(size * m.seg_share[a, g]))
                        state, _r, o = cohort_outcome(gen, state, n_g, m.seg_rate[a, g], m.seg_mu[a, g],
                                                      m.seg_alpha[a, g])
                        total += o
        totals[b] = total
    return totals
