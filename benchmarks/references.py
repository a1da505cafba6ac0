"""Two references for the same model on the same work, to put the compiled engine in context.

- :func:`numpy_simulate`: the model written the way one would write it in NumPy, vectorised
  over simulations (and, in individual mode, over every offender of a cohort segment).
  Payment rules and monthly cash flows are included, as in the engine. It reads the same
  :class:`~simulator.engine.model_arrays.ModelArrays`; it covers every feature the bundled national
  scenario uses (not investor-funded subcontractors). Its random draws come in another
  order, so it agrees with the engine in distribution, not bit for bit.
- :func:`interpreted_kernels`: the engine's own kernels executed by the Python interpreter
  (numba's JIT disabled while a second copy of ``simulator.kernels`` is imported): a plain
  Python loop over simulations, areas, cohorts and months with scalar NumPy draws.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numba
import numpy as np

import simulator
from simulator.engine.risk_spread import solve_centres
from simulator.kernels.records import (
    D_BIN_ADJ,
    D_BIN_ON,
    D_CARD_N,
    D_CONTROL_RATIO,
    D_CREDIT_PROB,
    D_CREDIT_SHARE,
    D_FREQ_ADJ,
    D_FREQ_ON,
    D_LADDER_KIND,
    D_POOLED,
    D_TOTAL_CAP,
    PD_REFERRAL_MEAN,
    PD_REFERRAL_SD,
    ModelArrays,
)

RATE_FLOOR = 1e-6
_INTERPRETED = "_pbrsim_interpreted_kernels"


def interpreted_kernels():
    """``simulator.kernels.simulate`` imported again with numba's JIT off: pure Python."""
    if _INTERPRETED + ".simulate" in sys.modules:
        return sys.modules[_INTERPRETED + ".simulate"]
    src = Path(simulator.__file__).parent / "kernels"
    old = numba.config.DISABLE_JIT
    numba.config.DISABLE_JIT = True
    try:
        spec = importlib.util.spec_from_file_location(_INTERPRETED, src / "__init__.py",
                                                      submodule_search_locations=[str(src)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[_INTERPRETED] = module
        spec.loader.exec_module(module)
    finally:
        numba.config.DISABLE_JIT = old
    return sys.modules[_INTERPRETED + ".simulate"]


# ---------------------------------------------------------------- vectorised NumPy


def _draw(rng, params, size):
    kind, a, b = int(params[0]), params[1], params[2]
    if kind == 0:
        return np.full(size, a)
    if kind == 1:
        return a + b * rng.standard_normal(size) if b > 0 else np.full(size, a)
    return a + (b - a) * rng.random(size)


def _lognormal(rng, mean, sd, size):
    if sd <= 0:
        return np.full(size, mean)
    return mean * np.exp(sd * rng.standard_normal(size) - 0.5 * sd * sd)


def _totals(rng, n, p, mu, alpha):
    """Reoffenders (binomial) and reoffences (1 + NB2 each, summed as gamma-Poisson)."""
    r = rng.binomial(n, p)
    extra_mean = np.broadcast_to(mu - 1.0, r.shape)
    if alpha > 0:
        lam = rng.gamma(np.where(r > 0, r / alpha, 1.0), np.maximum(extra_mean * alpha, 1e-300)) * (r > 0)
    else:
        lam = r * extra_mean
    return r, r + rng.poisson(lam)


def _individual_totals(rng, n, p, mu, alpha, spread):
    """The same totals drawn offender by offender, vectorised over all offenders at once."""
    cells = np.repeat(np.arange(n.size), n.ravel())
    p_i = p.ravel()[cells]
    if spread > 0:  # personal risks centred so that their mean is the cell's rate
        centre = solve_centres(p.ravel(), spread)[cells]
        p_i = 1.0 / (1.0 + np.exp(-(centre + spread * rng.standard_normal(cells.size))))
    reoffended = rng.random(cells.size) < p_i
    who = cells[reoffended]
    extra_mean = np.broadcast_to(mu - 1.0, n.shape).ravel()[who]
    if alpha > 0:
        shape = 1.0 / alpha
        extra = rng.negative_binomial(shape, shape / (shape + extra_mean))
    else:
        extra = rng.poisson(extra_mean)
    r = np.bincount(who, minlength=n.size).reshape(n.shape)
    o = r + np.bincount(who, weights=extra, minlength=n.size).reshape(n.shape).astype(np.int64)
    return r, o


def _volumes(rng, m, a, sims):
    factor = _lognormal(rng, m.vol_factor_mean[a], m.vol_factor_sd[a], sims)
    periods = -(-m.term // m.period_len)
    noise = _lognormal(rng, 1.0, m.vol_noise_sd[a], (sims, periods))
    months = np.arange(m.term)
    return m.vol_contracted[a] * factor[:, None] * noise[:, months // m.period_len]


def _baselines(rng, m, a, sims):
    n_g = m.n_segments[a]
    rate = np.tile(m.seg_rate[a, :n_g], (sims, 1))
    mu = np.tile(m.seg_mu[a, :n_g], (sims, 1))
    for g in range(n_g):
        n_hist = int(round(m.base_n[a] * m.seg_share[a, g]))
        if n_hist > 0:
            r, o = _totals(rng, np.full(sims, n_hist), m.seg_rate[a, g], m.seg_mu[a, g], m.seg_alpha[a, g])
            rate[:, g] = np.maximum(r, 1) / n_hist
            mu[:, g] = np.where(r > 0, o / np.maximum(r, 1), m.seg_mu[a, g])
    return rate, mu


def _cohort_sums(rng, m, a, vol, base_rate, base_mu, shift, effect_freq, individual):
    sims, n_c = vol.shape[0], len(m.cohort_start)
    cum = np.concatenate([np.zeros((sims, 1)), np.cumsum(vol, axis=1)], axis=1)
    size = cum[:, m.cohort_start + m.cohort_len] - cum[:, m.cohort_start]
    shock = shift[:, None] + m.trend_per_year * (m.cohort_start / 12.0)[None, :]
    if m.cohort_shock_sd > 0:
        shock = shock + m.cohort_shock_sd * rng.standard_normal((sims, n_c))
    n = np.zeros((sims, n_c), dtype=np.int64)
    r_tot, o_tot = np.zeros_like(n), np.zeros_like(n)
    e_bin, e_off, e_sq = np.zeros((sims, n_c)), np.zeros((sims, n_c)), np.zeros((sims, n_c))
    h_bin, h_off, h_sq = np.zeros((sims, n_c)), np.zeros((sims, n_c)), np.zeros((sims, n_c))  # historic mix
    for g in range(m.n_segments[a]):
        n_g = np.rint(size * m.seg_share[a, g]).astype(np.int64)
        p = np.clip(m.seg_rate[a, g] + shock / 100.0, RATE_FLOOR, 1.0 - RATE_FLOOR)
        mu = np.maximum(1.0, m.seg_mu[a, g] * (1.0 - effect_freq))[:, None]
        alpha = m.seg_alpha[a, g]
        if individual:
            r, o = _individual_totals(rng, n_g, p, mu, alpha, m.seg_spread[a, g])
        else:
            r, o = _totals(rng, n_g, p, mu, alpha)
        br, bm = base_rate[:, g, None], base_mu[:, g, None]
        n += n_g
        r_tot += r
        o_tot += o
        e_bin += n_g * br
        e_off += n_g * br * bm
        var = (bm - 1.0) + alpha * (bm - 1.0) ** 2
        e_sq += n_g * br * (var + bm**2)
        hs = m.seg_hist_share[a, g]
        h_bin, h_off, h_sq = h_bin + hs * br, h_off + hs * br * bm, h_sq + hs * br * (var + bm**2)
    binary = e_bin if m.design[a, D_BIN_ADJ] else n * h_bin
    freq = (e_bin, e_off, e_sq) if m.design[a, D_FREQ_ADJ] else (n * h_bin, n * h_off, n * h_sq)
    return n, r_tot, o_tot, binary, *freq


def _measure(diff, threshold, pay, deduct, units, pay_ok, deductions):
    paid = (diff > threshold) & pay_ok
    deducted = (-diff > threshold) & deductions
    return np.where(paid, pay * diff * units, np.where(deducted, deduct * diff * units, 0.0))


def _settle(m, a, n, r, o, e_bin, f_bin, e_off, e_sq):
    """(net PbR, target met) per simulation and cohort: the rules of ``kernels.cohorts.settle``,
    then each year's pot (MAP - fee) shared by that year's cohorts in order."""
    year = m.month_year[m.cohort_start]
    scale = m.rate_scale_year[a, year]
    factor = (1.0 - m.stretch[a]) ** year
    z = m.z_crit[a]
    with np.errstate(divide="ignore", invalid="ignore"):
        nn = np.maximum(n, 1)
        base = e_bin / nn * factor
        actual = r / nn
        se = np.sqrt(base * (1.0 - base) / nn)
        threshold = z * se + m.bin_target[a]
        binary = _measure(base - actual, threshold, m.bin_rate[a] * scale * 100.0,
                          m.bin_ded[a] * scale * 100.0, n, True, m.deductions[a])
        hurdle_met = (not m.hurdle[a]) | (actual <= base)
        if m.freq_per_reoffender[a]:
            eb = np.maximum(f_bin, 1e-300)
            base_f = np.where(f_bin > 0, e_off / eb * factor, 0.0)
            var = np.where(f_bin > 0, e_sq / eb - (e_off / eb) ** 2, 0.0)
            actual_f = np.where(r > 0, o / np.maximum(r, 1), 0.0)
            units, se_f = r, np.sqrt(np.maximum(var, 0.0) / np.maximum(f_bin, 1.0))
        else:
            base_f = e_off / nn * factor
            var = e_sq / nn - (e_off / nn) ** 2
            actual_f = o / nn
            units, se_f = n, np.sqrt(np.maximum(var, 0.0) / nn)
        f_threshold = z * se_f + m.freq_target[a] * base_f
        freq = _measure(base_f - actual_f, f_threshold, m.freq_rate[a] * scale,
                        m.freq_ded[a] * scale, units, hurdle_met, m.deductions[a])
        met = ((m.design[a, D_BIN_ON] > 0) & (base - actual > threshold)) | \
            ((m.design[a, D_FREQ_ON] > 0) & hurdle_met & (base_f - actual_f > f_threshold))
    cap, collar = m.cap_per_offender[a] * n, m.collar_per_offender[a] * n
    total = binary + freq
    net = np.where(n > 0, np.where(total > cap, cap, np.where(total < -collar, -collar, total)), 0.0)
    months = np.minimum(12, m.term - 12 * year)
    pot, paid = m.pot_year[a, year] * months / 12.0, np.zeros(len(net))
    for c in range(net.shape[1]):
        if c == 0 or year[c] != year[c - 1]:
            paid[:] = 0.0
        net[:, c] = np.minimum(net[:, c], pot[c] - paid)
        paid += net[:, c]
    return net, met & (n > 0)


def _subcontractors(m, a):
    return [p for p in range(len(m.party_kind)) if m.party_area[p] == a and m.party_kind[p] == 1]


def _pay_fee(m, a, month, cohort, amount, fee, com, deferred, received):
    """Fee to the prime at ``month``; each subcontractor's part passed on.

    Either one month with an amount per simulation, or the whole monthly schedule (months,
    cohorts and amounts as arrays) that is the same in every simulation.
    """
    prime = m.area_prime[a]
    fee[:, prime, month] += amount
    com[:, month] += amount
    for p in _subcontractors(m, a):
        base = amount * m.caseload_share[p] * m.fee_pass[p] * (1.0 - m.mgmt_fee[p])
        upfront = 1.0 if m.financing[p] == 1 else m.upfront_share[p]
        dst = m.investor_of[p] if m.investor_of[p] >= 0 else p
        fee[:, prime, month] -= base * upfront
        fee[:, dst, month] += base * upfront
        if np.ndim(cohort):  # the monthly schedule: the same for every simulation
            n_c = deferred.shape[2]
            deferred[:, p] += np.bincount(cohort, weights=base * (1.0 - upfront), minlength=n_c)
            received[:, p] += np.bincount(cohort, weights=base * upfront, minlength=n_c)
        else:
            deferred[:, p, cohort] += base * (1.0 - upfront)
            received[:, p, cohort] += base * upfront


def _fees(m, a, vol, fee, com, deferred, received):
    """Monthly fee for service on contracted volume, then the yearly volume-band reconciliation."""
    sims, n_years = vol.shape[0], len(m.year_end_month)
    months = np.arange(m.term)
    monthly = m.ffs_monthly[a] * (1.0 - m.learning[a]) ** m.month_year[:m.term]
    _pay_fee(m, a, months + m.ffs_lag, m.month_cohort[months], monthly, fee, com, deferred, received)
    actual = np.zeros((sims, n_years))
    np.add.at(actual.T, m.month_year[:m.term], vol.T)
    counted = np.bincount(m.month_year[:m.term], minlength=n_years)
    for y in range(n_years if np.isfinite(m.band[a]) else 0):  # no band set: no reconciliation
        contracted = m.vol_contracted[a] * counted[y]
        upper, lower = contracted * (1.0 + m.band[a]), contracted * (1.0 - m.band[a])
        edge_hi = contracted if m.band_to_actual[a] else upper
        edge_lo = contracted if m.band_to_actual[a] else lower
        cases = np.where(actual[:, y] > upper, actual[:, y] - edge_hi,
                         np.where(actual[:, y] < lower, actual[:, y] - edge_lo, 0.0))
        adjust = cases * m.ffs_band_rate[a] * (1.0 - m.learning[a]) ** y
        cohort = m.month_cohort[min(12 * y + 11, m.term - 1)]
        _pay_fee(m, a, m.year_end_month[y], cohort, adjust, fee, com, deferred, received)


def _settlements(m, a, net, met, adv, pbr, com, deferred, received):
    """Foundation advances, cohort settlements net of advances, and what passes down the chain."""
    prime = m.area_prime[a]
    adv_c = np.zeros(len(m.cohort_start))
    if m.foundation[a] > 0:
        months = np.arange(m.bedding_in, m.term)
        adv[:, prime, months + m.ffs_lag] += m.foundation[a]
        com[:, months + m.ffs_lag] += m.foundation[a]
        np.add.at(adv_c, m.month_cohort[months], m.foundation[a])
    for c, month in enumerate(m.cohort_pay):
        cash = net[:, c] - adv_c[c]
        pbr[:, prime, month] += cash
        com[:, month] += cash
    for p in _subcontractors(m, a):
        dst = m.investor_of[p] if m.investor_of[p] >= 0 else p
        for c, month in enumerate(m.cohort_pay):
            share = np.where(net[:, c] > 0.0, m.upside_share[p] * (1.0 - m.mgmt_fee[p]), m.deduction_share[p])
            amount = share * m.caseload_share[p] * net[:, c]
            clawback = -m.clawback_share[p] * received[:, p, c] if m.financing[p] == 1 else 0.0
            amount = amount + np.where(met[:, c], deferred[:, p, c], clawback)
            pbr[:, prime, month] -= amount
            pbr[:, dst, month] += amount


def _costs(m, a, vol, cost):
    for p in range(len(m.party_kind)):
        if m.party_area[p] != a or m.party_kind[p] == 2:
            continue
        per_case = float(np.dot(m.seg_share[a, :m.n_segments[a]], m.case_cost[p, :m.n_segments[a]]))
        cost[:, p, :m.term] += m.fixed_cost[p] + m.caseload_share[p] * vol * per_case


def _balances(m, fee, adv, pbr, cost):
    """Month by month for every simulation and party at once: overdraft interest, NPV, funding."""
    sims, n_p, n_m = fee.shape
    cum = np.zeros((sims, n_p))
    cash = np.broadcast_to(m.reserves, (sims, n_p)).copy()
    npv, peak = np.zeros((sims, n_p)), np.zeros((sims, n_p))
    lowest = cash + m.credit_line
    for mo in range(n_m):
        cost[:, :, mo] += np.where(cash < 0.0, -cash * m.overdraft_monthly, 0.0)
        net = fee[:, :, mo] + adv[:, :, mo] + pbr[:, :, mo] - cost[:, :, mo]
        cum += net
        cash = m.reserves + cum
        np.maximum(peak, -cum, out=peak)
        np.minimum(lowest, cash + m.credit_line, out=lowest)
        npv += net * m.discount[mo]
    return npv, peak, lowest


def _uses_record_designs(m: ModelArrays) -> bool:
    prime = m.area_prime
    d, pd = m.design, m.party_design
    return bool(np.any(d[:, [D_LADDER_KIND, D_CARD_N, D_POOLED, D_CONTROL_RATIO]]) or np.any(np.isfinite(d[:, D_TOTAL_CAP]))
                or np.any(d[:, D_CREDIT_PROB] * d[:, D_CREDIT_SHARE]) or np.any(m.upfront_share[prime] < 1.0)
                or np.any(m.financing[prime] != 0) or np.any(pd[:, PD_REFERRAL_SD]) or np.any(pd[:, PD_REFERRAL_MEAN] != 1.0))


def numpy_simulate(m: ModelArrays, sims: int, seed: int, *, individual: bool = False) -> dict[str, np.ndarray]:
    """The engine's model in vectorised NumPy: ``sims`` simulations at once (see module notes)."""
    if np.any(m.investor_of >= 0) or _uses_record_designs(m):
        raise NotImplementedError("the NumPy reference covers the national scenario's features only (no investors, "
                                  "ladders, rate cards, pooled triggers, control groups, prime financing, referral "
                                  "risk or service credits)")
    rng = np.random.default_rng(seed)
    n_a, n_c, n_p, n_m = len(m.area_prime), len(m.cohort_start), len(m.party_kind), m.n_months
    shift = m.shock_mean + (m.shock_sd * rng.standard_normal(sims) if m.shock_sd > 0 else 0.0)
    effect_bin = _draw(rng, m.effect[0], sims)
    effect_freq = _draw(rng, m.effect[1], sims)
    fee, adv, pbr, cost = (np.zeros((sims, n_p, n_m)) for _ in range(4))
    deferred, received = np.zeros((sims, n_p, n_c)), np.zeros((sims, n_p, n_c))
    com = np.zeros((sims, n_m))
    cohort_n, cohort_binary, cohort_pbr = (np.zeros((sims, n_a, n_c)) for _ in range(3))
    for a in range(n_a):
        vol = _volumes(rng, m, a, sims)
        base_rate, base_mu = _baselines(rng, m, a, sims)
        n, r, o, e_bin, f_bin, e_off, e_sq = _cohort_sums(rng, m, a, vol, base_rate, base_mu, shift - effect_bin,
                                                          effect_freq, individual)
        net, met = _settle(m, a, n, r, o, e_bin, f_bin, e_off, e_sq)
        cohort_n[:, a], cohort_binary[:, a], cohort_pbr[:, a] = n, r / np.maximum(n, 1), net
        _fees(m, a, vol, fee, com, deferred, received)
        _settlements(m, a, net, met, adv, pbr, com, deferred, received)
        _costs(m, a, vol, cost)
    npv, peak, lowest = _balances(m, fee, adv, pbr, cost)
    return {"npv": npv, "peak_funding": peak, "lowest_headroom": lowest, "commissioner_total": com.sum(axis=1),
            "cohort_n": cohort_n, "cohort_binary": cohort_binary, "cohort_pbr": cohort_pbr}


__all__ = ["interpreted_kernels", "numpy_simulate"]
