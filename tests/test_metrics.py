"""Risk metrics: hand-computed cases, and summary.json recomputed from the saved simulations."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.results.metrics import area_metrics, clustered_mean, cvar, parties_metrics, party_metrics

from .conftest import DEFAULT_SCENARIO, raw_scenario, run, set_key


def test_cvar_is_the_mean_of_the_worst_tail():
    x = np.arange(100.0)  # worst 5% = 0..4
    assert cvar(x) == pytest.approx(2.0)
    assert cvar(np.array([3.0])) == 3.0


def test_party_metrics_hand_computed():
    npv = np.array([-10.0, 5.0, 20.0, -2.0])
    m = party_metrics(npv, np.array([1.0, 2, 3, 4]), np.array([-1.0, 1, 1, 1]), np.full(4, 90.0),
                      np.full(4, 10.0), np.zeros(4), np.array([-1, 36, 48, 36]))
    assert m["prob_loss"] == 0.5 and m["prob_loss_se"] == pytest.approx(math.sqrt(0.25 / 4))
    assert m["prob_reserves_exhausted"] == 0.25
    assert m["pbr_share_of_revenue"] == pytest.approx(0.1)
    assert m["first_pbr_cash_month"] == 36 and m["first_pbr_cash_month_median"] == 36
    assert m["npv_gbp"]["mean"] == pytest.approx(3.25)


def test_clustered_standard_error_uses_simulations_as_units():
    # two simulations, each with two identical cells: effectively two observations
    values = np.array([[1.0, 1.0], [0.0, 0.0]])
    p, se = clustered_mean(values, np.ones_like(values, dtype=bool))
    assert p == 0.5 and se == pytest.approx(0.5)  # sd of per-sim means (0.707) / sqrt(2)


def test_area_metrics_of_all_areas_equal_area_by_area_bit_for_bit():
    # every area's row sums are taken in one pass; they must be the sums area by area, to the last bit,
    # with empty cohorts anywhere (holding NaN, as a rate of no offenders does) and a whole empty area
    rng = np.random.default_rng(5)
    sims, areas, cohorts = 300, 4, 13
    n = rng.integers(0, 4, (sims, areas, cohorts)) * (rng.random((sims, areas, cohorts)) < 0.8)
    n[:, 3] = 0
    rate = np.where(n > 0, rng.random(n.shape), np.nan)
    pbr = np.where(n > 0, rng.normal(0.0, 1e5, n.shape), 0.0)
    met, pooled = rng.random(n.shape) < 0.4, np.where(rng.random((sims, areas)) < 0.3, 5e4, 0.0)
    got = area_metrics(n, rate, rate * 3.1, rate * 0.9, rate * 2.7, pbr, met, pooled)
    def same(a, b) -> bool:  # equal to the last bit (NaN where both are NaN)
        return np.array_equal(np.array(a, dtype=float), np.array(b, dtype=float), equal_nan=True)

    for i, m in enumerate(got):
        valid = n[:, i] > 0
        for key, values in (("prob_cohort_paid", pbr[:, i] > 0), ("prob_cohort_deducted", pbr[:, i] < 0),
                            ("prob_cohort_met", met[:, i])):
            assert same([m[key], m[key + "_se"]], clustered_mean(values, valid)), (i, key)
        assert same([m["cohort_pbr_gbp"]["mean"], m["cohort_pbr_gbp"]["se_mean"]], clustered_mean(pbr[:, i], valid))
        assert same(m["binary_rate"]["mean"], clustered_mean(rate[:, i], valid)[0])
        assert same(m["frequency_per_offender"]["baseline_mean"], clustered_mean(rate[:, i] * 2.7, valid)[0])
        assert same(m["mean_cohort_size"], clustered_mean(n[:, i], valid)[0])
    assert all(math.isnan(got[3][k]) for k in ("mean_cohort_size", "prob_cohort_paid"))
    assert got[0]["pooled_pbr_gbp"]["mean"] == pytest.approx(5e4 * np.mean(pooled[:, 0] > 0))


def test_summary_recomputed_from_the_monthly_flows():
    raw = set_key(raw_scenario(DEFAULT_SCENARIO), "supply_chain.subcontractors.1.credit_line_gbp", 0.0)
    res = run(raw, sims=400, seed=31)
    a, sc = res.arrays, res.scenario
    months = a["monthly_net"].shape[2]
    disc = (1 + sc.money.discount_rate_annual) ** (-np.arange(months) / 12)
    for p, name in enumerate(res.party_names):
        net = a["monthly_net"][:, p, :]
        s = res.party_summary(name)
        npv = net @ disc
        assert s["npv_gbp"]["p5"] == pytest.approx(np.percentile(npv, 5))
        assert s["cvar_5_gbp"] == pytest.approx(np.sort(npv)[:20].mean())
        cum = np.cumsum(net, axis=1)
        assert s["peak_funding_gbp"]["mean"] == pytest.approx(np.maximum(0, -cum).max(axis=1).mean())
        party = sc.areas[0].supply_chain.prime if p == 0 else sc.areas[0].supply_chain.subcontractors[p - 1]
        exhausted = (party.reserves_gbp + cum + party.credit_line_gbp < 0).any(axis=1).mean()
        assert s["prob_reserves_exhausted"] == pytest.approx(exhausted)


def test_overdraft_interest_is_charged_on_negative_cash(analytic_raw):
    raw = set_key(analytic_raw, "supply_chain.subcontractors.0.reserves_gbp", 0.0)
    raw = set_key(raw, "supply_chain.subcontractors.0.fixed_cost_per_month_gbp", 50_000.0)
    raw = set_key(raw, "supply_chain.subcontractors.0.overdraft_rate", 0.12)
    res = run(raw, sims=5, seed=1)
    a = res.arrays
    charity = res.party_index("charity")
    cash = np.cumsum(a["monthly_net"][:, charity, :], axis=1)
    # month 1's cost includes 1% of month 0's overdraft on top of the delivery cost of month 1
    no_interest = run(set_key(raw, "supply_chain.subcontractors.0.overdraft_rate", 0.0), sims=5, seed=1)
    extra = a["monthly_cost"][:, charity, 1] - no_interest.arrays["monthly_cost"][:, charity, 1]
    assert np.allclose(extra, -cash[:, 0] * 0.01)
    assert np.all(cash[:, 0] < 0)


def _plain_party(npv, peak, low, fee, pbr, cost, first) -> dict:
    """One party's summary block with each formula written out on its own column, as party by party they were."""
    n = len(npv)

    def mean_se(x):
        return float(x.mean()), float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan")

    def prob(flags):
        p = float(np.mean(flags))
        return p, math.sqrt(p * (1.0 - p) / n)

    def tail(x):
        k = max(1, math.ceil(0.05 * len(x)))
        return float(np.mean(np.partition(x, k - 1)[:k]))

    tail_se = float(np.std([tail(b) for b in np.array_split(npv, 20)], ddof=1) / math.sqrt(20)) if n >= 400 else None
    p5, p50, p95 = np.percentile(npv, [5, 50, 95])
    revenue = fee.mean() + pbr.mean()
    paid = first[first >= 0]
    return {"npv_gbp": {"mean": mean_se(npv)[0], "se_mean": mean_se(npv)[1], "p5": float(p5), "p50": float(p50),
                        "p95": float(p95)},
            "prob_loss": prob(npv < 0)[0], "prob_loss_se": prob(npv < 0)[1], "cvar_5_gbp": tail(npv),
            "cvar_5_se_gbp": tail_se,
            "peak_funding_gbp": {"mean": mean_se(peak)[0], "se_mean": mean_se(peak)[1],
                                 "p95": float(np.percentile(peak, 95))},
            "prob_reserves_exhausted": prob(low < 0)[0], "prob_reserves_exhausted_se": prob(low < 0)[1],
            "pbr_share_of_revenue": float(pbr.mean() / revenue) if revenue > 0 else None,
            "first_pbr_cash_month": int(paid.min()) if len(paid) else None,
            "first_pbr_cash_month_median": float(np.median(paid)) if len(paid) else None,
            "revenue_gbp": {"mean": float(revenue), "fee_mean": float(fee.mean()), "pbr_mean": float(pbr.mean())},
            "cost_gbp": {"mean": float(cost.mean())}}


def _bits(tree):
    """A tree's floats as their bit patterns (NaN as one value), so that == compares to the last bit."""
    if isinstance(tree, dict):
        return {k: _bits(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_bits(v) for v in tree]
    if isinstance(tree, float):
        return "nan" if math.isnan(tree) else np.float64(tree).view(np.int64).item()
    return tree


@settings(max_examples=60, deadline=None)
@given(sims=st.sampled_from([1, 2, 3, 17, 399, 400, 401, 1000]), parties=st.integers(1, 5), seed=st.integers(0, 2**32 - 1),
       ties=st.booleans(), dtype=st.sampled_from([np.float64, np.float32]))
def test_every_party_at_once_gives_each_partys_figures_bit_for_bit(sims, parties, seed, ties, dtype):
    """The summary takes every party's figures in one pass of each formula over the parties' rows: each must be the
    figure of that formula on the party's own column, to the last bit (ties: many equal values and zeros; float32,
    which a hand-made sims.npz may hold: its figures in float32, as party by party)."""
    rng = np.random.default_rng(seed)
    draw = (lambda shape: rng.integers(-3, 4, shape) * 1e5) if ties else (lambda shape: rng.normal(0, 1e6, shape))
    cols = [draw((sims, parties)).astype(dtype) for _ in range(6)] + [rng.integers(-1, 60, (sims, parties))]
    got = parties_metrics(*cols)
    for p in range(parties):
        want = _plain_party(*(c[:, p] for c in cols))
        assert _bits(got[p]) == _bits(want), p
        assert _bits(party_metrics(*(c[:, p] for c in cols))) == _bits(want), p


def test_area_metrics_without_empty_cohorts_equal_area_by_area_bit_for_bit():
    """With no empty cohort the area sums are taken without a masked copy, and every area's PbR percentiles at
    once: the same figures as the masked sums and each area's own percentiles."""
    rng = np.random.default_rng(8)
    sims, areas, cohorts = 500, 3, 11
    n = rng.integers(1, 40, (sims, areas, cohorts))
    rate = rng.random(n.shape)
    pbr = np.where(rng.random(n.shape) < 0.5, rng.normal(0.0, 1e5, n.shape), 0.0)
    met = rng.random(n.shape) < 0.4
    got = area_metrics(n, rate, rate * 3.1, rate * 0.9, rate * 2.7, pbr, met, None)
    valid = np.ones(n.shape[:2] + (cohorts,), dtype=bool)
    for i, m in enumerate(got):
        for key, values in (("prob_cohort_paid", pbr[:, i] > 0), ("prob_cohort_met", met[:, i])):
            assert (m[key], m[key + "_se"]) == clustered_mean(values, valid[:, i]), (i, key)
        assert m["mean_cohort_size"] == clustered_mean(n[:, i], valid[:, i])[0]
        assert m["frequency_per_offender"]["mean"] == clustered_mean(rate[:, i] * 3.1, valid[:, i])[0]
        p5, p50, p95 = np.percentile(pbr[:, i].ravel(), [5, 50, 95])
        assert (m["cohort_pbr_gbp"]["p5"], m["cohort_pbr_gbp"]["p50"], m["cohort_pbr_gbp"]["p95"]) == (p5, p50, p95)


def test_area_metrics_of_any_layout_and_of_no_cohort():
    """The fast path (no empty cohort) gives the masked copy's figures for any memory layout (a Fortran-ordered or
    float32 array takes the copy), and no cohort at all gives NaN figures, not an error."""
    rng = np.random.default_rng(12)
    n = rng.integers(1, 40, (300, 3, 26))
    rate = rng.random(n.shape)
    pbr = np.where(rng.random(n.shape) < 0.5, rng.normal(0.0, 1e5, n.shape), 0.0)
    want = area_metrics(n, rate, rate * 3.1, rate * 0.9, rate * 2.7, pbr)
    fortran = [np.asfortranarray(a) for a in (n, rate, rate * 3.1, rate * 0.9, rate * 2.7, pbr)]
    assert _bits(want) == _bits(area_metrics(*fortran))
    empty = area_metrics(np.zeros((50, 2, 0), dtype=int), *(np.zeros((50, 2, 0)) for _ in range(5)))
    assert len(empty) == 2 and math.isnan(empty[0]["mean_cohort_size"]) and math.isnan(empty[1]["cohort_pbr_gbp"]["p50"])
