"""A real browser drives the app: Debian's Chromium through Playwright (which never downloads one).

Fill the subcontract form, run, check the headline changes with the upfront share, see an
error beside a bad box, save a screenshot; and the national report fits a 1,280-pixel window.
Like tests/test_browser.py, a missing Chromium (or Playwright) skips locally and fails in CI.
"""

import os

import matplotlib.image as mpimg
import pytest

from simulator import load_scenario, simulate
from simulator.app import create_app
from simulator.app.server import serve_in_thread
from simulator.outputs.report import write_report

from .conftest import SCENARIOS
from .test_browser import require_chromium

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTH = 1280


def require_playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        message = "Playwright's Python package is missing: pip install -e '.[test]'"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but " + message)
        pytest.skip(message)
    return sync_playwright


@pytest.fixture(scope="module")
def browser():
    sync_playwright = require_playwright()
    chromium = require_chromium()
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def app_url():
    server, thread, url = serve_in_thread(create_app())
    yield url
    server.should_exit = True
    thread.join(10)


def test_the_form_answers_and_the_headline_follows_the_upfront_share(browser, app_url, tmp_path):
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    assert app_url.startswith("http://127.0.0.1:")
    page.goto(app_url)
    first = page.inner_text("#headline")
    assert first.startswith("In ") and "your cash runs out" in first
    page.fill("#f-upfront", "90")
    page.fill("#f-reserves", "400,000")
    with page.expect_navigation():
        page.click("#run")
    second = page.inner_text("#headline")
    assert second != first and "simulated futures" in second
    assert page.input_value("#f-upfront") == "90"
    page.fill("#f-upfront", "170")
    with page.expect_navigation():
        page.click("#run")
    assert "[0, 100] %" in page.inner_text("#err-upfront")
    page.fill("#f-upfront", "90")
    with page.expect_navigation():
        page.click("#run")
    assert page.inner_text("#headline") == second  # the same inputs give the same answer
    shot = tmp_path / "app.png"
    page.screenshot(path=str(shot), full_page=True)
    grey = mpimg.imread(shot)[..., :3].mean(axis=2)
    assert grey.shape[1] == WIDTH and grey.std() > 0.1 and (grey < 0.5).mean() > 0.01
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def test_the_national_report_fits_a_1280_pixel_window(browser, tmp_path):
    results = simulate(load_scenario(SCENARIOS / "national_tr21.toml"), sims=100, seed=2)
    path = write_report(results, tmp_path)
    assert path.stat().st_size < 3_000_000
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    page.goto(path.resolve().as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    assert page.evaluate("document.images.length") > 20
