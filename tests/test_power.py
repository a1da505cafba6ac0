"""Power curves against the exact binomial, and the needed effect's interval by counting its coverage."""

import math

import numpy as np
import pytest
from scipy import optimize, stats

from simulator import power
from simulator.studies.crossing import crossing, needed_effect
from simulator.studies.power_theory import binary_paid_theory

from .conftest import SCENARIOS, raw_scenario, set_key

Z = 4.0
POWER_SCENARIO = SCENARIOS / "analytic" / "power_binomial.toml"
N, P0, ALPHA = 1300, 0.475, 0.05


def exact_paid(effect_points: float, n: int = N, p0: float = P0, alpha: float = ALPHA) -> float:
    """P(a cohort is paid): P(p0 - R/n > z sqrt(p0 (1 - p0) / n)), R ~ Binomial(n, p0 - effect/100)."""
    threshold = stats.norm.isf(alpha) * math.sqrt(p0 * (1 - p0) / n)
    r = np.arange(n + 1)
    pmf = stats.binom.pmf(r, n, p0 - effect_points / 100)
    return float(pmf[p0 - r / n > threshold].sum())


@pytest.fixture(scope="module")
def analytic_power():
    return power(POWER_SCENARIO, [0, 1, 2, 3, 4, 5], sims=1000, seed=3)


def test_paid_matches_the_exact_binomial_at_several_effects(analytic_power):
    """1,300 offenders, a 47.5% baseline, a one-sided 5% test: P(paid) within 4 s.e. of theory."""
    assert analytic_power.theory_gaps == ()  # baseline known, no shocks, fixed volume: the theory is exact
    curve = analytic_power.to_frame()
    assert (curve["mean_cohort_size"] == N).all()
    for row in curve.itertuples():
        theory = exact_paid(row.effect_binary_points)
        assert row.prob_cohort_binary_paid_theory == pytest.approx(theory, rel=1e-9, abs=1e-12)
        assert abs(row.prob_cohort_paid - theory) < Z * row.prob_cohort_paid_se, (row.effect_binary_points, theory)
        # only the binary measure is priced: a paid cohort is exactly one whose binary measure pays
        assert row.prob_cohort_paid == row.prob_cohort_binary_paid
        total = row.prob_cohort_paid + row.prob_cohort_deducted + row.prob_cohort_dead_band
        assert total == pytest.approx(1.0)


def test_the_table_has_the_columns_the_issue_names(analytic_power):
    need = {"effect_binary_points", "area", "prob_cohort_paid", "prob_cohort_paid_se", "prob_cohort_deducted",
            "prob_cohort_deducted_se"}
    assert need <= set(analytic_power.to_frame().columns)
    parties = analytic_power.parties
    assert {"party", "npv_gbp_mean", "npv_gbp_se", "prob_loss", "prob_loss_se"} <= set(parties.columns)
    assert parties["npv_gbp_mean"].is_monotonic_increasing  # a bigger true effect pays the prime more
    assert analytic_power.plot().get_title().startswith("Power curve")


def true_crossing(level: float) -> float:
    return optimize.brentq(lambda e: exact_paid(e) - level, -2.0, 10.0, xtol=1e-10)


@pytest.mark.parametrize("level", [0.5, 0.8])
def test_needed_effect_is_within_its_standard_error_of_the_exact_answer(analytic_power, level):
    row = analytic_power.needed.set_index("level").loc[level]
    assert row.ci_low < row.effect < row.ci_high
    assert abs(row.effect - true_crossing(level)) < Z * row.se


@pytest.mark.parametrize("trigger,key,value", [("target", "binary_target_points", 2.0),
                                               ("any_improvement", None, None)])
def test_binary_paid_mirrors_the_kernel_for_every_trigger(trigger, key, value):
    raw = set_key(raw_scenario(POWER_SCENARIO), "payment.pbr.trigger", trigger)
    if key:
        raw = set_key(raw, f"payment.pbr.{key}", value)
    curve = power(raw, [0.0, 2.0], sims=200, seed=5).to_frame()
    assert (curve["prob_cohort_paid"] == curve["prob_cohort_binary_paid"]).all()
    for row in curve.itertuples():
        assert abs(row.prob_cohort_paid - row.prob_cohort_binary_paid_theory) < Z * row.prob_cohort_paid_se + 1e-12


def test_theory_names_what_the_default_scenario_adds():
    from simulator import load_scenario

    sc = load_scenario(SCENARIOS / "tr_crc_default.toml")
    from simulator.studies.power_theory import theory_gaps

    gaps = " ".join(theory_gaps(sc))
    assert "common shock" in gaps and "baseline estimation error" in gaps and "volume noise" in gaps
    assert 0 < binary_paid_theory(sc, 0.0)[0] < 0.05  # a stretched baseline makes payment rarer than 5%


def test_frequency_measure_varies_the_frequency_effect():
    result = power(SCENARIOS / "tr_crc_default.toml", [0.0, 0.1, 0.2], sims=128, seed=2, measure="frequency")
    curve = result.to_frame()
    assert list(curve["effect_frequency_relative"]) == [0.0, 0.1, 0.2]
    assert curve["effect_binary_points"].nunique() == 1  # held at the scenario's mean (1 point)
    assert curve["prob_cohort_binary_paid_theory"].isna().all()
    assert curve["prob_cohort_paid"].iloc[-1] > curve["prob_cohort_paid"].iloc[0]


def test_crossing_interpolates_on_the_probit_scale():
    effects = np.array([0.0, 1.0, 2.0])
    prob = stats.norm.cdf((effects - 1.3) / 0.7)  # an exact probit-linear curve
    assert crossing(effects, prob, 0.5)[0] == pytest.approx(1.3)
    assert crossing(effects, prob, 0.99)[0] == math.inf
    assert crossing(effects, prob, 0.01)[0] == -math.inf


@pytest.mark.parametrize("level", [0.5, 0.8])
def test_needed_effect_interval_covers_the_truth_95_percent_of_the_time(level):
    """Counting: per-simulation paid counts drawn from the exact curve, coupled across effects as under
    common random numbers (one uniform per cohort); the bootstrap interval must cover the exact crossing."""
    rng = np.random.default_rng(2024)
    effects = np.arange(0.0, 6.0)
    curve = np.array([exact_paid(e) for e in effects])
    truth = true_crossing(level)
    reps, sims, cohorts, covered = 500, 150, 8, 0
    for _ in range(reps):
        u = rng.random((sims, cohorts))
        y = (u[None, :, :] < curve[:, None, None]).sum(axis=2).astype(float)
        w = np.full_like(y, cohorts)
        out = needed_effect(effects, y, w, level, rng=rng, n_boot=300)
        covered += out["ci_low"] <= truth <= out["ci_high"]
    coverage = covered / reps
    assert abs(coverage - 0.95) < Z * math.sqrt(0.95 * 0.05 / reps), coverage
