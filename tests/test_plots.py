"""Plot functions on small results: they draw what the Results hold, legibly, and in grey."""

import xml.etree.ElementTree as ET

import matplotlib.image as mpimg
import numpy as np
import pytest
from matplotlib.colors import to_rgba

from simulator import load_scenario, simulate
from simulator.outputs import plots

from .conftest import DEFAULT_SCENARIO, SCENARIOS

SIMS = 300


@pytest.fixture(scope="module")
def results():
    return simulate(load_scenario(DEFAULT_SCENARIO), sims=SIMS, seed=11)


@pytest.fixture(scope="module")
def lean():
    """A run without monthly flows (as with --no-monthly)."""
    return simulate(load_scenario(DEFAULT_SCENARIO), sims=SIMS, seed=11, keep_monthly=False, keep_components=False)


def all_colours(ax):
    for line in ax.get_lines():
        yield line.get_color()
        yield line.get_markerfacecolor()
    for coll in ax.collections:
        yield from (tuple(c) for c in coll.get_facecolors())
        yield from (tuple(c) for c in coll.get_edgecolors())
    for patch in ax.patches:
        yield patch.get_facecolor()
        yield patch.get_edgecolor()


@pytest.mark.parametrize("party", [None, "prime", "small_charity"])
@pytest.mark.parametrize("fn", [plots.cash_fan, plots.npv_distribution, plots.loss_exceedance, plots.peak_funding,
                                plots.pbr_vs_fee])
def test_every_figure_is_labelled_and_greyscale(results, fn, party):
    ax = fn(results, party)
    assert ax.get_title() and ax.get_xlabel()
    if not (fn is plots.peak_funding and party is None):  # one box per party: the parties label the y axis
        assert ax.get_ylabel()
    assert (party or "") in ax.get_title()
    for colour in all_colours(ax):
        if isinstance(colour, str) and colour == "none":
            continue
        r, g, b, _ = to_rgba(colour)
        assert r == pytest.approx(g) == pytest.approx(b), f"{fn.__name__}: colour {colour} is not grey"


def test_units_in_axis_labels(results):
    assert "GBP" in plots.cash_fan(results, "prime").get_ylabel()
    assert "month" in plots.cash_fan(results, "prime").get_xlabel()
    assert "GBP" in plots.npv_distribution(results, "prime").get_xlabel()
    assert "GBP" in plots.peak_funding(results, "prime").get_xlabel()


def test_draws_on_the_axes_given(results):
    ax = plots.new_axes()
    assert plots.cohort_outcomes(results, "frequency", ax=ax) is ax
    assert plots.commissioner_outlay(results, ax=ax) is ax


def test_cash_fan_median_is_reserves_plus_cumulative_net(results):
    p = results.party_index("small_charity")
    ax = plots.cash_fan(results, "small_charity")
    median = next(line for line in ax.get_lines() if line.get_label() == "median").get_ydata()
    reserves = results.scenario.areas[0].supply_chain.subcontractors[1].reserves_gbp
    expected = np.median(reserves + np.cumsum(results.arrays["monthly_net"][:, p], axis=1), axis=0)
    np.testing.assert_allclose(median, expected)
    labels = [line.get_label() for line in ax.get_lines()]
    assert "PbR settlement month" in labels and any(lab.startswith("reserves at start") for lab in labels)
    marks = next(line for line in ax.get_lines() if line.get_label() == "PbR settlement month").get_xdata()
    np.testing.assert_array_equal(marks, np.unique(results.cohort_pay_month))


def test_party_reserves_follow_party_order(results):
    reserves, credit = plots.party_reserves(results)
    chain = results.scenario.areas[0].supply_chain
    assert list(reserves) == [chain.prime.reserves_gbp, *(s.reserves_gbp for s in chain.subcontractors)]
    assert list(credit) == [chain.prime.credit_line_gbp, *(s.credit_line_gbp for s in chain.subcontractors)]


def test_investor_reserves_come_last():
    r = simulate(load_scenario(SCENARIOS / "peterborough_sib.toml"), sims=64, seed=1)
    reserves, _ = plots.party_reserves(r)
    sub = r.scenario.areas[0].supply_chain.subcontractors[0]
    assert len(reserves) == len(r.party_names) and reserves[-1] == sub.investor.reserves_gbp
    assert plots.cash_fan(r, sub.investor.name).get_title().endswith(sub.investor.name)


def test_npv_legend_states_the_loss_probability(results):
    ax = plots.npv_distribution(results, "prime")
    p_loss = np.mean(results.arrays["npv"][:, 0] < 0)
    assert any(f"{p_loss:.1%}" in t.get_text() for t in ax.get_legend().get_texts())


def test_exceedance_starts_at_the_probability_of_loss(results):
    ax = plots.loss_exceedance(results, "small_charity")
    curve = ax.get_lines()[0]
    p = results.party_index("small_charity")
    assert curve.get_ydata()[0] == pytest.approx(np.mean(results.arrays["npv"][:, p] < 0))
    assert np.all(np.diff(curve.get_ydata()) <= 1e-12)


def test_cohort_outcomes_baseline_lines(results):
    ax = plots.cohort_outcomes(results, "binary")
    lines = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
    stretched = next(v for k, v in lines.items() if k.startswith("baseline with stretch"))
    np.testing.assert_allclose(stretched, results.arrays["cohort_base_binary"][:, 0].mean(axis=0))
    before = lines["baseline before stretch (mean)"]
    assert np.all(before >= stretched - 1e-12)
    with pytest.raises(ValueError, match="measure must be one of"):
        plots.cohort_outcomes(results, "speed")


def test_unknown_party_names_the_parties(results):
    with pytest.raises(KeyError, match="small_charity"):
        plots.cash_fan(results, "nobody")


def test_figures_needing_monthly_flows_say_so(lean):
    with pytest.raises(plots.NoMonthlyData, match="--no-monthly"):
        plots.cash_fan(lean, "prime")
    with pytest.raises(plots.NoMonthlyData, match="--no-monthly"):
        plots.pbr_vs_fee(lean, "prime")
    ax = plots.pbr_vs_fee(lean)  # by cohort: works without monthly flows, and says what is missing
    assert any("not kept" in t.get_text() for t in ax.texts)
    plots.npv_distribution(lean, "prime")
    plots.peak_funding(lean)


def test_save_plots_writes_png_and_svg(results, tmp_path):
    written, skipped = plots.save_plots(results, tmp_path)
    assert not skipped
    names = sorted(p.relative_to(tmp_path).as_posix() for p in written)
    assert names == sorted(plots.plot_files(results))
    png = mpimg.imread(tmp_path / "plots" / "cash_fan_small_charity.png")
    assert png.shape[0] > 300 and png.std() > 0.05
    root = ET.parse(tmp_path / "plots" / "npv_distribution_prime.svg").getroot()
    assert root.tag.endswith("svg")
    assert not list((tmp_path / "plots").glob(".*tmp"))


def test_save_plots_skips_with_reasons(lean, tmp_path):
    written, skipped = plots.save_plots(lean, tmp_path)
    assert written and skipped
    assert all("--no-monthly" in s for s in skipped)
    assert not (tmp_path / "plots" / "cash_fan_prime.png").exists()
