"""The exact binomial chance that a cohort's binary measure is paid, beside the simulated one.

A cohort of ``n_g`` offenders per segment with true rates ``p_g - e`` has ``R`` reoffenders,
a sum of independent binomials whose exact distribution is the convolution of their pmfs.
Its binary measure pays when ``baseline - R/n`` exceeds the threshold of the design's
trigger (``z * sqrt(b (1 - b) / n)`` for a significance test, a fixed target, or 0), with the
case-mix adjusted, stretched baseline ``b``. The theory is exact when the baseline is known,
volumes are fixed and there are no random shocks; :func:`theory_gaps` names what a scenario
adds beyond it (the simulated curve then differs by design, not by error).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal, stats

from ..engine.model_arrays import build_model_arrays
from ..kernels.outcomes import clip_rate
from ..kernels.payments import binary_standard_error, stretched
from ..scenario import Scenario


def binary_threshold(base, n, z, target):
    """The fall below baseline a cohort's binary rate must beat to be paid (rate units, vectorised).

    The trigger rule of ``kernels.payments``: ``z`` standard errors of the baseline rate plus
    the target (``z = 0`` for a target or any-improvement design).
    """
    n = np.asarray(n, dtype=np.float64)
    safe_n = np.where(n > 0, n, 1.0)
    return np.where(n > 0, z * np.sqrt(base * (1.0 - base) / safe_n), np.inf) + target


def theory_gaps(scenario: Scenario) -> list[str]:
    """What the scenario adds beyond the exact binomial theory (empty: the theory is exact)."""
    u, gaps = scenario.uncertainty, []
    if u.common_shock_points_sd > 0:
        gaps.append(f"a common shock (sd {u.common_shock_points_sd:g} points)")
    if u.cohort_shock_points_sd > 0:
        gaps.append(f"cohort shocks (sd {u.cohort_shock_points_sd:g} points)")
    if any(a.baseline.estimation_cohort_size > 0 for a in scenario.areas):
        gaps.append("baseline estimation error")
    if any(a.volume.factor_sd > 0 or a.volume.period_noise_sd > 0 for a in scenario.areas):
        gaps.append("volume noise (theory at the expected cohort size)")
    if any(s.spend_effect is not None and s.spend_effect.sd_points for a in scenario.areas for s in a.segments):
        gaps.append("uncertain spend effects")
    if scenario.simulation.mode == "individual" and any(
            s.risk_spread_logit_sd > 0 for a in scenario.areas for s in a.segments):
        gaps.append("personal risk spread (individual mode)")
    return gaps


@lru_cache(maxsize=4096)
def _prob_met(sizes: tuple[int, ...], rates: tuple[float, ...], base: float, threshold: float) -> float:
    """P(base - R/n > threshold) for R a sum of Binomial(sizes[g], rates[g])."""
    pmf = np.ones(1)
    for n_g, p in zip(sizes, rates, strict=True):
        if n_g > 0:
            pmf = np.clip(signal.fftconvolve(pmf, stats.binom.pmf(np.arange(n_g + 1), n_g, p)), 0.0, None)
    n = sum(sizes)
    r = np.arange(len(pmf))
    return float(pmf[base - r / n > threshold].sum() / pmf.sum())


def binary_paid_theory(scenario: Scenario, effect_points: float) -> list[float]:
    """Per area, the exact chance a cohort's binary measure is paid at a true effect (points).

    Averaged over the area's cohorts, each at its expected size (the engine's rounding per
    segment) and its year's stretched baseline; deterministic shifts (the mean shock, a
    trend, effects bought by spend) are included, random ones are not (:func:`theory_gaps`).
    """
    m, _ = build_model_arrays(scenario)
    out = []
    for a in range(len(m.area_prime)):
        g = int(m.n_segments[a])
        share, rate = m.seg_share[a, :g], m.seg_rate[a, :g]
        month_size = m.vol_contracted[a] * m.vol_factor_mean[a]
        probs = []
        for c in range(len(m.cohort_start)):
            size = sum(month_size for _ in range(int(m.cohort_len[c])))
            sizes = tuple(int(round(size * s)) for s in share)
            n = sum(sizes)
            if n == 0:
                continue
            shift = m.shock_mean - effect_points + m.trend_per_year * (m.cohort_start[c] / 12.0)
            rates = tuple(clip_rate.py_func(rate[i] + (shift - m.seg_effect_points[a, i]) / 100.0) for i in range(g))
            e_bin = sum(n_i * r_i for n_i, r_i in zip(sizes, rate, strict=True))
            base = e_bin / n * stretched.py_func(1.0, m.stretch[a], m.month_year[m.cohort_start[c]])
            threshold = m.z_crit[a] * binary_standard_error.py_func(base, n) + m.bin_target[a]
            probs.append(_prob_met(sizes, rates, float(base), float(threshold)))
        out.append(float(np.mean(probs)) if probs else float("nan"))
    return out
