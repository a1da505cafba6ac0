"""Monthly statistics instead of every simulation's months: the same figures, checked against numpy.

A run with ``monthly_stats=True`` (the CLI default) keeps percentiles, means and cash-out
months computed while it goes; these must equal what numpy computes on the full monthly
arrays of the same run (float32 flows: within a millionth), whatever the threads or chunks.
"""

from __future__ import annotations

import datetime
import json
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simulator import scenario_from_dict, simulate
from simulator.engine import BLOCK_SIZE, CHUNK_BLOCKS, run_checkpoint
from simulator.errors import OutputError
from simulator.kernels.monthly import column_percentiles, heap_sort
from simulator.results import Results
from simulator.results import monthly as mo
from simulator.results.files import read_sims

from .conftest import DEFAULT_SCENARIO, raw_scenario, runs_at_thread_counts, set_key

SIMS = 1100  # two chunks (the second partial) and pieces of every size


@pytest.fixture(scope="module")
def pair():
    """The same run kept whole and as statistics, with a start date (financial years)."""
    raw = set_key(raw_scenario(DEFAULT_SCENARIO), "timeline.start_date", datetime.date(2015, 2, 1))
    sc = scenario_from_dict(raw)
    return simulate(sc, sims=SIMS, seed=11), simulate(sc, sims=SIMS, seed=11, monthly_stats=True)


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=2e-6, atol=1e-3)


def test_percentile_kernel_is_numpys_linear_method():
    rng = np.random.default_rng(4)
    probs = np.array(mo.BANDS)
    cols = [rng.normal(size=1000), rng.integers(0, 3, size=999).astype(float), np.full(17, 2.5),
            rng.lognormal(size=2), np.array([7.0]), np.r_[np.zeros(500), 1e9 * rng.random(3)]]
    for col in cols:
        out = np.zeros((len(probs), 1))
        column_percentiles(col[:, None].copy(), probs, out)
        np.testing.assert_allclose(out[:, 0], np.percentile(col, probs), rtol=1e-12, atol=0)


@pytest.mark.parametrize("column", [
    [np.inf, np.inf, 1.0], [-np.inf, 1.0, 2.0, np.inf], [1.0, np.nan, 2.0], [np.inf] * 5, [-np.inf] * 2 + [3.0] * 50,
    list(np.random.default_rng(2).normal(size=500)) + [np.inf], [np.nan],
    [0.0, 1, 2, 3, 4, 5] + [np.inf] * 95,  # numpy's index (n - 1) q is whole at the 5th: inf * 0 is NaN there
    [-1.7e308, 1.7e308, 0.0, 1.0], [-1e308, 1e308] * 20,  # finite, but the range overflows float64
])
def test_percentile_kernel_gives_numpys_answer_for_nan_and_infinities(column):
    """Binning cannot place them (the model makes none): the column is sorted whole, NaN gives NaN, as numpy;
    so is a finite column whose range overflows float64."""
    col, probs = np.array(column), np.array(mo.BANDS)
    out = np.zeros((len(probs), 1))
    column_percentiles(col[:, None].copy(), probs, out)
    with np.errstate(invalid="ignore", over="ignore"):
        np.testing.assert_array_equal(out[:, 0], np.percentile(col, probs))


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(0, 300), elements=st.floats(-1e12, 1e12) | st.sampled_from([0.0, 1.0, -2.5])),
       st.integers(0, 300))
def test_heap_sort_sorts_the_prefix_like_numpy(x, n):
    n = min(n, len(x))
    a = x.copy()
    heap_sort(a, n)
    np.testing.assert_array_equal(a[:n], np.sort(x[:n]))
    np.testing.assert_array_equal(a[n:], x[n:])


# columns as the model makes them and worse: a spread, a few values many times over (a fee that moves in a few
# simulations), a spike with outliers far out (every value but a few in one bin), negative and positive together
COLUMNS = st.one_of(
    arrays(np.float64, st.integers(1, 400), elements=st.floats(-1e9, 1e9)),
    arrays(np.float64, st.integers(1, 400), elements=st.sampled_from([0.0, 1.0, -2.5, 1e6, -1e6, 3.25])),
    st.tuples(st.integers(1, 3000), st.lists(st.floats(-1e12, 1e12), max_size=5), st.floats(-5.0, 5.0)).map(
        lambda t: np.r_[np.full(t[0], t[2]) + np.arange(t[0]) % 7 * 1e-9, np.array(t[1])]),
)


@settings(max_examples=300, deadline=None)
@given(COLUMNS)
def test_percentile_kernel_is_numpys_linear_method_on_any_finite_column(col):
    """Binning, then sorting the bins that hold the ranks, gives numpy's percentiles: the same order statistics,
    and numpy's interpolation between them (within the last bits of the virtual index)."""
    probs = np.array(mo.BANDS + (0.0, 100.0, 1.0, 99.9))
    out = np.zeros((len(probs), 1))
    column_percentiles(col[:, None].copy(), probs, out)
    want = np.percentile(col, probs)
    np.testing.assert_allclose(out[:, 0], want, rtol=1e-12, atol=1e-12 * np.abs(col).max())
    assert out[:, 0].min() >= col.min() and out[:, 0].max() <= col.max()


def test_every_statistic_matches_numpy_on_the_full_arrays(pair):
    full, stats = pair
    assert mo.kind(full) == "full" and mo.kind(stats) == "stats" and stats.arrays["monthly_net"].shape[0] == 0
    for key in ("npv", "lowest_headroom", "cohort_pbr", "commissioner_paid"):
        assert np.array_equal(full.arrays[key], stats.arrays[key])
    n_p, n_m = len(full.party_names), full.arrays["commissioner_paid"].shape[1]
    for p in range(n_p):
        close(mo.cash_bands(stats, [p]), mo.cash_bands(full, [p]))
        close(mo.net_bands(stats, p), mo.net_bands(full, p))
        for flow in mo.FLOWS:
            np.testing.assert_allclose(mo.monthly_mean(stats, flow, [p]), mo.monthly_mean(full, flow, [p]), rtol=1e-12,
                                       atol=1e-6)
        for a, b in zip(mo.settlement_pbr(stats, p), mo.settlement_pbr(full, p), strict=True):
            close(a, b)
        for financial, labels in enumerate(mo.year_groupings(full.scenario.timeline.start_date, n_m)):
            years = np.array(labels, dtype=object)
            for year in dict.fromkeys(labels):
                months = np.flatnonzero(years == year)
                close(mo.year_net_tails(stats, p, months, financial=bool(financial)),
                      mo.year_net_tails(full, p, months, financial=bool(financial)))
    close(mo.cash_bands(stats, list(range(n_p))), mo.cash_bands(full, list(range(n_p))))
    assert np.array_equal(mo.cash_out_months(stats), mo.cash_out_months(full))
    headroom = stats.arrays["lowest_headroom"] < 0  # the kernel's test of running out, on float64
    assert np.array_equal(mo.cash_out_months(stats) >= 0, headroom)


def test_statistics_do_not_depend_on_threads_or_resumes(tmp_path):
    sc = scenario_from_dict(raw_scenario(DEFAULT_SCENARIO))
    one, two = runs_at_thread_counts(sc, 2, sims=SIMS, seed=5, monthly_stats=True)
    ckpt = run_checkpoint(tmp_path / "p", sc, sims=SIMS, seed=5, keep_monthly=False, keep_components=False,
                          monthly_stats=True)
    ckpt.start(resume=False)
    simulate(sc, sims=SIMS, seed=5, monthly_stats=True, checkpoint=ckpt)
    chunk_files = sorted(ckpt.folder.glob("chunk_*.npz"))
    assert len(chunk_files) == -(-SIMS // (BLOCK_SIZE * CHUNK_BLOCKS))
    chunk_files[1].unlink()  # the second chunk is simulated again, the first loaded
    resumed = simulate(sc, sims=SIMS, seed=5, monthly_stats=True, checkpoint=ckpt)
    for other in (two, resumed):
        for key in mo.STATS:
            assert np.array_equal(one.arrays[key], other.arrays[key]), key


def test_a_saved_run_reads_back_and_a_damaged_one_is_refused(pair, tmp_path):
    _, stats = pair
    stats.save(tmp_path / "r")
    back = Results.load(tmp_path / "r")
    assert mo.kind(back) == "stats"
    for key in (*mo.STATS, "cohort_n", "first_pbr_month"):
        assert np.array_equal(back.arrays[key], stats.arrays[key]), key
    assert back.arrays["cohort_n"].dtype == np.int64
    for key, arr in ((k, a) for k, a in stats.arrays.items() if a.size):  # every array reads back, deflated ones too
        assert np.array_equal(back.arrays[key], arr) and back.arrays[key].dtype.kind == arr.dtype.kind, key
    with zipfile.ZipFile(tmp_path / "r" / "sims.npz") as z:
        deflated = {i.filename for i in z.infolist() if i.compress_type == zipfile.ZIP_DEFLATED}
    assert "cohort_clawback.npy" in deflated and "npv.npy" not in deflated  # no clawback in this design: zeros
    (tmp_path / "bad").mkdir()
    stats.write_files(tmp_path / "bad")
    with np.load(tmp_path / "bad" / "sims.npz") as z:
        data = {k: z[k] for k in z.files}
    data["cash_q"] = data["cash_q"][:, :, :-1]
    np.savez(tmp_path / "bad" / "sims.npz", **data)
    with pytest.raises(OutputError, match="'cash_q' is"):
        read_sims(tmp_path / "bad")
    del data["cash_q"]
    np.savez(tmp_path / "bad" / "sims.npz", **data)
    with pytest.raises(OutputError, match="'cash_q' is missing"):
        read_sims(tmp_path / "bad")


def test_frames_and_outputs_show_the_statistics(pair):
    from simulator.outputs.plain import plain_lines
    from simulator.outputs.plots import cash_fan, pbr_vs_fee
    from simulator.outputs.report_plan import area_headroom

    full, stats = pair
    ds = stats.to_xarray()
    assert ds["cash_percentile"].dims == ("percentile", "party", "month")
    assert float(ds["cash_percentile"].sel(percentile=50.0).isel(party=0, month=-1)) == stats.arrays["cash_q"][2, 0, -1]
    frame = stats.monthly_frame(party="prime")
    assert len(frame) == stats.arrays["commissioner_paid"].shape[1]
    assert {"fee_mean_gbp", "cash_p5_gbp", "net_p95_gbp", "financial_year"} <= set(frame.columns)
    assert plain_lines(stats) == plain_lines(full)
    for draw in (lambda r: cash_fan(r), lambda r: cash_fan(r, "prime"), lambda r: pbr_vs_fee(r, "small_charity"),
                 lambda r: area_headroom(r)):
        ys = [np.concatenate([line.get_ydata() for line in draw(r).get_lines()]).astype(float) for r in pair]
        close(ys[1], ys[0])


def test_cli_default_keeps_statistics_and_keep_monthly_every_month(tmp_path):
    from click.testing import CliRunner

    from simulator.cli import main

    def run(*extra):
        return CliRunner().invoke(main, ["run", str(DEFAULT_SCENARIO), "--sims", "200", "--quiet", *extra],
                                  catch_exceptions=False)

    assert run("--out", str(tmp_path / "a"), "--xlsx", "--report").exit_code == 0
    arrays, *_ = read_sims(tmp_path / "a")
    assert arrays["monthly_net"].shape[0] == 0 and arrays["cash_q"].shape[1] == 3
    report = (tmp_path / "a" / "report.html").read_text()
    assert "Not available" not in report
    both = run("--out", str(tmp_path / "b"), "--no-monthly", "--keep-monthly")
    assert both.exit_code == 2 and "contradict" in both.output and not (tmp_path / "b").exists()
    assert json.loads((tmp_path / "a" / "summary.json").read_text())["sims"] == 200
