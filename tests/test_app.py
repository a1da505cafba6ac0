"""The what-if app in-process (Starlette's test client): answers from the simulation, errors by
the field, downloads that reproduce the page, and the safety rules (127.0.0.1 only, no script)."""

import io
import json
import re
import threading
import warnings

import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from simulator import scenario_from_dict, simulate
from simulator.app import create_app
from simulator.app.server import bind
from simulator.app.survive import pct
from simulator.cli import main
from simulator.scenario.keypaths import set_value

from .conftest import DEFAULT_SCENARIO, raw_scenario

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's note about httpx's successor
    from starlette.testclient import TestClient

SIMS = 500  # the page's own default is 2,000; fewer keep the tests quick
UPFRONT = "supply_chain.subcontractors.small_charity.upfront_share"


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(), base_url="http://127.0.0.1")


def survive(client, **form):
    data = {"shown_sub": "small_charity", "sims": str(SIMS), "seed": "3", "action": "run", **form}
    response = client.post("/", data=data)
    assert response.status_code == 200
    return response.text


def headline(text: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.search(r'id="headline">(.*?)</div>', text, re.S).group(1)).strip()


def error(text: str, name: str) -> str | None:
    found = re.search(rf'id="err-{name}">(.*?)</', text)
    return found and found.group(1)


def charity_chance(**changes) -> float:
    raw = raw_scenario(DEFAULT_SCENARIO)
    for key, value in changes.items():
        raw = set_value(raw, key, value)
    results = simulate(scenario_from_dict(raw), sims=SIMS, seed=3)
    return results.summary()["parties"]["small_charity"]["prob_reserves_exhausted"]


def test_the_headline_is_the_simulation_and_moves_with_the_upfront_share(client):
    as_is, safer, safest = survive(client), survive(client, upfront="85"), survive(client, upfront="100")
    for text, share in ((as_is, 0.7), (safer, 0.85)):
        p = charity_chance(**{UPFRONT: share})
        assert 0 < p < 1
        assert headline(text).startswith(f"In {pct(p)} of {SIMS} simulated futures your cash runs out")
    assert charity_chance(**{UPFRONT: 1.0}) == 0 and headline(safest).startswith("In none of 500")
    assert headline(as_is) != headline(safer)
    assert "working capital" in headline(as_is) and 'id="timing"' in as_is


def test_every_box_is_checked_and_its_error_shown_beside_it(client):
    text = survive(client, upfront="170", cases="500", wait="soon")
    assert "[0, 100] %" in error(text, "upfront")
    assert "at most the contract&#x27;s 425 cases" in error(text, "cases")
    assert "must be a whole number" in error(text, "wait")
    assert "Fix the boxes" in headline(text) and 'aria-invalid="true"' in text
    assert "at most £2,890 a case" in error(survive(client, fee="5,000"), "fee")
    assert "from 100 to 50000" in error(survive(client, sims="7"), "sims")


def test_find_gives_an_upfront_share_that_meets_the_limit(client):
    text = survive(client, action="find", level="5")
    found = re.search(r'id="f-upfront" name="upfront" value="(\d+)"', text)
    share = int(found.group(1)) / 100
    assert f"At least {found.group(1)}% of your fee paid up front keeps the chance" in headline(text)
    assert charity_chance(**{UPFRONT: share}) <= 0.05 < charity_chance(**{UPFRONT: share - 0.03})


def test_any_scenario_downloads_reproduce_the_page(client, tmp_path):
    form = {"toml": DEFAULT_SCENARIO.read_text(), "name": "tr_crc_default.toml", "sims": str(SIMS), "seed": "5",
            "payment.fee_for_service.rate_gbp": "3,600", f"{UPFRONT}": "90", "stress": "volume_down_30"}
    page = client.post("/scenario", data=form)
    assert page.status_code == 200 and "small_charity: " in headline(page.text)
    toml = client.post("/scenario/download/toml", data=form)
    assert toml.headers["content-disposition"] == 'attachment; filename="scenario.toml"'
    (tmp_path / "scenario.toml").write_text(toml.text)
    done = CliRunner().invoke(main, ["run", str(tmp_path / "scenario.toml"), "--sims", str(SIMS), "--seed", "5",
                                     "--out", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    cli_lines = [line for line in done.output.splitlines() if line.startswith("small_charity: ")]
    assert cli_lines and cli_lines[0] in page.text.replace("&#x27;", "'")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    book = load_workbook(io.BytesIO(client.post("/scenario/download/xlsx", data=form).content))
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True) if row and row[0]}
    assert about["simulations"] == SIMS and about["seed"] == 5
    report = client.post("/scenario/download/report", data=form).text
    mean = summary["parties"]["small_charity"]["npv_gbp"]["mean"]
    assert f"£{mean:,.0f}" in report or f"-£{-mean:,.0f}" in report


def test_a_bad_box_or_a_bad_file_is_one_line(client):
    form = {"toml": DEFAULT_SCENARIO.read_text(), "name": "x.toml", "sims": str(SIMS), "volume.factor_mean": "-5"}
    assert "must be a number &gt; 0" in error(client.post("/scenario", data=form).text, "volume.factor_mean")
    bad = client.post("/scenario/load", files={"file": ("broken.toml", b"name = [", "application/toml")})
    assert bad.status_code == 400 and "broken.toml: is not valid TOML" in bad.text
    good = client.post("/scenario/load", files={"file": ("mine.toml", DEFAULT_SCENARIO.read_bytes(), "text/plain")})
    assert good.status_code == 200 and "mine.toml" in good.text


def test_only_local_hosts_and_no_script(client):
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400
    page = client.get("/scenario")
    assert "<script" not in page.text and "script-src" not in page.headers["content-security-policy"]
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    sock = bind(0)
    try:
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()


def test_app_command_refuses_a_bad_scenario_in_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 1\n")
    done = CliRunner().invoke(main, ["app", str(bad), "--no-browser"])
    assert done.exit_code == 2 and done.output.startswith("pbrsim: error: ") and len(done.output.splitlines()) == 1


def test_working_capital_is_the_peak_funding_quantile():
    from simulator.app.survive import working_capital

    results = simulate(scenario_from_dict(raw_scenario(DEFAULT_SCENARIO)), sims=SIMS, seed=3)
    p = results.party_index("small_charity")
    assert working_capital(results, "small_charity", 0.05) == np.percentile(results.arrays["peak_funding"][:, p], 95)


def test_a_first_start_compiles_in_the_background_and_a_later_one_does_not(monkeypatch):
    import simulator.engine.compiled as compiled
    import simulator.engine.side_compile as side
    from simulator.app import runs

    beside = []
    monkeypatch.setattr(compiled, "is_compiled", lambda *kind, **monthly: False)
    monkeypatch.setattr(side, "start_beside", lambda scenario, monthly: beside.append(monthly))
    web = create_app()
    thread = runs.warm_up(web.state.first_scenario)
    assert thread is not None
    thread.join(timeout=300)
    assert not thread.is_alive() and beside == [False]  # the bundled contract's 3 parties keep every month
    monkeypatch.setattr(compiled, "is_compiled", lambda *kind, **monthly: True)
    assert runs.warm_up(web.state.first_scenario) is None


def test_a_first_start_that_lacks_only_the_monthly_statistics_says_seconds_not_the_engines_time(monkeypatch, client):
    import simulator.engine.compiled as compiled
    import simulator.engine.side_compile as side
    from simulator.app import runs

    beside = []
    monkeypatch.setattr(compiled, "is_compiled", lambda kind=None, *, monthly=False: not monthly)
    monkeypatch.setattr(side, "start_beside", lambda scenario, monthly: beside.append(monthly))
    monkeypatch.setattr(runs, "_monthly", lambda scenario: {"keep_components": False, "monthly_stats": True})
    thread = runs.warm_up(client.app.state.first_scenario)
    assert (thread.what, thread.takes) == ("its monthly statistics", "a few seconds")
    thread.join(timeout=300)
    assert not thread.is_alive() and beside == []  # nothing to win from a second process for seconds of compile
    release = threading.Event()
    client.app.state.warming = runs.WarmUp(target=release.wait, daemon=True)
    client.app.state.warming.what, client.app.state.warming.takes = thread.what, thread.takes
    client.app.state.warming.start()
    got = client.get("/").text
    release.set()
    assert "preparing its monthly statistics" in got and "takes a few seconds" in got and "15 seconds" not in got


def test_while_the_first_start_compiles_the_page_says_so_and_reloads_itself(client):
    release = threading.Event()
    warming = threading.Thread(target=release.wait, daemon=True)
    warming.start()
    client.app.state.warming = warming
    for address in ("/", "/scenario"):
        got = client.get(address)
        assert got.status_code == 200 and 'id="getting-ready"' in got.text and "first start only" in got.text
        assert "preparing its simulation engine" in got.text and "about 15 seconds" in got.text
        assert '<meta http-equiv="refresh" content="2">' in got.text and "<script" not in got.text
    release.set()
    warming.join(timeout=10)
    again = client.get("/")
    assert again.status_code == 200 and "getting-ready" not in again.text and "refresh" not in again.text
