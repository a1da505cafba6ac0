"""The record is a test: every case in scenarios/record/ turns out as its file says.

A case that should agree with what happened must agree; a case the model cannot reproduce
must still not agree (if it starts to, someone should look at why), and says why not.
docs/validation.md must be the table of the current model.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from simulator import ScenarioError
from simulator.cli import main
from simulator.outputs.record_table import record_markdown
from simulator.studies.record import case_files, load_case, run_record
from simulator.studies.record_checks import CHECKS, annual_irr, exact_prob_paid

from .conftest import ROOT

RECORD = ROOT / "scenarios" / "record"
CASES = case_files(RECORD)


@pytest.fixture(scope="module")
def rows():
    return run_record(RECORD)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_case_files_are_complete(path):
    case = load_case(path)
    assert case.scenario.is_file() and case.check["kind"] in CHECKS
    for text in (case.happened, case.source, case.agree_means, case.why_fair):
        assert len(text) > 40
    assert "shared/" in case.source or "seed" in case.source  # every case names its source
    case.scenario_model()  # its overrides are valid key paths and values


def test_the_cases_the_issue_asks_for_are_there():
    stems = {p.stem for p in CASES}
    for prefix in ("tr_significance", "smf_four", "smf_small", "nao_", "doncaster_cohort_1", "doncaster_cohort_2",
                   "peterborough_cohort_1", "peterborough_pooled", "peterborough_investors", "nyc_able", "skill_mill",
                   "work_programme"):
        assert any(s.startswith(prefix) for s in stems), prefix


def test_every_case_turns_out_as_its_file_says(rows):
    broken = [(r.case.path.stem, r.verdict, r.outcome.model) for r in rows if not r.holds]
    assert not broken, broken
    assert sum(r.outcome.agree for r in rows) >= len(rows) - 3  # most of the record is reproduced


def test_validation_doc_is_the_current_table(rows):
    doc = (ROOT / "docs" / "validation.md").read_text()
    assert doc == record_markdown(rows, folder="scenarios/record"), \
        "regenerate: pbrsim record --markdown docs/validation.md --force"


def test_exact_binomial_oracle():
    """The oracle itself, by hand: no effect means P(paid) is the one-sided test's size, ~5%."""
    p = exact_prob_paid(1300, 0.475, 0.0, 0.05)
    assert 0.04 < p <= 0.05  # discrete: at most the nominal level
    assert exact_prob_paid(1300, 0.475, 5.0, 0.05) > 0.95


def test_annual_irr_by_hand():
    import numpy as np

    flows = np.zeros((2, 25))
    flows[:, 0] = -100.0
    flows[0, 24] = 121.0   # 10% a year for two years
    flows[1, 12] = 97.0    # -3% over one year
    assert annual_irr(flows) == pytest.approx([0.10, -0.03], abs=1e-9)


def test_cli_prints_the_table_and_fails_a_broken_record(tmp_path):
    out = CliRunner().invoke(main, ["record", str(RECORD), "--case", "tr_significance_trigger", "--quiet"])
    assert out.exit_code == 0, out.output
    assert "TR significance trigger" in out.output and "1 of 1 cases agree" in out.output
    folder = tmp_path / "record"
    folder.mkdir()
    text = (RECORD / "tr_significance_trigger.toml").read_text()
    text = text.replace('seed = 11', 'seed = 11\nexpect = "cannot_reproduce"\nreason = "a test"')
    (folder / "tr_significance_trigger.toml").write_text(text.replace("../analytic", str(RECORD.parent / "analytic")))
    out = CliRunner().invoke(main, ["record", str(folder), "--quiet"])
    assert out.exit_code == 1 and "does not hold for: tr_significance_trigger" in out.output


def test_cli_errors_are_one_line(tmp_path):
    out = CliRunner().invoke(main, ["record", str(tmp_path / "nowhere")])
    assert out.exit_code == 2 and "is not a folder of record cases" in out.output
    doc = tmp_path / "v.md"
    doc.write_text("old")
    out = CliRunner().invoke(main, ["record", str(RECORD), "--case", "tr_significance_trigger", "--markdown", str(doc)])
    assert out.exit_code == 2 and "use --force" in out.output and doc.read_text() == "old"
    out = CliRunner().invoke(main, ["record", str(RECORD), "--case", "no_such_case"])
    assert out.exit_code == 2 and "has no case named 'no_such_case'" in out.output


def test_bad_case_file_names_the_key(tmp_path):
    src = RECORD / "nao_volumes_fixed_costs.toml"
    bad = tmp_path / "bad.toml"
    bad.write_text(src.read_text().replace("source = ", "sauce = "))
    with pytest.raises(ScenarioError, match=r"'case\.sauce' is not a case key"):
        load_case(bad)
    text = src.read_text().replace('"volume.factor_mean" = 0.675', '"volume.factor_mean" = -1')
    bad.write_text(text.replace("../tr_crc_default.toml", str(RECORD.parent / "tr_crc_default.toml")))
    with pytest.raises(ScenarioError, match=r"volume\.factor_mean"):
        load_case(bad).scenario_model()


def test_out_folder_is_one_result_with_safe_files(tmp_path):
    """--out writes record.csv, record.json and validation.md as one result (manifest, lock), as run does."""
    import json

    out = tmp_path / "rec"
    args = ["record", str(RECORD), "--case", "tr_significance_trigger", "--quiet", "--out", str(out)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert {"record.csv", "record.json", "validation.md", "manifest.json"} <= {p.name for p in out.iterdir()}
    cases = json.loads((out / "record.json").read_text())["cases"]
    assert [c["case"] for c in cases] == ["tr_significance_trigger"] and cases[0]["holds"]
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2 and "--force" in again.output  # a result already there is not replaced
