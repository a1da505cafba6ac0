"""Simulated outcomes against closed forms, with tolerances of 4 Monte Carlo standard errors."""

import math

import numpy as np
import pytest
from scipy import stats

from .conftest import run, set_key

Z = 4.0  # tolerance in standard errors


def cohorts(res, name):
    """All cohorts of all simulations of area 0, flattened (they are independent here)."""
    return res.arrays[name][:, 0, :].ravel()


def test_binomial_cohort_rate_mean_and_variance(analytic_raw):
    res = run(analytic_raw, sims=2000, seed=11)
    n = cohorts(res, "cohort_n")
    assert np.all(n == 300)
    rate = cohorts(res, "cohort_binary")
    p, size, k = 0.4, 300, len(rate)
    var = p * (1 - p) / size
    assert abs(rate.mean() - p) < Z * math.sqrt(var / k)
    # variance of a sample variance ~ 2 var^2 / (k-1) plus the kurtosis term of a binomial mean
    kurt_excess = (1 - 6 * p * (1 - p)) / (size * p * (1 - p))
    se_var = var * math.sqrt(2 / (k - 1) + kurt_excess / k)
    assert abs(rate.var(ddof=1) - var) < Z * se_var


def test_reoffences_per_offender_mean_and_overdispersion(analytic_raw):
    res = run(analytic_raw, sims=2000, seed=12)
    freq = cohorts(res, "cohort_frequency")  # reoffences per offender
    p, mu, alpha, size = 0.4, 3.0, 0.5, 300
    mean = p * mu
    # per offender X = B * C, C = 1 + NB2(mu - 1, alpha)
    ex2 = p * ((mu - 1) + alpha * (mu - 1) ** 2 + mu**2)
    var_x = ex2 - mean**2
    k = len(freq)
    assert abs(freq.mean() - mean) < Z * math.sqrt(var_x / size / k)
    assert abs(freq.var(ddof=1) - var_x / size) < Z * variance_se(freq)


def variance_se(x):
    """Asymptotic standard error of a sample variance, from the sample's fourth moment."""
    d = x - x.mean()
    return math.sqrt((np.mean(d**4) - np.mean(d**2) ** 2) / len(x))


def covariance_se(x, y):
    """Asymptotic standard error of a sample covariance (spread of the centred products)."""
    prod = (x - x.mean()) * (y - y.mean())
    return prod.std(ddof=1) / math.sqrt(len(x))


def expected_binary_payment(p, n, rate, threshold_points):
    """E[rate * 100 * n * (p - X/n) ; p - X/n > threshold] for X ~ Binomial(n, p)."""
    x = np.arange(n + 1)
    gain = p - x / n
    pay = np.where(gain > threshold_points / 100, rate * 100 * n * gain, 0.0)
    pmf = stats.binom.pmf(x, n, p)
    return float(pay @ pmf), float(np.sqrt(pay**2 @ pmf - (pay @ pmf) ** 2))


@pytest.mark.parametrize("trigger", ["any_improvement", "significant"])
def test_expected_pbr_with_no_true_effect_matches_formula(analytic_raw, trigger):
    raw = set_key(analytic_raw, "payment.pbr.trigger", trigger)
    res = run(raw, sims=2000, seed=13)
    paid = cohorts(res, "cohort_pbr")
    p, n = 0.4, 300
    threshold = 0.0 if trigger == "any_improvement" else stats.norm.isf(0.05) * math.sqrt(p * (1 - p) / n) * 100
    mean, sd = expected_binary_payment(p, n, 10.0, threshold)
    assert abs(paid.mean() - mean) < Z * sd / math.sqrt(len(paid))


def test_deductions_make_expected_pbr_zero_under_no_effect(analytic_raw):
    """Symmetric payments and deductions around an exact baseline: expected PbR is 0."""
    raw = set_key(analytic_raw, "payment.pbr.deductions", True)
    res = run(raw, sims=2000, seed=14)
    paid = cohorts(res, "cohort_pbr")
    assert abs(paid.mean()) < Z * paid.std(ddof=1) / math.sqrt(len(paid))


def test_true_effect_shifts_the_rate(analytic_raw):
    raw = set_key(analytic_raw, "effect.binary_points", {"dist": "fixed", "value": 3.0})
    rate = cohorts(run(raw, sims=1000, seed=15), "cohort_binary")
    var = 0.37 * 0.63 / 300
    assert abs(rate.mean() - 0.37) < Z * math.sqrt(var / len(rate))


def test_common_shock_moves_all_cohorts_together(analytic_raw):
    raw = set_key(analytic_raw, "uncertainty.common_shock_points_sd", 3.0)
    res = run(raw, sims=1500, seed=16)
    rates = res.arrays["cohort_binary"][:, 0, :]
    # cohort-to-cohort covariance = shock variance (0.03^2); sampling noise is independent
    cov = np.cov(rates[:, 0], rates[:, 1])[0, 1]
    assert abs(cov - 0.03**2) < Z * covariance_se(rates[:, 0], rates[:, 1])


def test_volume_factor_mean_preserved(analytic_raw):
    raw = set_key(analytic_raw, "volume.factor_sd", 0.2)
    res = run(raw, sims=2000, seed=17)
    size = res.arrays["cohort_n"][:, 0, 0]
    # lognormal factor with mean 1: E[cohort size] = 300 (rounding aside)
    assert abs(size.mean() - 300) < Z * size.std(ddof=1) / math.sqrt(len(size))


def test_baseline_estimation_error_has_binomial_spread(analytic_raw):
    raw = set_key(analytic_raw, "baseline.estimation_cohort_size", 2000)
    res = run(raw, sims=3000, seed=18)
    base = res.arrays["cohort_base_binary"][:, 0, 0]
    var = 0.4 * 0.6 / 2000
    assert abs(base.mean() - 0.4) < Z * math.sqrt(var / len(base))
    assert abs(base.var(ddof=1) / var - 1) < Z * math.sqrt(2 / (len(base) - 1))


def test_trend_moves_later_cohorts(analytic_raw):
    raw = set_key(analytic_raw, "uncertainty.trend_points_per_year", 2.0)
    res = run(raw, sims=1500, seed=19)
    starts = res.cohort_start_month
    rates = res.arrays["cohort_binary"][:, 0, :]
    expected = 0.4 + 0.02 * starts / 12
    se = np.sqrt(expected * (1 - expected) / 300 / len(rates))
    assert np.all(np.abs(rates.mean(axis=0) - expected) < Z * se)


def test_volume_noise_is_drawn_per_cohort_period(analytic_raw):
    """Each cohort gets its own noise draw: log cohort size has the stated sd, cohorts uncorrelated."""
    for bedding_in in (6, 7, 8):
        raw = set_key(analytic_raw, "volume.period_noise_sd", 0.3)
        raw = set_key(raw, "timeline.bedding_in_months", bedding_in)
        sizes = np.log(run(raw, sims=2000, seed=20).arrays["cohort_n"][:, 0, :-1].astype(float))
        sd = sizes[:, 0].std(ddof=1)
        assert abs(sd - 0.3) < Z * variance_se(sizes[:, 0]) / (2 * sd)  # delta method: se(sd) = se(var) / 2sd
        cov = np.cov(sizes[:, 0], sizes[:, 1])[0, 1]
        assert abs(cov) < Z * covariance_se(sizes[:, 0], sizes[:, 1])
