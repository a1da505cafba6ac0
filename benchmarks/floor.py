"""The draw floor: every random draw of the aggregate engine, and nothing else.

The same draws as the engine, from the same samplers and for the same sizes and rates: the
national and per-cohort shocks and the effect (standard normals), each area's volume factor
and period noise (``cohorts.draw_volumes``), its historic baselines (``cohorts.draw_baselines``)
and every cohort segment's reoffenders and reoffences (``cohorts.cohort_outcome``: fast
binomial, gamma-Poisson) at the cohort's drawn size and shifted rate. Without payment
rules, settlements, cash flows or balances: the rate the engine could reach if everything
but drawing were free. (Draws the national scenario does not make, such as referral shares
and service credits, are left out of both.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit, prange

from simulator.kernels import SOURCES
from simulator.kernels.cache import compiled_cache
from simulator.kernels.cohorts import cohort_outcome, cohort_size, draw_baselines, draw_volumes
from simulator.kernels.outcomes import clip_rate, draw_scalar
from simulator.kernels.sampling import seed_state


def segment_draws_only(gens, m, block_size, sims):
    """Make every draw of ``sims`` simulations of the aggregate engine (``m``: a ``model_ref``); returns the reoffences."""
    n_blocks = -(-sims // block_size)
    totals = np.zeros(n_blocks, dtype=np.int64)
    for b in prange(n_blocks):
        gen = gens[np.int64(b)]
        vol = np.zeros(m.term)
        n_g_max = m.seg_share.shape[1]
        base_rate, base_mu = np.zeros(n_g_max), np.zeros(n_g_max)
        total = 0
        for s in range(b * block_size, min(sims, (b + 1) * block_size)):
            shift = m.shock_mean + m.shock_sd * (gen.standard_normal() if m.shock_sd > 0.0 else 0.0)
            effect = draw_scalar(gen, int(m.effect[0, 0]), m.effect[0, 1], m.effect[0, 2], np.nan)
            draw_scalar(gen, int(m.effect[1, 0]), m.effect[1, 1], m.effect[1, 2], np.nan)
            if m.seg_effect_drawn:
                gen.standard_normal()
            for a in range(len(m.area_prime)):
                draw_volumes(gen, m, a, vol, s)
                draw_baselines(gen, m, a, base_rate, base_mu, s)
                state = seed_state(gen)
                for c in range(len(m.cohort_start)):
                    size = cohort_size(vol, m.cohort_start[c], m.cohort_len[c])
                    shock = shift - effect + m.trend_per_year * m.cohort_start[c] / 12.0
                    if m.cohort_shock_sd > 0.0:
                        shock += m.cohort_shock_sd * gen.standard_normal()
                    for g in range(m.n_segments[a]):
                        n_g = int(round(size * m.seg_share[a, g]))
                        p = clip_rate(m.seg_rate[a, g] + shock / 100.0)
                        state, _r, o = cohort_outcome(gen.bit_generator, state, n_g, p, m.seg_mu[a, g], m.seg_alpha[a, g])
                        total += o
        totals[b] = total
    return totals


# cached in a folder keyed on this file and every kernel's source (as the engine's kernels are): numba's own key is
# this file alone, and the machine code holds the kernels it calls, so an edited sampler would leave a stale floor
with compiled_cache(Path(__file__).resolve().parent, (Path(__file__).resolve(), *SOURCES)):
    segment_draws_only = njit(parallel=True, cache=True)(segment_draws_only)
