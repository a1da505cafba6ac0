"""The study commands end to end: files written, money as pounds, bad input as one line and exit code 2."""

import re

import pandas as pd
import pytest
from click.testing import CliRunner

from simulator.cli import main
from simulator.studies.tables import safe_cell

from .conftest import DEFAULT_SCENARIO, SCENARIOS

POWER_SCENARIO = SCENARIOS / "analytic" / "power_binomial.toml"
INCENTIVES = SCENARIOS / "incentives_tr.toml"
SCIENTIFIC = re.compile(r"\d[eE][+-]\d")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_error_line(result, *needles):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pbrsim: error: "), result.output
    for needle in needles:
        assert needle in lines[0]


def test_power_writes_tables_figures_and_report(tmp_path):
    out = tmp_path / "p"
    result = invoke("power", POWER_SCENARIO, "--sims", 200, "--effects", "0,2,4", "--out", out, "--report")
    assert result.exit_code == 0, result.output
    for name in ("power.csv", "power_parties.csv", "power_needed.csv", "power.json", "power.png", "power.svg",
                 "power_parties.png", "power_parties.svg", "report.html"):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "power.csv")
    assert list(table["effect_binary_points"]) == [0, 2, 4]
    assert "exact binomial" in result.output and "£" in result.output and not SCIENTIFIC.search(result.output)
    again = invoke("power", POWER_SCENARIO, "--sims", 200, "--effects", "0,2,4", "--out", out)
    one_error_line(again, "already holds", "--force")


@pytest.mark.parametrize("spec", ["3:1:3", "0", "a,b"])
def test_power_rejects_bad_effects(tmp_path, spec):
    result = invoke("power", POWER_SCENARIO, "--effects", spec, "--out", tmp_path / "p")
    one_error_line(result, "--effects")
    assert not (tmp_path / "p").exists()


def test_compare_prints_levels_and_paired_differences(tmp_path):
    out = tmp_path / "c"
    result = invoke("compare", DEFAULT_SCENARIO, "--set", "payment.pbr.trigger=any_improvement", "--stress",
                    "volume_down_30", "--sims", 128, "--out", out)
    assert result.exit_code == 0, result.output
    assert "minus A ± paired s.e." in result.output and "outlay per reoffence avoided" in result.output
    assert "note: 'tr_crc_default [stress: volume_down_30]' does not share" in result.output
    assert not SCIENTIFIC.search(result.output)
    table = pd.read_csv(out / "compare.csv")
    assert set(table["design"]) == {"tr_crc_default", "tr_crc_default [stress: volume_down_30]",
                                    "tr_crc_default [payment.pbr.trigger=any_improvement]"}
    assert (out / "compare.png").is_file() and (out / "compare.svg").is_file()


@pytest.mark.parametrize("args,needles", [
    ((DEFAULT_SCENARIO,), ("at least two designs",)),
    ((DEFAULT_SCENARIO, "--set", "payment.pbr.trigr=target"), ("'payment.pbr.trigr' is not a scenario key",)),
    ((DEFAULT_SCENARIO, "--set", "payment.pbr.trigger"), ("--set", "KEY=VALUE")),
    ((DEFAULT_SCENARIO, "--stress", "no_such_stress"), ("no stress named 'no_such_stress'",)),
    ((DEFAULT_SCENARIO, "missing.toml"), ("missing.toml", "not found")),
])
def test_compare_bad_input_is_one_line(tmp_path, args, needles):
    result = invoke("compare", *args, "--sims", 64, "--out", tmp_path / "c")
    one_error_line(result, *needles)
    assert not (tmp_path / "c").exists()


def test_incentives_answers_in_words(tmp_path):
    out = tmp_path / "i"
    result = invoke("incentives", INCENTIVES, "--stress", "no_dead_band", "--spend", "0.6,0.8,1", "--sims", 400,
                    "--out", out, "--report")
    assert result.exit_code == 0, result.output
    assert "Yes, this design rewards cutting spend" in result.output and "SMF (2013)" in result.output
    assert "No, this design does not reward cutting spend" in result.output
    assert "how the answers change with the design" in result.output
    assert not SCIENTIFIC.search(result.output)
    for name in ("incentives.csv", "incentives.json", "incentives.png", "incentives_2.svg", "report.html"):
        assert (out / name).is_file(), name


@pytest.mark.parametrize("args,needles", [
    ((DEFAULT_SCENARIO,), ("spend_effect",)),
    ((INCENTIVES, "--party", "nobody"), ("'nobody' is not a delivering party",)),
    ((INCENTIVES, "--spend", "1.2,0.5"), ("--spend",)),
])
def test_incentives_bad_input_is_one_line(tmp_path, args, needles):
    result = invoke("incentives", *args, "--sims", 64, "--out", tmp_path / "i")
    one_error_line(result, *needles)
    assert not (tmp_path / "i").exists()


def test_csv_text_cells_cannot_run_as_formulas():
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and safe_cell("-area") == "'-area"
    assert safe_cell("prime") == "prime" and safe_cell(-3.5) == -3.5
