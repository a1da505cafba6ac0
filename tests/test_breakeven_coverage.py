"""The break-even interval holds: over 40 seeds its 95% interval covers the true root at least 90% of the time.

The scenario (scenarios/analytic/sobol_linear.toml) has a fixed volume, so each simulation's
NPV is linear in the fee rate with the same slope, and the prime's chance of a loss is a step
function of the rate in every simulation: exactly the case where a slope-based interval
fails. The true root of ``prime.prob_loss <= 0.2`` is the 80th percentile of the
per-simulation roots, taken from a high-simulation reference run (its own error is about a
tenth of an interval's half-width at the searched size).
"""

import numpy as np
import pytest

from simulator import scenario_from_dict, simulate
from simulator.scenario.keypaths import apply_overrides
from simulator.studies.breakeven import parse_target, solve

from .conftest import SCENARIOS, raw_scenario

KEY = "payment.fee_for_service.rate_gbp"
SEEDS, SIMS, REFERENCE_SIMS = 40, 300, 40_000


def _npv(raw: dict, rate: float, sims: int) -> np.ndarray:
    sc = scenario_from_dict(apply_overrides(raw, {KEY: rate}))
    return simulate(sc, sims=sims, seed=10_001, keep_monthly=False, keep_components=False).arrays["npv"][:, 0]


@pytest.mark.slow
def test_interval_covers_the_reference_root_at_least_90_percent_of_the_time():
    raw = raw_scenario(SCENARIOS / "analytic" / "sobol_linear.toml")
    at0, at100 = _npv(raw, 0.0, REFERENCE_SIMS), _npv(raw, 100.0, REFERENCE_SIMS)
    slope = (at100 - at0) / 100.0
    assert np.allclose(slope, slope[0])  # linear with one slope: each simulation's root is -npv(0) / slope
    true_root = float(np.quantile(-at0 / slope, 0.8))
    target = parse_target("prime.prob_loss<=0.2", ["prime"], ["prob_loss"])
    covered, widths = 0, []
    for seed in range(SEEDS):
        result = solve(raw, KEY, target, low=0.0, high=1000.0, sims=SIMS, seed=seed, source="coverage")
        lo, hi = result.interval
        covered += lo <= true_root <= hi
        widths.append(hi - lo)
    assert covered >= 0.9 * SEEDS, (covered, true_root)
    assert np.median(widths) < 0.1 * true_root  # and the intervals are not uselessly wide
