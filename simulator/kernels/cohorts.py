"""One area's cohorts in one simulation: volumes, baselines, outcomes and PbR per cohort."""

from __future__ import annotations

import numpy as np
from numba import njit

from .outcomes import clip_rate, count_variance, lognormal_factor, segment_outcome
from .payments import (
    binary_payment,
    binary_standard_error,
    cap_and_collar,
    frequency_payment,
    stretched,
)


@njit(cache=True)
def draw_volumes(gen, m, a, vol):
    """Cases starting each contract month: contracted x sim factor x noise per cohort period."""
    factor = lognormal_factor(gen, m.vol_factor_mean[a], m.vol_factor_sd[a])
    noise = 1.0
    for mo in range(m.term):
        if mo % m.period_len == 0:
            noise = lognormal_factor(gen, 1.0, m.vol_noise_sd[a])
        vol[mo] = m.vol_contracted[a] * factor * noise


@njit(cache=True)
def draw_baselines(gen, m, a, base_rate, base_mu):
    """The historic baseline per segment: the true rate, or an estimate from a finite cohort."""
    for g in range(m.n_segments[a]):
        p, mu = m.seg_rate[a, g], m.seg_mu[a, g]
        n_hist = int(round(m.base_n[a] * m.seg_share[a, g]))
        if n_hist > 0:
            r, o = segment_outcome(gen, n_hist, p, mu, m.seg_alpha[a, g])
            p = max(r, 1) / n_hist
            mu = o / r if r > 0 else mu
        base_rate[g], base_mu[g] = p, mu


@njit(cache=True)
def cohort_size(m, vol, c):
    total = 0.0
    for mo in range(m.cohort_start[c], m.cohort_start[c] + m.cohort_len[c]):
        total += vol[mo]
    return total


@njit(cache=True)
def simulate_area_cohorts(gen, m, a, vol, base_rate, base_mu, shift_points, effect_freq, s, out, net_c):
    """Draw every cohort of area ``a`` and settle its PbR; fills ``net_c`` (GBP per cohort)."""
    for c in range(len(m.cohort_start)):
        size = cohort_size(m, vol, c)
        years = m.cohort_start[c] / 12.0
        shock = shift_points + m.trend_per_year * years
        if m.cohort_shock_sd > 0.0:
            shock += m.cohort_shock_sd * gen.standard_normal()
        n = r_tot = o_tot = 0
        e_bin = e_off = e_sq = 0.0
        for g in range(m.n_segments[a]):
            n_g = int(round(size * m.seg_share[a, g]))
            p = clip_rate(m.seg_rate[a, g] + shock / 100.0)
            mu = max(1.0, m.seg_mu[a, g] * (1.0 - effect_freq))
            r, o = segment_outcome(gen, n_g, p, mu, m.seg_alpha[a, g])
            n += n_g
            r_tot += r
            o_tot += o
            e_bin += n_g * base_rate[g]
            e_off += n_g * base_rate[g] * base_mu[g]
            e_sq += n_g * base_rate[g] * (count_variance(base_mu[g], m.seg_alpha[a, g]) + base_mu[g] ** 2)
        net_c[c] = settle_cohort(m, a, c, n, r_tot, o_tot, e_bin, e_off, e_sq)
        record_cohort(out, s, a, c, n, r_tot, o_tot, e_bin, e_off, m, net_c[c])


@njit(cache=True)
def record_cohort(out, s, a, c, n, r, o, e_bin, e_off, m, net):
    year = m.month_year[m.cohort_start[c]]
    out.cohort_n[s, a, c] = n
    out.cohort_pbr[s, a, c] = net
    if n > 0:
        out.cohort_binary[s, a, c] = r / n
        out.cohort_frequency[s, a, c] = o / n
        out.cohort_base_binary[s, a, c] = stretched(e_bin / n, m.stretch[a], year)
        out.cohort_base_frequency[s, a, c] = stretched(e_off / n, m.stretch[a], year)


@njit(cache=True)
def settle_cohort(m, a, c, n, reoffenders, reoffences, e_bin, e_off, e_sq):
    """Net PbR for one cohort (GBP): binary + frequency with hurdle, deductions, cap, collar.

    A measure pays (or deducts) only beyond its threshold: ``z * se`` for a significance
    test, a fixed target (points, or a relative fall in frequency) for target designs, 0 else.

    ``e_bin``, ``e_off``, ``e_sq`` are baseline sums over the cohort's case mix: expected
    reoffenders, reoffences and sum of squared counts, so baselines are case-mix adjusted.
    """
    if n <= 0:
        return 0.0
    year = m.month_year[m.cohort_start[c]]
    scale = m.rate_scale_year[a, year]
    z = m.z_crit[a]
    base = stretched(e_bin / n, m.stretch[a], year)
    actual = reoffenders / n
    binary = binary_payment(base, actual, n, z * binary_standard_error(base, n) + m.bin_target[a],
                            m.bin_rate[a] * scale, m.bin_ded[a] * scale, m.deductions[a])
    hurdle_met = (not m.hurdle[a]) or actual <= base
    if m.freq_per_reoffender[a]:
        base_f = stretched(e_off / e_bin, m.stretch[a], year) if e_bin > 0 else 0.0
        var = e_sq / e_bin - (e_off / e_bin) ** 2 if e_bin > 0 else 0.0
        actual_f = reoffences / reoffenders if reoffenders > 0 else 0.0
        units, se = reoffenders, np.sqrt(max(var, 0.0) / max(e_bin, 1.0))
    else:
        base_f = stretched(e_off / n, m.stretch[a], year)
        var = e_sq / n - (e_off / n) ** 2
        actual_f = reoffences / n
        units, se = n, np.sqrt(max(var, 0.0) / n)
    freq = frequency_payment(base_f, actual_f, units, z * se + m.freq_target[a] * base_f, m.freq_rate[a] * scale,
                             m.freq_ded[a] * scale, m.deductions[a], hurdle_met)
    cap = min(m.cap_per_offender[a] * n, m.pot_year[a, year] * m.cohort_len[c] / 12.0)
    return cap_and_collar(binary + freq, cap, m.collar_per_offender[a] * n)
