"""The contract calendar: cohort windows and when PbR money can first move."""

import numpy as np

from simulator import load_scenario
from simulator.engine.timeline import build_calendar

from .conftest import DEFAULT_SCENARIO, raw_scenario, run, set_key


def test_tr_calendar_hand_computed():
    cal = build_calendar(load_scenario(DEFAULT_SCENARIO).timeline)
    # bedding-in 8, quarterly cohorts to month 84: starts 8, 11, ..., 83 (last one partial)
    assert cal.cohort_start[0] == 8 and cal.cohort_start[-1] == 83 and cal.n_cohorts == 26
    assert cal.cohort_end[-1] == 84
    # first cohort: ends 11, +12 follow-up, +6 wait = 29; +3 processing = 32; yearly settlement -> 36
    assert cal.cohort_result_month[0] == 29
    assert cal.cohort_pay_month[0] == 36
    assert np.all(cal.cohort_pay_month % 12 == 0)
    assert cal.horizon_months == cal.cohort_pay_month.max() + 1


def test_no_pbr_money_in_first_three_years_with_tr_settings():
    """TR-like settings, foundation payment off: no outcome money moves before month 36."""
    raw = set_key(raw_scenario(DEFAULT_SCENARIO), "payment.foundation.monthly_gbp", 0.0)
    res = run(raw, sims=300, seed=3)
    pbr = res.arrays["monthly_pbr"]
    assert np.all(pbr[:, :, :36] == 0.0)
    assert np.any(pbr[:, :, 36] != 0.0)
    for name in res.party_names:
        assert res.party_summary(name)["first_pbr_cash_month"] >= 36


def test_foundation_advances_are_not_counted_as_first_pbr_cash():
    res = run(raw_scenario(DEFAULT_SCENARIO), sims=100, seed=3)
    prime = res.party_index("prime")
    assert np.all(res.arrays["monthly_pbr"][:, prime, 9:36] > 0)  # advances flow from month 8 + lag
    assert res.party_summary("prime")["first_pbr_cash_month"] >= 36
