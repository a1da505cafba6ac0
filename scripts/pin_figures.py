"""Print the pinned figures of a few fixed-seed runs as JSON (tests/pinned/figures_*.json).

Run once on a release whose model is trusted; tests/test_pinned.py then checks that every
later change that leaves the model alone reproduces these numbers bit for bit. Only the
public API is used, so the script runs unchanged across refactors.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from simulator import load_scenario, simulate

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "default_aggregate": dict(file="scenarios/tr_crc_default.toml", sims=256, seed=7),
    "default_individual": dict(file="scenarios/tr_crc_default.toml", sims=64, seed=3, mode="individual"),
    "national_no_monthly": dict(file="scenarios/national_tr21.toml", sims=64, seed=11, keep_monthly=False,
                                keep_components=False),
    "peterborough": dict(file="scenarios/peterborough_sib.toml", sims=128, seed=5),
    "doncaster": dict(file="scenarios/doncaster_clawback.toml", sims=128, seed=5),
    "analytic": dict(file="scenarios/analytic/binomial_no_effect.toml", sims=256, seed=1),
    # the record's scenarios (issue 10)
    "nyc_able": dict(file="scenarios/nyc_able_ladder.toml", sims=128, seed=5),
    "skill_mill": dict(file="scenarios/skill_mill_rate_card.toml", sims=128, seed=5),
    "youth_justice": dict(file="scenarios/youth_justice_clawback.toml", sims=128, seed=5),
    "work_programme": dict(file="scenarios/work_programme_referrals.toml", sims=128, seed=5),
}
ARRAYS = ("npv", "peak_funding", "lowest_headroom", "first_pbr_month", "commissioner_paid", "commissioner_total",
          "cohort_n", "cohort_binary", "cohort_frequency", "cohort_pbr", "monthly_net", "monthly_fee",
          "monthly_pbr", "monthly_cost", "effect_binary_points", "cohort_met", "pooled_pbr", "cohort_clawback",
          "caseload_share")


def digest(a: np.ndarray) -> str:
    a = np.ascontiguousarray(a)
    return hashlib.sha256(f"{a.dtype.str}{a.shape}".encode() + a.tobytes()).hexdigest()[:24]


def figures(case: dict) -> dict:
    case = dict(case)
    scenario = load_scenario(ROOT / case.pop("file"))
    results = simulate(scenario, **case)
    summary = results.summary()
    parties = {
        name: {"npv_mean": p["npv_gbp"]["mean"], "npv_p5": p["npv_gbp"]["p5"], "prob_loss": p["prob_loss"],
               "peak_funding_mean": p["peak_funding_gbp"]["mean"],
               "prob_reserves_exhausted": p["prob_reserves_exhausted"]}
        for name, p in list(summary["parties"].items())[:4]
    }
    return {
        "parties": parties,
        "commissioner_total_mean": summary["commissioner"]["total_paid_gbp"]["mean"],
        "areas_prob_cohort_paid": [a["prob_cohort_paid"] for a in summary["areas"].values()][:3],
        "arrays": {k: digest(results.arrays[k]) for k in ARRAYS if k in results.arrays},
    }


if __name__ == "__main__":
    json.dump({name: figures(case) for name, case in CASES.items()}, sys.stdout, indent=1)
    print()
