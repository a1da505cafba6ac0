"""One area's cohorts in one simulation: volumes, baselines, outcomes and PbR per cohort."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from .designs import (
    add_to_pool,
    cap_cohorts,
    ladder_payment,
    pooled_top_up,
    rate_card_payment,
    within_cap,
)
from .given import AREA_BASELINE, AREA_VOLUME, AREA_VOLUME_NOISE, GIVEN_COHORT_SHOCK, area_column, binomial_quantile, given_draw
from .individual import individual_outcome, prepare_counts
from .outcomes import clip_rate, copy_1d, count_variance, lognormal_factor, segment_effect
from .payments import (
    binary_payment,
    binary_standard_error,
    cap_and_collar,
    frequency_payment,
    stretched,
    trigger,
)
from .records import (
    D_BIN_ADJ,
    D_BIN_ON,
    D_CARD_N,
    D_CONTROL_RATIO,
    D_FREQ_ADJ,
    D_FREQ_ON,
    D_LADDER_KIND,
    D_LADDER_PER_OFFENDER,
    D_POOLED,
    D_POOLED_BIN,
    D_POOLED_FREQ,
    D_TOTAL_CAP,
    LADDER_NONE,
    T_AMOUNTS,
    T_CHANCES,
    T_FALLS,
    T_PRICES,
)
from .sampling import binomial, gamma, poisson, seed_state


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
    bedding_in, period, noise_sd, contracted = m.bedding_in, m.period_len, m.vol_noise_sd[a], m.vol_contracted[a]
    for mo in range(m.term):
        if mo == 0 or (mo - bedding_in) % period == 0:
            noise = lognormal_factor(gen, 1.0, noise_sd, noise_z)
        vol[mo] = contracted * factor * noise


@njit(cache=True)
def cohort_outcome(bits, state, n, p, mu, alpha):
    """(state, reoffenders, reoffences) for ``n`` offenders with true rate ``p``; ``bits``: the block
    Generator's ``bit_generator`` (see :func:`~.sampling.gamma`).

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
        lam = gamma(bits, r / alpha, extra_mean * alpha)
    state, extra = poisson(state, lam)
    return state, r, r + extra


@njit(cache=True)
def estimated_rates(bits, state, n, p, mu, alpha):
    """(state, rate, reoffences per reoffender) measured on ``n`` people with true rate ``p``.

    How a control cohort is observed: with its own sampling noise, the rate floored at one
    reoffender, the per-reoffender mean kept when nobody reoffends.
    """
    state, r, o = cohort_outcome(bits, state, n, p, mu, alpha)
    return state, max(r, 1) / n, (o / r if r > 0 else mu)


@njit(cache=True)
def draw_baselines(gen, m, a, base_rate, base_mu, s):
    """The historic baseline per segment: the true rate, or an estimate from a finite cohort.

    The historic cohort has the historic case mix; an area measured against a control cohort
    draws its baselines per cohort instead (:func:`simulate_area_cohorts`). A given quantile
    (see given.py) sets the historic count of reoffenders; the mean count per reoffender stays
    the one drawn (its error is nearly independent of that count).
    """
    state = seed_state(gen)
    col = area_column(m.seg_share.shape[1], a, AREA_BASELINE)
    for g in range(m.n_segments[a]):
        p, mu = m.seg_rate[a, g], m.seg_mu[a, g]
        n_hist = int(round(m.base_n[a] * m.seg_hist_share[a, g])) if m.design[a, D_CONTROL_RATIO] == 0.0 else 0
        if n_hist > 0:
            state, r, o = cohort_outcome(gen.bit_generator, state, n_hist, p, mu, m.seg_alpha[a, g])
            mu = o / r if r > 0 else mu
            u = given_draw(m.given, s, col + g, np.nan)
            if not np.isnan(u):
                r = binomial_quantile(n_hist, p, u)
            p = max(r, 1) / n_hist
        base_rate[g], base_mu[g] = p, mu


PbrTerms = namedtuple(
    "PbrTerms",
    "stretch z bin_target bin_rate bin_ded freq_target freq_rate freq_ded deductions hurdle "
    "per_reoffender cap_per_offender collar_per_offender bin_adj freq_adj bin_on freq_on",
)
CohortTerms = namedtuple("CohortTerms", "year scale pot_cap stretch_factor")


@njit(cache=True)
def pbr_terms(m, a, bin_target, freq_target):
    """Area ``a``'s payment terms as scalars (no arrays: cheap to pass on, unlike ``m``).

    The targets are arguments: the per-cohort ones, or the pooled trigger's.
    """
    return PbrTerms(
        m.stretch[a], m.z_crit[a], bin_target, m.bin_rate[a], m.bin_ded[a], freq_target, m.freq_rate[a],
        m.freq_ded[a], m.deductions[a], m.hurdle[a], m.freq_per_reoffender[a], m.cap_per_offender[a],
        m.collar_per_offender[a], m.design[a, D_BIN_ADJ] > 0.0, m.design[a, D_FREQ_ADJ] > 0.0,
        m.design[a, D_BIN_ON] > 0.0, m.design[a, D_FREQ_ON] > 0.0,
    )


@njit(cache=True)
def with_targets(t, bin_target, freq_target):
    """``t`` with other targets (the pooled trigger's), built from scalars: no second read of ``m``."""
    return PbrTerms(t.stretch, t.z, bin_target, t.bin_rate, t.bin_ded, freq_target, t.freq_rate, t.freq_ded,
                    t.deductions, t.hurdle, t.per_reoffender, t.cap_per_offender, t.collar_per_offender, t.bin_adj,
                    t.freq_adj, t.bin_on, t.freq_on)


@njit(cache=True)
def cohort_terms(m, a, c):
    """Cohort ``c``'s contract year, rate scale, its year's PbR pot (GBP, MAP - fee) and stretch."""
    year = m.month_year[m.cohort_start[c]]
    months = min(12, m.term - 12 * year)  # a part year at the end of the term has a part pot
    return CohortTerms(year, m.rate_scale_year[a, year], m.pot_year[a, year] * months / 12.0,
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
def simulate_area_cohorts(gen, m, a, vol, base_rate, base_mu, shift_points, national_points, effect_freq, s, out,
                          net_c, met_c, individual, tables, terms_table, pool, effect_z, designs):
    """Draw every cohort of area ``a`` and settle its PbR; fills ``net_c`` (GBP) and ``met_c``.

    ``shift_points``: the treated cohorts' shift (national shock less the effect);
    ``national_points``: the national shock alone (what a control cohort shares).
    ``individual``: draw offenders one by one (``tables``: :class:`~.individual.CountTables`).
    ``terms_table``: this area's rows of :func:`cohort_terms_table`; ``pool``: scratch for a
    pooled trigger's sums (:func:`~.designs.pooled_sums`).
    ``effect_z``: this simulation's standard normal for the per-segment effect bought by spend.
    ``designs``: ``m.outcome_tables``, or None when no area has a ladder, rate card, pooled trigger
    or control group; numba then prunes every ``if designs is not None`` branch, so contracts
    without them compile none of that code.

    Then each cohort's net is limited by what is left of its year's pot (MAP - fee) and of the
    contract's total cap (:func:`~.designs.cap_cohorts`); a pooled trigger tops up the last
    cohort's settlement (recorded apart in ``out.pooled_pbr``).

    Only scalars go to the per-cohort helpers, and arrays are taken out of ``m`` and ``out``
    once: passing those tuples on, or reading an array from them, costs an atomic
    reference-count update per array, which dominated the loop (and contends across threads).
    """
    rate, mu_row, alpha, share, hist = m.seg_rate[a], m.seg_mu[a], m.seg_alpha[a], m.seg_share[a], m.seg_hist_share[a]
    seg_points, seg_sd = m.seg_effect_points[a], m.seg_effect_sd[a]
    starts, lengths, n_seg = m.cohort_start, m.cohort_len, m.n_segments[a]
    design, given = m.design[a], m.given
    trend, shock_sd, ratio, total_cap = m.trend_per_year, m.cohort_shock_sd, design[D_CONTROL_RATIO], design[D_TOTAL_CAP]
    ladder_kind, per_offender, card_n = int(design[D_LADDER_KIND]), design[D_LADDER_PER_OFFENDER] > 0.0, int(design[D_CARD_N])
    n_out, pbr_out, bin_out = out.cohort_n[s, a], out.cohort_pbr[s, a], out.cohort_binary[s, a]
    freq_out, base_bin_out, base_freq_out = out.cohort_frequency[s, a], out.cohort_base_binary[s, a], \
        out.cohort_base_frequency[s, a]
    met_out = out.cohort_met[s, a]
    terms = pbr_terms(m, a, m.bin_target[a], m.freq_target[a])
    state, bits = seed_state(gen), gen.bit_generator
    if individual:
        for g in range(m.n_segments[a]):
            prepare_counts(max(1.0, mu_row[g] * (1.0 - effect_freq)), alpha[g], tables, g)
    pooled = design[D_POOLED] > 0.0
    pool[:] = 0.0
    hist_fixed = historic_sums(hist, base_rate, base_mu, alpha, n_seg)  # the historic mix's sums, per offender
    for c in range(len(starts)):
        size = cohort_size(vol, starts[c], lengths[c])
        years = starts[c] / 12.0
        national = national_points + trend * years
        shock = shift_points + trend * years
        if shock_sd > 0.0:
            shock += shock_sd * given_draw(given, s, GIVEN_COHORT_SHOCK, gen.standard_normal())
        n = r_tot = o_tot = 0
        a_bin = a_off = a_sq = 0.0  # baseline sums over the cohort's mix ...
        h_bin, h_off, h_sq = hist_fixed  # ... and per offender over the historic mix (redone with a control)
        if designs is not None:
            if ratio > 0.0:
                h_bin = h_off = h_sq = 0.0
        for g in range(n_seg):
            n_g = int(round(size * share[g]))
            p = clip_rate(rate[g] + (shock - segment_effect(seg_points[g], seg_sd[g], effect_z)) / 100.0)
            mu = max(1.0, mu_row[g] * (1.0 - effect_freq))
            if individual:
                r, o = individual_outcome(gen, n_g, p, tables.cdf[g], tables.guide[g], tables.table, tables.table_guide)
            else:
                state, r, o = cohort_outcome(bits, state, n_g, p, mu, alpha[g])
            n += n_g
            r_tot += r
            o_tot += o
            b, bm = base_rate[g], base_mu[g]
            if designs is not None:
                if ratio > 0.0:
                    if n_g > 0:
                        state, b, bm = estimated_rates(bits, state, max(1, int(round(ratio * n_g))),
                                                       clip_rate(rate[g] + national / 100.0), mu_row[g], alpha[g])
                    h_bin += hist[g] * b
                    h_off += hist[g] * b * bm
                    h_sq += hist[g] * b * (count_variance(bm, alpha[g]) + bm ** 2)
            a_bin += n_g * b
            a_off += n_g * b * bm
            a_sq += n_g * b * (count_variance(bm, alpha[g]) + bm ** 2)
        e_bin = a_bin if terms.bin_adj else n * h_bin
        f_bin, e_off, e_sq = (a_bin, a_off, a_sq) if terms.freq_adj else (n * h_bin, n * h_off, n * h_sq)
        ct = CohortTerms(int(terms_table[c, 0]), terms_table[c, 1], terms_table[c, 2], terms_table[c, 3])
        other, other_met = 0.0, False
        if designs is not None:
            if ladder_kind != LADDER_NONE or card_n > 0:
                t = designs[a]
                state, other, other_met = cohort_designs(terms, ct, state, ladder_kind, t[T_FALLS], t[T_AMOUNTS],
                                                         per_offender, card_n, t[T_PRICES], t[T_CHANCES], n, r_tot,
                                                         o_tot, e_bin, f_bin, e_off, e_sq)
        net_c[c], met_c[c] = settle(terms, ct, n, r_tot, o_tot, e_bin, f_bin, e_off, e_sq, other, other_met)
        if designs is not None:
            if pooled:
                add_to_pool(pool, n, r_tot, o_tot, e_bin, f_bin, e_off, e_sq, ct.stretch_factor)
        n_out[c] = n
        met_out[c] = met_c[c]
        if n > 0:
            bin_out[c] = r_tot / n
            freq_out[c] = o_tot / n
            base_bin_out[c] = e_bin / n * ct.stretch_factor
            base_freq_out[c] = e_off / n * ct.stretch_factor
    paid = cap_cohorts(net_c, terms_table[:, 0], terms_table[:, 2], total_cap)
    copy_1d(pbr_out, net_c)
    if designs is not None:
        if pooled:
            pooled_terms = with_targets(terms, design[D_POOLED_BIN], design[D_POOLED_FREQ])
            last = terms_table[len(starts) - 1]
            top = within_cap(pooled_top_up(pooled_settlement(pooled_terms, int(last[0]), last[1], pool), paid),
                             total_cap, paid)
            net_c[len(starts) - 1] += top
            out.pooled_pbr[s, a] = top


@njit(cache=True)
def historic_sums(hist, base_rate, base_mu, alpha, n_seg):
    """Per offender, the baseline sums over the historic mix: reoffenders, reoffences, squared counts."""
    h_bin = h_off = h_sq = 0.0
    for g in range(n_seg):
        b, bm = base_rate[g], base_mu[g]
        h_bin += hist[g] * b
        h_off += hist[g] * b * bm
        h_sq += hist[g] * b * (count_variance(bm, alpha[g]) + bm ** 2)
    return h_bin, h_off, h_sq


@njit(cache=True)
def pooled_settlement(terms, year, scale, pool):
    """What all of an area's cohorts earn pooled (GBP): ``terms`` carry the pooled targets;
    ``pool``: :func:`~.designs.pooled_sums` after every cohort (baselines already stretched);
    ``year``, ``scale``: the last cohort's contract year and rate scale."""
    ct = CohortTerms(year, scale, np.inf, 1.0)
    return settle(terms, ct, int(pool[0]), int(pool[1]), int(pool[2]), pool[3], pool[4], pool[5], pool[6], 0.0,
                  False)[0]


@njit(cache=True)
def cohort_designs(t, ct, state, kind, falls, amounts, per_offender, card_n, prices, probs, n, reoffenders, reoffences,
                   e_bin, f_bin, e_off, e_sq):
    """(state, GBP, met) of one cohort's ladder and rate card (see :mod:`.designs`)."""
    if n <= 0:
        return state, 0.0, False
    base_f, actual_f, _, _ = frequency_terms(t, ct, n, reoffenders, reoffences, f_bin, e_off, e_sq)
    amount, met = ladder_payment(kind, falls, amounts, per_offender, n, e_bin / n * ct.stretch_factor,
                                 reoffenders / n, base_f, actual_f)
    state, card = rate_card_payment(state, card_n, prices, probs, n, reoffenders)
    return state, amount + card, met or card > 0.0


@njit(cache=True)
def settle_cohort(m, a, c, n, reoffenders, reoffences, e_bin, e_off, e_sq):
    """Net PbR for cohort ``c`` of area ``a`` (GBP) with both baselines from the same sums; see
    :func:`settle` (the year's pot and the contract cap apply across cohorts, not here)."""
    terms = pbr_terms(m, a, m.bin_target[a], m.freq_target[a])
    return settle(terms, cohort_terms(m, a, c), n, reoffenders, reoffences, e_bin, e_bin, e_off, e_sq, 0.0, False)[0]


@njit(cache=True)
def frequency_terms(t, ct, n, reoffenders, reoffences, f_bin, e_off, e_sq):
    """(baseline, actual, units, s.e.) of the frequency measure, per offender or per reoffender."""
    if t.per_reoffender:
        base_f = e_off / f_bin * ct.stretch_factor if f_bin > 0 else 0.0
        var = e_sq / f_bin - (e_off / f_bin) ** 2 if f_bin > 0 else 0.0
        actual_f = reoffences / reoffenders if reoffenders > 0 else 0.0
        return base_f, actual_f, reoffenders, np.sqrt(max(var, 0.0) / max(f_bin, 1.0))
    base_f = e_off / n * ct.stretch_factor
    var = e_sq / n - (e_off / n) ** 2
    return base_f, reoffences / n, n, np.sqrt(max(var, 0.0) / n)


@njit(cache=True)
def settle(t, ct, n, reoffenders, reoffences, e_bin, f_bin, e_off, e_sq, other, other_met):
    """(net PbR GBP, target met) for one cohort: binary + frequency with hurdle, deductions, plus
    ``other`` (a ladder or rate card), within the cap and collar per offender.

    A measure pays (or deducts) only beyond its threshold: ``z * se`` for a significance
    test, a fixed target (points, or a relative fall in frequency) for target designs, 0 else.
    The cohort *meets its target* when a measure of the contract (one with a price or a
    target) is beyond its pay threshold, frequency with the hurdle met, or ``other_met``.

    ``t`` holds the area's :class:`PbrTerms`, ``ct`` the cohort's :class:`CohortTerms`.
    ``e_bin`` is the binary baseline's expected reoffenders; ``f_bin``, ``e_off``, ``e_sq`` the
    frequency baseline's expected reoffenders, reoffences and sum of squared counts. Each is
    summed over the cohort's own case mix, or over the historic mix for a measure that is not
    case-mix adjusted.
    """
    if n <= 0:
        return 0.0, False
    scale = ct.scale
    base = e_bin / n * ct.stretch_factor  # = stretched(e_bin / n, t.stretch, ct.year)
    actual = reoffenders / n
    threshold = t.z * binary_standard_error(base, n) + t.bin_target
    binary = binary_payment(base, actual, n, threshold, t.bin_rate * scale, t.bin_ded * scale, t.deductions)
    hurdle_met = (not t.hurdle) or actual <= base
    base_f, actual_f, units, se = frequency_terms(t, ct, n, reoffenders, reoffences, f_bin, e_off, e_sq)
    f_threshold = t.z * se + t.freq_target * base_f
    freq = frequency_payment(base_f, actual_f, units, f_threshold, t.freq_rate * scale, t.freq_ded * scale,
                             t.deductions, hurdle_met)
    met = other_met or (t.bin_on and trigger(base - actual, threshold) > 0) or \
        (t.freq_on and hurdle_met and trigger(base_f - actual_f, f_threshold) > 0)
    total = binary + freq
    if other != 0.0:
        total += other
    return cap_and_collar(total, t.cap_per_offender * n, t.collar_per_offender * n), met
