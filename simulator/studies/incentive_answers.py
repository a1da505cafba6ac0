"""The incentives study's answers, read off its table for one design.

- **Rewards cutting spend** (the SMF 2013 finding): the provider's mean NPV is highest below
  the contracted spend on every segment, and that gain over spending as contracted is more
  than ``Z`` paired standard errors.
- **Rewards parking the hardest segment** (highest baseline rate): cutting that segment's
  spend alone raises the mean NPV by more than ``Z`` paired standard errors.
- **Rewards concentrating on the easiest segment** (lowest baseline rate): the provider's
  best multiple of contracted spend is higher on the easiest segment than on the hardest.

The answers are numbers and flags; ``outputs.study_text`` words them.
"""

from __future__ import annotations

import math

Z = 2.0  # a gain counts when it exceeds Z paired standard errors
ALL_SEGMENTS = "all segments"  # series names of the incentives table
BEST = "NPV-maximising spend"


def _best(rows):
    return rows.loc[rows["npv_gbp_mean"].idxmax()]


def _point(r) -> dict:
    keys = ("multiplier", "spend_gbp", "npv_gbp_mean", "npv_gain_gbp", "npv_gain_se", "prob_loss",
            "true_effect_points", "binary_vs_baseline_points", "commissioner_outlay_gbp_mean",
            "commissioner_outlay_change_gbp")
    return {k: float(r[k]) for k in keys}


def _gains(r) -> bool:
    return bool(r["npv_gain_gbp"] > Z * r["npv_gain_se"])


def answers(rows, provider, party: str) -> dict:
    """Flags and the points behind them for one design's rows of the incentives table."""
    uniform = rows[rows["series"] == ALL_SEGMENTS]
    contracted = uniform[uniform["multiplier"] == 1.0].iloc[0]
    best_uniform = _best(uniform)
    hardest = provider.segments[max(range(len(provider.rates)), key=lambda g: provider.rates[g])]
    easiest = provider.segments[min(range(len(provider.rates)), key=lambda g: provider.rates[g])]
    best_hard, best_easy = _best(rows[rows["series"] == hardest]), _best(rows[rows["series"] == easiest])
    best = rows[rows["series"] == BEST].iloc[0]
    return {
        "party": party,
        "rewards_cutting": bool(best_uniform["multiplier"] < 1.0 and _gains(best_uniform)),
        "rewards_parking_hardest": bool(best_hard["multiplier"] < 1.0 and _gains(best_hard)),
        "rewards_concentrating_on_easiest": bool(len(provider.segments) > 1
                                                 and best_easy["multiplier"] > best_hard["multiplier"]),
        "hardest_segment": hardest,
        "easiest_segment": easiest,
        "contracted": _point(contracted),
        "best_uniform": _point(best_uniform),
        "lowest_uniform": _point(uniform.loc[uniform["multiplier"].idxmin()]),
        "best_hardest": _point(best_hard),
        "best_easiest": _point(best_easy),
        "best": {**_point(best), "spend_by_segment_gbp": {s: float(best[f"spend_{s}_gbp"]) for s in provider.segments},
                 "multiplier": math.nan},
    }
