"""Individual-level mode: per-offender draws, agreement with the aggregate mode, plumbing.

Statistical checks use fixed seeds and a tolerance of 4 Monte Carlo standard errors.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from simulator import load_scenario, scenario_from_dict, simulate
from simulator.cli import main
from simulator.errors import ScenarioError
from simulator.kernels.individual import (
    CDF_MAX,
    build_guide,
    count_cdf,
    individual_outcome,
    lookup,
    make_count_tables,
    prepare_counts,
)
from simulator.kernels.sampling import binomial, gamma

from .conftest import DEFAULT_SCENARIO, assert_identical_and_conserved, raw_scenario, runs_at_thread_counts, set_key

Z = 4.0


def tables_for(mu: float, alpha: float):
    tables = make_count_tables(1)
    prepare_counts(mu, alpha, tables, 0)
    return tables


def draw_cells(n: int, p: float, reps: int, mu: float = 3.5, alpha: float = 0.8, seed: int = 11):
    """``reps`` independent segments of ``n`` offenders: arrays of reoffenders and reoffences."""
    t = tables_for(mu, alpha)
    gen = np.random.default_rng(seed)
    out = np.array([individual_outcome(gen, n, p, t.cdf[0], t.guide[0], t.table, t.table_guide)
                    for _ in range(reps)])
    return out[:, 0], out[:, 1]


# ---------------------------------------------------------------- kernel pieces


@pytest.mark.parametrize("mu, alpha", [(3.5, 0.8), (4.2, 0.0), (1.6, 2.5), (1.0, 0.5)])
def test_count_table_is_one_plus_nb2(mu, alpha):
    cdf = np.ones(CDF_MAX)
    used = count_cdf(mu, alpha, cdf[: CDF_MAX - 1])
    k = np.arange(used)
    m = mu - 1.0
    if m == 0:
        expected = np.ones(1)
    elif alpha == 0:
        expected = stats.poisson(m).cdf(k)
    else:
        r = 1.0 / alpha
        expected = stats.nbinom(r, r / (r + m)).cdf(k)
    np.testing.assert_allclose(cdf[: used - 1], expected[: used - 1], rtol=0, atol=1e-12)
    assert cdf[used - 1] == 1.0
    assert 1.0 - expected[used - 1] < 1e-12  # the folded tail is negligible


def test_guided_lookup_is_inversion():
    cdf = np.ones(CDF_MAX)
    used = count_cdf(3.0, 0.6, cdf[: CDF_MAX - 1])
    guide = np.zeros(64, dtype=np.int64)
    build_guide(cdf, guide)
    u = np.random.default_rng(3).random(20_000)
    expected = np.searchsorted(cdf[:used], u, side="right")
    got = np.array([lookup(cdf, guide, x) for x in u])
    np.testing.assert_array_equal(got, expected)
    assert lookup.py_func(cdf, guide, 0.5) == lookup(cdf, guide, 0.5)


def test_no_spread_reoffenders_are_binomial():
    n, p, reps = 400, 0.37, 4000
    r, _ = draw_cells(n, p, reps)
    se_mean = math.sqrt(n * p * (1 - p) / reps)
    assert abs(r.mean() - n * p) < Z * se_mean
    var = n * p * (1 - p)
    se_var = var * math.sqrt(2.0 / (reps - 1))  # close to normal: binomial with n p (1 - p) ~ 93
    assert abs(r.var(ddof=1) - var) < Z * se_var


def test_count_per_reoffender_is_one_plus_nb2():
    mu, alpha = 3.5, 0.8
    n, p, reps = 1, 0.6, 120_000  # one offender per draw: each reoffender's own count
    r, o = draw_cells(n, p, reps, mu, alpha)
    counts = o[r == 1]
    var = (mu - 1) + alpha * (mu - 1) ** 2
    assert abs(counts.mean() - mu) < Z * math.sqrt(var / len(counts))
    assert counts.min() >= 1
    # the distribution, not just the mean: P(count = 1, 2, 3) against 1 + NB2
    rr = 1 / alpha
    pmf = stats.nbinom(rr, rr / (rr + mu - 1)).pmf([0, 1, 2])
    for k, prob in zip((1, 2, 3), pmf, strict=True):
        share = np.mean(counts == k)
        assert abs(share - prob) < Z * math.sqrt(prob * (1 - prob) / len(counts))


# ---------------------------------------------------------------- engine: modes agree


def per_sim(results, name):
    a = results.arrays[name]
    return a.reshape(a.shape[0], -1)


def assert_same_mean(x: np.ndarray, y: np.ndarray, what: str) -> None:
    se = math.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
    assert abs(x.mean() - y.mean()) < Z * se, f"{what}: {x.mean():.6g} vs {y.mean():.6g} (se {se:.3g})"


def test_modes_agree_where_the_models_coincide():
    """No personal spread: mean binary rate, frequency and PbR agree within Monte Carlo error."""
    scenario = load_scenario(DEFAULT_SCENARIO)
    agg = simulate(scenario, sims=1500, seed=21, mode="aggregate", keep_monthly=False, keep_components=False)
    ind = simulate(scenario, sims=1500, seed=22, mode="individual", keep_monthly=False, keep_components=False)
    assert ind.scenario.simulation.mode == "individual"
    for name in ("cohort_binary", "cohort_frequency"):
        assert_same_mean(per_sim(agg, name).mean(axis=1), per_sim(ind, name).mean(axis=1), name)
    assert_same_mean(per_sim(agg, "cohort_pbr").sum(axis=1), per_sim(ind, "cohort_pbr").sum(axis=1), "PbR")
    assert_same_mean(agg.arrays["pbr_total"][:, 0], ind.arrays["pbr_total"][:, 0], "prime PbR receipts")
    np.testing.assert_array_equal(agg.arrays["cohort_n"].mean(axis=0) > 0, ind.arrays["cohort_n"].mean(axis=0) > 0)


def test_individual_mode_conserves_money_and_is_thread_independent():
    scenario = load_scenario(DEFAULT_SCENARIO)
    threads = min(2, numba.config.NUMBA_NUM_THREADS)
    assert_identical_and_conserved(runs_at_thread_counts(scenario, threads, sims=130, seed=5, mode="individual"))


def test_mode_from_scenario_file_and_override(default_raw):
    raw = set_key(default_raw, "simulation.mode", "individual")
    sc = scenario_from_dict(raw)
    assert sc.simulation.mode == "individual"
    a = simulate(sc, sims=64, seed=3, keep_monthly=False, keep_components=False)
    b = simulate(load_scenario(DEFAULT_SCENARIO), sims=64, seed=3, mode="individual",
                 keep_monthly=False, keep_components=False)
    np.testing.assert_array_equal(a.arrays["cohort_binary"], b.arrays["cohort_binary"])
    with pytest.raises(ValueError, match="mode must be one of"):
        simulate(sc, sims=1, seed=1, mode="per_person")


def test_bad_mode_and_spread_are_named(default_raw):
    with pytest.raises(ScenarioError, match=r"simulation\.mode.*must be one of"):
        scenario_from_dict(set_key(default_raw, "simulation.mode", "agents"))
    raw = set_key(default_raw, "segments.0.risk_spread_logit_sd", -0.5)
    with pytest.raises(ScenarioError, match=r"segments\[0\]\.risk_spread_logit_sd.*got -0\.5"):
        scenario_from_dict(raw)


def test_cli_mode_option(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", str(DEFAULT_SCENARIO), "--sims", "64", "--mode", "individual",
                                       "--out", str(out), "--no-monthly", "--quiet"])
    assert result.exit_code == 0, result.output
    with np.load(out / "sims.npz") as data:
        assert '"mode":"individual"' in str(data["scenario_json"])
    bad = CliRunner().invoke(main, ["run", str(DEFAULT_SCENARIO), "--mode", "agents", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "agents" in bad.output


def test_default_scenario_raw_has_no_mode_key():
    """The shipped default stays in aggregate mode (the default)."""
    assert raw_scenario(DEFAULT_SCENARIO).get("simulation", {}).get("mode", "aggregate") == "aggregate"


# ---------------------------------------------------------------- the fast binomial (both modes)


@numba.njit
def many_binomials(state, n, p, reps):
    """In compiled code, so the SplitMix64 state stays uint64 between draws."""
    out = np.empty(reps, dtype=np.int64)
    for i in range(reps):
        state, out[i] = binomial(state, n, p)
    return out


@pytest.mark.parametrize("n, p", [(300, 0.45), (120, 0.62), (1500, 0.33), (25, 0.3), (40, 0.26), (3, 0.5), (400, 0.99)])
def test_fast_binomial_is_binomial(n, p):
    """BTRS (n p >= 10) and inversion (below): a chi-square test against the binomial pmf."""
    reps = 60_000
    draws = many_binomials(np.uint64(12345 + n), n, p, reps)
    lo, hi = int(stats.binom.ppf(1e-4, n, p)), int(stats.binom.ppf(1 - 1e-4, n, p))
    ks = np.arange(lo, hi + 1)
    observed = np.array([(draws < lo).sum(), *[(draws == k).sum() for k in ks], (draws > hi).sum()])
    probs = np.concatenate([[stats.binom.cdf(lo - 1, n, p)], stats.binom.pmf(ks, n, p), [stats.binom.sf(hi, n, p)]])
    expected = probs * reps
    keep = expected > 5
    chi2 = np.sum((observed[keep] - expected[keep]) ** 2 / expected[keep])
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-4
    assert draws.min() >= 0 and draws.max() <= n
    assert binomial(np.uint64(1), 0, 0.5)[1] == 0 and binomial(np.uint64(1), 7, 1.0)[1] == 7


@numba.njit
def gammas_from_bits(gen, shapes, scale):
    """What a kernel draws: ``gamma`` on the Generator's bit generator, one shape after another."""
    bits = gen.bit_generator
    return np.array([gamma(bits, k, scale) for k in shapes])


@numba.njit
def gammas_from_generator(gen, shapes, scale):
    return np.array([gen.gamma(k, scale) for k in shapes])


def test_gamma_on_the_bit_generator_is_the_generators_own_draw():
    """The cohorts' gamma draws (``sampling.gamma``, without a Generator's reference count) are
    ``Generator.gamma``'s numbers, compiled and interpreted: shapes below 1, at 1 and above."""
    shapes = np.array([0.3, 1.0, 2.5, 40.0, 600.0] * 40)
    compiled = gammas_from_bits(np.random.default_rng(11), shapes, 0.7)
    assert np.array_equal(compiled, gammas_from_generator(np.random.default_rng(11), shapes, 0.7))
    interpreted = [gamma(g.bit_generator, k, 0.7) for g in [np.random.default_rng(11)] for k in shapes]
    assert np.array_equal(compiled, interpreted)
    assert np.array_equal(interpreted, np.random.default_rng(11).gamma(shapes, 0.7))
