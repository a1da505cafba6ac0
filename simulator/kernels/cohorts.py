"""One area's cohorts in one simulation: volumes, baselines, outcomes and PbR per cohort."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from .given import AREA_BASELINE, AREA_VOLUME, AREA_VOLUME_NOISE, GIVEN_COHORT_SHOCK, area_column, binomial_quantile, given_draw
from .individual import individual_outcome, prepare_counts
from .outcomes import clip_rate, count_variance, lognormal_factor, segment_effect
from .payments import (
    binary_payment,
    binary_standard_error,
    cap_and_collar,
    frequency_payment,
    stretched,
)
from .sampling import binomial, poisson, seed_state


@njit(cache=True)
def draw_volumes(gen, m, a, vol, s):
    """Cases starting each contract month: contracted x sim factor x noise per cohort period.

    Periods are aligned on the cohorts (bedding-in + k periods), so each cohort has one draw.
    Simulation ``s``'s given draws (see given.py) may set the factor and the noise.
    """
    col = area_column(m.seg_share.shape[1], a, 0)
    factor = lognormal_factor(gen, m.vol_factor_mean[a], m.vol_factor_sd[a],
                              given_draw(m.given, s, col + AREA_VOLUME, np.nan))
    noise_z = given_draw(m.given, s, col + AREA_VOLUME_NOISE, np.nan)
    noise = 1.0
    for mo in range(m.term):
        if mo == 0 or (mo - m.bedding_in) % m.period_len == 0:
            noise = lognormal_factor(gen, 1.0, m.vol_noise_sd[a], noise_z)
        vol[mo] = m.vol_contracted[a] * factor * noise


@njit(cache=True)
def cohort_outcome(gen, state, n, p, mu, alpha):
    """(state, reoffenders, reoffences) for ``n`` offenders with true rate ``p``.

    Reoffenders are Binomial(n, p) from the fast sampler on the SplitMix64 ``state``. Each
    reoffender's reoffences beyond the first are NB2 (mean ``mu - 1``, variance m + alpha m^2);
    the sum over R of them is gamma-Poisson with shape ``R / alpha`` (Poisson when alpha = 0).
    """
    if n <= 0:
        return state, 0, 0
    state, r = binomial(state, n, p)
    extra_mean = mu - 1.0
    if r == 0 or extra_mean <= 0.0:
        return state, r, r
    lam = r * extra_mean
    if alpha > 0.0:
        lam = gen.gamma(r / alpha, extra_mean * alpha)
    state, extra = poisson(state, lam)
    return state, r, r + extra


@njit(cache=True)
def draw_baselines(gen, m, a, base_rate, base_mu, s):
    """The historic baseline per segment: the true rate, or an estimate from a finite cohort.

    A given quantile (see given.py) sets the historic count of reoffenders; the mean count per
    reoffender stays the one drawn (its error is nearly independent of that count).
    """
    state = seed_state(gen)
    col = area_column(m.seg_share.shape[1], a, AREA_BASELINE)
    for g in range(m.n_segments[a]):
        p, mu = m.seg_rate[a, g], m.seg_mu[a, g]
        n_hist = int(round(m.base_n[a] * m.seg_share[a, g]))
        if n_hist > 0:
            state, r, o = cohort_outcome(gen, state, n_hist, p, mu, m.seg_alpha[a, g])
            mu = o / r if r > 0 else mu
            u = given_draw(m.given, s, col + g, np.nan)
            if not np.isnan(u):
                r = binomial_quantile(n_hist, p, u)
            p = max(r, 1) / n_hist
        base_rate[g], base_mu[g] = p, mu


PbrTerms = namedtuple(
    "PbrTerms",
    "stretch z bin_target bin_rate bin_ded freq_target freq_rate freq_ded deductions hurdle "
    "per_reoffender cap_per_offender collar_per_offender",
)
CohortTerms = namedtuple("CohortTerms", "year scale pot_cap stretch_factor")


@njit(cache=True)
def pbr_terms(m, a):
    """Area ``a``'s payment terms as scalars (no arrays: cheap to pass on, unlike ``m``)."""
    return PbrTerms(
        m.stretch[a], m.z_crit[a], m.bin_target[a], m.bin_rate[a], m.bin_ded[a], m.freq_target[a], m.freq_rate[a],
        m.freq_ded[a], m.deductions[a], m.hurdle[a], m.freq_per_reoffender[a], m.cap_per_offender[a],
        m.collar_per_offender[a],
    )


@njit(cache=True)
def cohort_terms(m, a, c):
    """Cohort ``c``'s contract year, rate scale, share of the year's PbR pot (GBP) and stretch."""
    year = m.month_year[m.cohort_start[c]]
    return CohortTerms(year, m.rate_scale_year[a, year], m.pot_year[a, year] * m.cohort_len[c] / 12.0,
                       stretched(1.0, m.stretch[a], year))


@njit(cache=True)
def cohort_terms_table(m):
    """Every (area, cohort)'s :class:`CohortTerms` as a float table, computed once per block."""
    table = np.empty((len(m.area_prime), len(m.cohort_start), 4))
    for a in range(table.shape[0]):
        for c in range(table.shape[1]):
            ct = cohort_terms(m, a, c)
            table[a, c, 0], table[a, c, 1], table[a, c, 2], table[a, c, 3] = ct
    return table


@njit(cache=True)
def cohort_size(vol, start, length):
    total = 0.0
    for mo in range(start, start + length):
        total += vol[mo]
    return total


@njit(cache=True)
def simulate_area_cohorts(gen, m, a, vol, base_rate, base_mu, shift_points, effect_freq, s, out, net_c,
                          individual, tables, terms_table, effect_z):
    """Draw every cohort of area ``a`` and settle its PbR; fills ``net_c`` (GBP per cohort).

    ``individual``: draw offenders one by one (``tables``: :class:`~.individual.CountTables`).
    ``terms_table``: this area's rows of :func:`cohort_terms_table`.
    ``effect_z``: this simulation's standard normal for the per-segment effect bought by spend.

    Only scalars go to the per-cohort helpers, and arrays are taken out of ``m`` and ``out``
    once: passing those tuples on, or reading an array from them, costs an atomic
    reference-count update per array, which dominated the loop (and contends across threads).
    """
    rate, mu_row, alpha, share = m.seg_rate[a], m.seg_mu[a], m.seg_alpha[a], m.seg_share[a]
    spread = m.seg_spread[a]
    seg_points, seg_sd = m.seg_effect_points[a], m.seg_effect_sd[a]
    starts, lengths, n_seg = m.cohort_start, m.cohort_len, m.n_segments[a]
    trend, shock_sd, given = m.trend_per_year, m.cohort_shock_sd, m.given
    n_out, pbr_out, bin_out = out.cohort_n[s, a], out.cohort_pbr[s, a], out.cohort_binary[s, a]
    freq_out, base_bin_out, base_freq_out = out.cohort_frequency[s, a], out.cohort_base_binary[s, a], \
        out.cohort_base_frequency[s, a]
    terms = pbr_terms(m, a)
    state = seed_state(gen)
    if individual:
        for g in range(m.n_segments[a]):
            prepare_counts(max(1.0, mu_row[g] * (1.0 - effect_freq)), alpha[g], tables, g)
    for c in range(len(starts)):
        size = cohort_size(vol, starts[c], lengths[c])
        years = starts[c] / 12.0
        shock = shift_points + trend * years
        if shock_sd > 0.0:
            shock += shock_sd * given_draw(given, s, GIVEN_COHORT_SHOCK, gen.standard_normal())
        n = r_tot = o_tot = 0
        e_bin = e_off = e_sq = 0.0
        for g in range(n_seg):
            n_g = int(round(size * share[g]))
            p = clip_rate(rate[g] + (shock - segment_effect(seg_points[g], seg_sd[g], effect_z)) / 100.0)
            mu = max(1.0, mu_row[g] * (1.0 - effect_freq))
            if individual:
                r, o = individual_outcome(gen, n_g, p, spread[g], tables.cdf[g], tables.guide[g], tables.table,
                                          tables.table_guide)
            else:
                state, r, o = cohort_outcome(gen, state, n_g, p, mu, alpha[g])
            n += n_g
            r_tot += r
            o_tot += o
            e_bin += n_g * base_rate[g]
            e_off += n_g * base_rate[g] * base_mu[g]
            e_sq += n_g * base_rate[g] * (count_variance(base_mu[g], alpha[g]) + base_mu[g] ** 2)
        row = terms_table[c]
        ct = CohortTerms(int(row[0]), row[1], row[2], row[3])
        net = settle(terms, ct, n, r_tot, o_tot, e_bin, e_off, e_sq)
        net_c[c] = net
        n_out[c] = n
        pbr_out[c] = net
        if n > 0:
            bin_out[c] = r_tot / n
            freq_out[c] = o_tot / n
            base_bin_out[c] = e_bin / n * ct.stretch_factor
            base_freq_out[c] = e_off / n * ct.stretch_factor


@njit(cache=True)
def settle_cohort(m, a, c, n, reoffenders, reoffences, e_bin, e_off, e_sq):
    """Net PbR for cohort ``c`` of area ``a`` (GBP); see :func:`settle`."""
    return settle(pbr_terms(m, a), cohort_terms(m, a, c), n, reoffenders, reoffences, e_bin, e_off, e_sq)


@njit(cache=True)
def settle(t, ct, n, reoffenders, reoffences, e_bin, e_off, e_sq):
    """Net PbR for one cohort (GBP): binary + frequency with hurdle, deductions, cap, collar.

    A measure pays (or deducts) only beyond its threshold: ``z * se`` for a significance
    test, a fixed target (points, or a relative fall in frequency) for target designs, 0 else.

    ``t`` holds the area's :class:`PbrTerms`, ``ct`` the cohort's :class:`CohortTerms`.
    ``e_bin``, ``e_off``, ``e_sq`` are baseline sums over the cohort's case mix: expected
    reoffenders, reoffences and sum of squared counts, so baselines are case-mix adjusted.
    """
    if n <= 0:
        return 0.0
    scale = ct.scale
    base = e_bin / n * ct.stretch_factor  # = stretched(e_bin / n, t.stretch, ct.year)
    actual = reoffenders / n
    binary = binary_payment(base, actual, n, t.z * binary_standard_error(base, n) + t.bin_target,
                            t.bin_rate * scale, t.bin_ded * scale, t.deductions)
    hurdle_met = (not t.hurdle) or actual <= base
    if t.per_reoffender:
        base_f = e_off / e_bin * ct.stretch_factor if e_bin > 0 else 0.0
        var = e_sq / e_bin - (e_off / e_bin) ** 2 if e_bin > 0 else 0.0
        actual_f = reoffences / reoffenders if reoffenders > 0 else 0.0
        units, se = reoffenders, np.sqrt(max(var, 0.0) / max(e_bin, 1.0))
    else:
        base_f = e_off / n * ct.stretch_factor
        var = e_sq / n - (e_off / n) ** 2
        actual_f = reoffences / n
        units, se = n, np.sqrt(max(var, 0.0) / n)
    freq = frequency_payment(base_f, actual_f, units, t.z * se + t.freq_target * base_f, t.freq_rate * scale,
                             t.freq_ded * scale, t.deductions, hurdle_met)
    cap = min(t.cap_per_offender * n, ct.pot_cap)
    return cap_and_collar(binary + freq, cap, t.collar_per_offender * n)
