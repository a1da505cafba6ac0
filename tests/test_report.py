"""The HTML report (valid, self-contained, every figure present), the CLI flags and the progress bar."""

import base64
import io
import json
import re
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from simulator import load_scenario, simulate
from simulator.cli import main
from simulator.cli.progress import sims_progress, wanted
from simulator.outputs import plots
from simulator.outputs.labels import fmt, kind_of, metric_rows
from simulator.outputs.report import render_report

from .conftest import DEFAULT_SCENARIO

SIMS = 300
VOID = {"meta", "img", "br", "hr", "link", "input", "col", "area", "base", "embed", "source", "track", "wbr"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class Checker(HTMLParser):
    """Collects tags, figure ids and image sources; records any mis-nested or unclosed element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.ids, self.srcs, self.links, self.tags = [], [], [], [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "img":
            self.srcs.append(a.get("src", ""))
        for key in ("href", "src"):
            if key in a:
                self.links.append(a[key])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def check_html(text: str) -> Checker:
    c = Checker()
    c.feed(text)
    c.close()
    assert text.startswith("<!DOCTYPE html>")
    assert not c.errors, c.errors[:5]
    assert not c.stack, f"unclosed: {c.stack}"
    return c


@pytest.fixture(scope="module")
def results():
    return simulate(load_scenario(DEFAULT_SCENARIO), sims=SIMS, seed=5)


@pytest.fixture(scope="module")
def report_html(results):
    return render_report(results)


def test_report_is_valid_html_with_every_figure(results, report_html):
    c = check_html(report_html)
    for stem, _, _ in plots.figure_specs(results):
        assert f"fig-{stem}" in c.ids, f"figure {stem} missing"
    assert len(c.srcs) == len(plots.figure_specs(results))
    for src in c.srcs:
        head, data = src.split(",", 1)
        assert head == "data:image/png;base64"
        assert base64.b64decode(data).startswith(PNG_MAGIC)
    assert {"overview", "scenario", "inputs"} <= set(c.ids)
    assert all(f"party-{p}" in c.ids for p in results.party_names)


def test_report_needs_no_network(report_html):
    c = check_html(report_html)
    assert all(link.startswith(("data:", "#")) for link in c.links), [x[:40] for x in c.links if "data:" not in x]
    assert "script" not in c.tags and "http://" not in report_html and "https://" not in report_html


def test_report_shows_the_summary_numbers_and_inputs(results, report_html):
    s = results.summary()
    for party in s["parties"].values():
        npv = party["npv_gbp"]
        assert f"{fmt(npv['mean'], 'gbp')} ± {fmt(npv['se_mean'], 'gbp')}" in report_html
        for path, _, value, se in metric_rows(party):
            kind = kind_of(path)
            cells = f'{fmt(value, kind)}</td><td class="num">{fmt(se, kind)}</td><td class="num">{path}</td>'
            assert cells in report_html, path
    assert "Monte Carlo s.e." in report_html
    assert f"{SIMS:,} simulations, seed 5" in report_html
    assert results.scenario.source_sha256[:16] in report_html
    assert "supply_chain.subcontractors.small_charity.reserves_gbp" in report_html
    assert '<td>effect.binary_points.dist</td><td class="num">&quot;normal&quot;</td>' in report_html
    assert '<td>effect.binary_points.sd</td><td class="num">1.5</td>' in report_html


def test_metric_rows_fold_standard_errors_into_their_metric(results):
    block = results.summary()["parties"]["prime"]
    rows = {path: (value, se) for path, _, value, se in metric_rows(block)}
    assert rows["npv_gbp.mean"] == (block["npv_gbp"]["mean"], block["npv_gbp"]["se_mean"])
    assert rows["prob_loss"] == (block["prob_loss"], block["prob_loss_se"])
    assert rows["cvar_5_gbp"] == (block["cvar_5_gbp"], block["cvar_5_se_gbp"])
    assert not any("se" in path.split(".")[-1].split("_") for path in rows)


def test_report_without_monthly_flows_says_so():
    lean = simulate(load_scenario(DEFAULT_SCENARIO), sims=128, seed=5, keep_monthly=False, keep_components=False)
    text = render_report(lean)
    c = check_html(text)
    assert "fig-cash_fan_prime" in c.ids
    assert text.count("Not available") == 1 + 2 * len(lean.party_names)  # cash fan (all + each), PbR per party
    assert "--no-monthly" in text


# ---------------------------------------------------------------- CLI


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_run_with_report_xlsx_and_plots(tmp_path):
    out = tmp_path / "res"
    r = invoke("run", DEFAULT_SCENARIO, "--sims", 200, "--out", out, "--report", "--xlsx", "--plots", "--quiet")
    assert r.exit_code == 0, r.output
    assert (out / "report.html").is_file() and (out / "results.xlsx").is_file()
    assert (out / "plots" / "cash_fan_small_charity.png").is_file()
    assert (out / "plots" / "cash_fan_small_charity.svg").is_file()
    assert "report.html" in r.output and "results.xlsx" in r.output
    check_html((out / "report.html").read_text())
    again = invoke("run", DEFAULT_SCENARIO, "--sims", 200, "--out", out, "--report")
    assert again.exit_code == 2 and "report.html" in again.output and "--force" in again.output


def test_report_and_plot_commands_on_saved_results(tmp_path):
    out = tmp_path / "res"
    assert invoke("run", DEFAULT_SCENARIO, "--sims", 150, "--out", out, "--no-monthly").exit_code == 0
    r = invoke("report", out)
    assert r.exit_code == 0, r.output
    text = (out / "report.html").read_text()
    check_html(text)
    assert "Not available" in text
    saved = json.loads((out / "summary.json").read_text())
    npv = saved["parties"]["small_charity"]["npv_gbp"]
    assert f"{fmt(npv['mean'], 'gbp')} ± {fmt(npv['se_mean'], 'gbp')}" in text
    refused = invoke("report", out)
    assert refused.exit_code == 2 and "--force" in refused.output
    assert invoke("report", out, "--force", "--xlsx").exit_code == 0 and (out / "results.xlsx").is_file()
    p = invoke("plot", out)
    assert p.exit_code == 0, p.output
    assert (out / "plots" / "npv_distribution_prime.svg").is_file()
    assert not (out / "plots" / "cash_fan_prime.png").exists()
    assert "skipped cash_fan_prime" in p.output
    assert invoke("plot", out).exit_code == 2
    # one unit: the outputs added later are listed in the manifest and carry the run's id
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"summary.json", "sims.npz", "report.html", "results.xlsx", "plots/npv_distribution_prime.svg"} <= set(
        manifest["files"])
    assert manifest["run_id"] == saved["provenance"]["run_id"] in (out / "report.html").read_text()


def test_report_on_a_folder_without_results(tmp_path):
    r = invoke("report", tmp_path)
    assert r.exit_code == 2 and "no saved results" in r.output and "Traceback" not in r.output


# ---------------------------------------------------------------- progress bar


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_silent_off_a_terminal_or_when_quiet():
    for stream, quiet in ((io.StringIO(), False), (FakeTerminal(), True)):
        with sims_progress(1000, quiet=quiet, stream=stream, delay=0) as tick:
            tick(500)
            tick(500)
        assert stream.getvalue() == ""
    assert not wanted(quiet=False, stream=io.StringIO())


def test_progress_shows_on_a_terminal():
    stream = FakeTerminal()
    with sims_progress(1000, stream=stream, delay=0) as tick:
        tick(1000)
    assert re.search(r"simulating: .*/1\.00k", stream.getvalue())


def test_progress_waits_before_showing_a_short_run():
    stream = FakeTerminal()
    with sims_progress(1000, stream=stream, delay=60) as tick:
        tick(1000)
    assert stream.getvalue() == ""


def test_engine_reports_every_simulation():
    seen = []
    simulate(load_scenario(DEFAULT_SCENARIO), sims=130, seed=1, progress=seen.append)
    assert sum(seen) == 130



def _grey_png_through_savefig(ax, dpi: int) -> bytes:
    """What grey_png did before it read Agg's buffer: a colour PNG from savefig, decoded and made grey."""
    from PIL import Image

    buf, out = io.BytesIO(), io.BytesIO()
    ax.figure.savefig(buf, format="png", dpi=dpi)
    Image.open(buf).convert("L").save(out, format="PNG", optimize=True)
    return out.getvalue()


@pytest.mark.parametrize("dpi", [90, 100])
def test_grey_png_gives_the_pixels_savefig_gives(results, dpi):
    """Figures of the package's own are encoded once from Agg's buffer: the same bytes as through savefig, at two
    resolutions and on a HiDPI canvas, with the figure's dpi and canvas left as they were. Other figures (pyplot's,
    a bare Figure, any figure under non-default savefig settings) go through savefig, with the same bytes."""
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from simulator.outputs import plots
    from simulator.outputs.report import _buffer_is_savefig, grey_png

    own = plots.cash_fan(results)
    hidpi = plots.cash_fan(results)
    hidpi.figure.canvas._set_device_pixel_ratio(2)
    fig, pyplot_ax = plt.subplots(figsize=(5, 3))
    pyplot_ax.plot([0, 1, 2], [2, 0, 1], label="a line")
    pyplot_ax.legend()
    bare = Figure(figsize=(4, 3)).add_subplot()
    bare.bar([0, 1], [1, 2])
    try:
        assert _buffer_is_savefig(own.figure) and _buffer_is_savefig(hidpi.figure)
        assert not _buffer_is_savefig(fig) and not _buffer_is_savefig(bare.figure)
        for ax in (own, hidpi, pyplot_ax, bare):
            dpi_before, canvas_before = ax.figure.dpi, ax.figure.canvas
            assert grey_png(ax, dpi) == _grey_png_through_savefig(ax, dpi)
            assert ax.figure.dpi == dpi_before and ax.figure.canvas is canvas_before
        with matplotlib.rc_context({"savefig.facecolor": "0.5"}):
            assert not _buffer_is_savefig(own.figure)
            assert grey_png(own, dpi) == _grey_png_through_savefig(own, dpi)
    finally:
        plt.close(fig)
