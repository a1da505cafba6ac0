"""Sweep plots people can read: one colour scale per metric, greyscale, words and units, the target."""

import matplotlib
import pandas as pd
import pytest
from click.testing import CliRunner

from simulator.cli import main
from simulator.outputs.sweep_plots import color_range, plot_heatmap, plot_lines, save_sweep_plot
from simulator.outputs.words import key_words, metric_words
from simulator.scenario.paths import number_text

from .conftest import DEFAULT_SCENARIO

matplotlib.use("Agg")
UP = "supply_chain.subcontractors.small_charity.upfront_share"
RES = "supply_chain.subcontractors.small_charity.reserves_gbp"


def table():
    rows = []
    for i, (up, res) in enumerate((u, r) for u in (0.6, 0.8, 1.0) for r in (250_000.0, 1_000_000.0)):
        for party, scale in (("prime", 0.1), ("small_charity", 1.0)):
            p = scale * (1.0 - up) * (1_000_000.0 / (res + 500_000.0))
            rows.append({"point": i, UP: up, RES: res, "party": party, "prob_loss": p, "prob_loss_se": 0.01,
                         "npv_gbp_mean": -2.5e7 * p})
    return pd.DataFrame(rows)


def test_heatmaps_share_one_greyscale_per_metric(tmp_path):
    t = table()
    low, high = color_range(t, "prob_loss")
    assert (low, high) == (t["prob_loss"].min(), t["prob_loss"].max())
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2)
    for party, ax in zip(("prime", "small_charity"), axes, strict=True):
        plot_heatmap(t, [UP, RES], "prob_loss", party, vmin=low, vmax=high, colorbar=False, ax=ax)
    norms = [ax.images[0].norm for ax in axes]
    assert all((n.vmin, n.vmax) == (low, high) for n in norms)
    assert axes[0].images[0].get_cmap().name == "Greys"
    assert axes[0].get_xlabel() == "small_charity: reserves at the start (GBP)"
    assert axes[0].get_ylabel() == "small_charity: share of the fee paid up front (share, 0-1)"
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["£250,000", "£1,000,000"]
    plt.close(fig)
    assert save_sweep_plot(t, [UP, RES], "prob_loss", tmp_path).stat().st_size > 1000


def test_lines_draw_the_target_and_read_in_words():
    ax = plot_lines(table()[lambda d: d[RES] == 250_000.0], UP, "npv_gbp_mean", target=-1e6)
    assert any(line.get_label() == "target -£1,000,000" for line in ax.get_lines())
    assert ax.get_ylabel() == "NPV, mean (GBP)"
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any(label.startswith("-£") for label in labels) and not any("e+" in label for label in labels)
    assert ax.yaxis.get_offset_text().get_text() == ""


def test_words_and_numbers():
    assert metric_words("prob_loss") == "Probability of a loss (NPV < 0) (share of simulations)"
    assert key_words("effect.binary_points.mean") == "true effect on the reoffending rate (mean) (percentage points)"
    assert key_words("timeline.processing_lag_months") == "months to process results (months)"
    assert number_text(19_000_000.0, "payment.pbr.maximum_annual_payment_gbp") == "£19,000,000"
    assert number_text(0.000012) == "0.000012" and number_text(1_004_880.0) == "1,004,880"


def test_plot_none_still_prints_the_table(tmp_path):
    done = CliRunner().invoke(main, ["sweep", str(DEFAULT_SCENARIO), "--vary", "payment.fee_for_service.rate_gbp=3000,4000",
                                     "--sims", "100", "--out", str(tmp_path), "--plot", "none", "--quiet"])
    assert done.exit_code == 0, done.output
    assert "prob_loss by point and party:" in done.output and "£3,000" in done.output
    assert not list(tmp_path.glob("*.png"))


@pytest.mark.parametrize("metric", ["npv_gbp_mean"])
def test_cli_line_plot_with_a_target(tmp_path, metric):
    done = CliRunner().invoke(main, ["sweep", str(DEFAULT_SCENARIO), "--vary", "payment.fee_for_service.rate_gbp=3000,4000",
                                     "--sims", "100", "--out", str(tmp_path), "--plot", metric, "--target", "0", "--quiet"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / f"sweep_{metric}.png").is_file() and "-£" in done.output
