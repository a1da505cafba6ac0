"""A real browser opens the report: headless Chromium takes a screenshot, which must show a page.

Chromium comes from the system packages (``.ci/run`` installs Debian's ``chromium``). Where it
is absent the test is skipped locally, but fails under CI (``CI=true``), so CI never passes
without having rendered the report.
"""

import os
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from simulator import load_scenario, simulate
from simulator.outputs.report import write_report

from .conftest import DEFAULT_SCENARIO

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WIDTH, HEIGHT = 1280, 2000


def find_chromium() -> str | None:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


def require_chromium(env=os.environ, finder=find_chromium) -> str:
    """Chromium's path; skip where it is absent, but fail under CI."""
    path = finder()
    if path is None:
        message = ("headless Chromium not found (looked for " + ", ".join(CANDIDATES) + "); "
                   "install it with 'apt-get install -y chromium' (.ci/run does this in CI)")
        if env.get("CI", "").lower() == "true":
            pytest.fail("CI=true but " + message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


def test_missing_chromium_skips_locally_and_fails_in_ci():
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        require_chromium({}, lambda: None)
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_chromium({"CI": "true"}, lambda: None)
    assert require_chromium({"CI": "true"}, lambda: "/x/chromium") == "/x/chromium"


def screenshot(chromium: str, page: Path, png: Path, profile: Path) -> subprocess.CompletedProcess:
    args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--hide-scrollbars", f"--user-data-dir={profile}", f"--screenshot={png}",
            f"--window-size={WIDTH},{HEIGHT}", page.resolve().as_uri()]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def test_report_renders_in_headless_chromium(chromium, tmp_path):
    results = simulate(load_scenario(DEFAULT_SCENARIO), sims=300, seed=3)
    page = write_report(results, tmp_path / "res")
    png = tmp_path / "shot.png"
    done = screenshot(chromium, page, png, tmp_path / "profile")
    assert png.is_file(), f"no screenshot (exit {done.returncode}):\n{done.stderr[-2000:]}"
    img = mpimg.imread(png)
    assert img.shape[:2] == (HEIGHT, WIDTH)
    grey = img[..., :3].mean(axis=2)
    assert grey.std() > 0.1, "screenshot is blank"
    inked = grey < 0.5
    assert inked.mean() > 0.01, "almost nothing dark on the page"
    # the title line at the top and the first figure further down are both drawn
    assert inked[:120].any()
    rows_with_ink = np.flatnonzero(inked.any(axis=1))
    assert rows_with_ink.max() > HEIGHT // 2, "the page stops rendering half way"
