"""The kinds of check a record case can ask for: each runs its case and returns an Outcome.

Every check states its figures with their Monte Carlo standard errors and decides agreement
by the criterion its case file writes down (``agree_means``). The parameters come from the
case's ``[check]`` table; each kind's docstring lists them.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
from scipy import stats

from ..errors import ScenarioError
from ..results import Results
from .record_cases import Case, Outcome, fmt_p, prob_se

Z = 4.0  # model-vs-exact tolerance in standard errors


def _fixed(points: float) -> dict:
    return {"dist": "fixed", "value": float(points)}


def _party(results: Results, name: str) -> int:
    return results.party_index(name)


def event(results: Results, name: str, party: str | None = None) -> np.ndarray:
    """Per simulation: 'loss' (NPV < 0), 'reserves_exhausted' or 'no_outcome_payment' (bool array)."""
    a = results.arrays
    if name == "loss":
        return a["npv"][:, _party(results, party)] < 0.0
    if name == "reserves_exhausted":
        return a["lowest_headroom"][:, _party(results, party)] < 0.0
    if name == "no_outcome_payment":
        return (a["cohort_pbr"] > 0.0).sum(axis=(1, 2)) + (a["pooled_pbr"] > 0.0).sum(axis=1) == 0
    raise ValueError(f"unknown event {name!r} (loss, reserves_exhausted, no_outcome_payment)")


def cohort_fall(results: Results, cohort: int, measure: str) -> np.ndarray:
    """Per simulation, the cohort's measured fall against its baseline: points of the binary rate
    (``binary_points``) or the relative fall in reoffences per offender (``frequency_relative``)."""
    a = results.arrays
    if measure == "binary_points":
        return 100.0 * (a["cohort_base_binary"][:, 0, cohort] - a["cohort_binary"][:, 0, cohort])
    return 1.0 - a["cohort_frequency"][:, 0, cohort] / a["cohort_base_frequency"][:, 0, cohort]


def pooled_fall(results: Results) -> np.ndarray:
    """Per simulation, the relative fall in reoffences per offender over all cohorts together."""
    a = results.arrays
    n = a["cohort_n"][:, 0, :]
    return 1.0 - (a["cohort_frequency"][:, 0, :] * n).sum(axis=1) / (a["cohort_base_frequency"][:, 0, :] * n).sum(axis=1)


def interval(x: np.ndarray) -> tuple[float, float]:
    lo, hi = np.percentile(x, [5, 95])
    return float(lo), float(hi)


def _fmt(x: float, measure: str) -> str:
    return f"{x:.1f} points" if measure == "binary_points" else f"{100 * x:.1f}%"


# ---------------------------------------------------------------- TR significance, SMF


def exact_prob_paid(n: int, base_rate: float, effect_points: float, level: float) -> float:
    """P(a cohort of n is paid) under the significance trigger, by the exact binomial sum.

    The same floating-point rule as the kernel: paid when ``base - k / n > z * se(base, n)``.
    """
    base = n * base_rate / n * 1.0
    threshold = NormalDist().inv_cdf(1.0 - level) * math.sqrt(base * (1.0 - base) / n)
    k = np.arange(n + 1)
    paid = base - k / n > threshold
    return float(stats.binom.pmf(k, n, base_rate - effect_points / 100.0)[paid].sum())


def check_binomial_power(case: Case, p: dict) -> Outcome:
    """P(cohort paid) against the exact binomial at each effect. Params: ``effects_points``."""
    sc = case.scenario_model()
    seg, level = sc.areas[0].segments[0], sc.areas[0].payment.pbr.significance_level
    parts, agree = [], True
    for d in p["effects_points"]:
        r = case.run({"effect.binary_points": _fixed(d)})
        n = r.arrays["cohort_n"]
        if not np.all(n == n.flat[0]):
            raise ScenarioError(str(case.path), "check.kind", "binomial_power needs cohorts of one fixed size",
                                "binomial_power")
        s = r.summary()["areas"][r.area_names[0]]
        exact = exact_prob_paid(int(n.flat[0]), seg.binary_rate, d, level)
        se = max(s["prob_cohort_paid_se"], 1.0 / n.size)
        agree &= abs(s["prob_cohort_paid"] - exact) <= Z * se
        parts.append(f"{d:g} pts: {s['prob_cohort_paid']:.3f} vs {exact:.3f}")
    return Outcome(f"P(cohort paid), model vs exact binomial: {'; '.join(parts)} "
                   f"(s.e. <= {se:.3f}; n = {int(n.flat[0]):,}, {n.size:,} cohorts each)", agree)


def _paid(case: Case, extra: dict) -> tuple[float, float]:
    s = case.run(extra).summary()["areas"]
    a = next(iter(s.values()))
    return a["prob_cohort_paid"], a["prob_cohort_paid_se"]


def _threshold(case: Case, p: dict, extra: dict) -> tuple[float | None, str]:
    """(smallest effect on the grid where P(cohort paid) >= level, text with its probability)."""
    below = None
    for d in p["effects_points"]:
        prob, se = _paid(case, {**extra, "effect.binary_points": _fixed(d)})
        if prob >= p["level"]:
            prev = f"; {below[1]:.3f} at {below[0]:g}" if below else ""
            return d, f"{d:g} points ({fmt_p(prob, se)}{prev})"
        below = (d, prob)
    return None, f"more than {p['effects_points'][-1]:g} points"


def check_effect_threshold(case: Case, p: dict) -> Outcome:
    """The smallest effect on a grid at which P(cohort paid) reaches ``level``; agree if within
    ``band``. Params: ``effects_points``, ``level``, ``band``; optional ``contrast`` (key-path
    overrides, with ``contrast_label``) reports the same threshold under them, not judged."""
    d, text = _threshold(case, p, {})
    text = f"P(cohort paid) first reaches {p['level']:g} at {text}"
    if "contrast" in p:
        text += f"; {p['contrast_label']}: at {_threshold(case, p, p['contrast'])[1]}"
    return Outcome(text, d is not None and p["band"][0] <= d <= p["band"][1])


def check_smaller_fares_worse(case: Case, p: dict) -> Outcome:
    """At ``effect_points``, a CPA ``volume_scale`` times the size is paid less often, by more
    than 4 s.e. Params: ``effect_points``, ``volume_scale``."""
    effect = {"effect.binary_points": _fixed(p["effect_points"])}
    big, big_se = _paid(case, effect)
    small, small_se = _paid(case, {**effect, "volume.contracted_cases_per_month": f"*{p['volume_scale']}"})
    se = math.hypot(big_se, small_se)
    return Outcome(f"at {p['effect_points']:g} points P(cohort paid) {fmt_p(small, small_se)} in a CPA "
                   f"{p['volume_scale']:g} x the size vs {fmt_p(big, big_se)}", big - small > Z * se)


# ---------------------------------------------------------------- money: losses, reserves, shortfalls


def check_probability(case: Case, p: dict) -> Outcome:
    """P(``event`` for ``party``) is at least ``at_least``. Params: ``event``, ``party``, ``at_least``."""
    hit = event(case.run(), p["event"], p.get("party"))
    prob = float(hit.mean())
    who = f" for {p['party']}" if p.get("party") else ""
    return Outcome(f"P({p['event'].replace('_', ' ')}{who}) = {fmt_p(prob, prob_se(prob, len(hit)))}",
                   prob >= p["at_least"])


def check_shortfall_raises(case: Case, p: dict) -> Outcome:
    """P(``event`` for ``party``) as recorded vs with ``key`` at its ``forecast`` value, on the same
    random numbers; agree if the rise exceeds 4 paired s.e. Params: ``event``, ``party``, ``key``,
    ``forecast``; optional ``also`` (events reported the same way, not judged)."""
    runs = case.run(), case.run({p["key"]: p["forecast"]})
    parts, agree = [], False
    for i, name in enumerate([p["event"], *p.get("also", [])]):
        hit, base = (event(r, name, p["party"]) for r in runs)
        diff = hit.astype(float) - base
        se = float(diff.std(ddof=1) / math.sqrt(len(diff)))
        agree = agree or (i == 0 and diff.mean() > Z * se)
        parts.append(f"P({name.replace('_', ' ')}) {fmt_p(hit.mean(), prob_se(hit.mean(), len(hit)))} as recorded vs "
                     f"{fmt_p(base.mean(), prob_se(base.mean(), len(base)))} at the forecast (rise {diff.mean():.3f}, "
                     f"paired s.e. {se:.3f})")
    return Outcome(f"{p['party']}: {'; '.join(parts)}; forecast = {p['key']} at {p['forecast']}", agree)


# ---------------------------------------------------------------- one cohort, pooled results


def _window(x: np.ndarray, centre: float, half: float) -> np.ndarray:
    return np.abs(x - centre) <= half


def check_cohort_result(case: Case, p: dict) -> Outcome:
    """A recorded cohort: its measured fall inside the model's 90% interval, and the contract's
    rule applied as recorded to the simulated cohorts whose fall is within ``window`` of it (met
    or missed; the prime's repayment). Params: ``cohort`` (0 = first), ``measure``,
    ``recorded_fall``, ``window``, ``recorded_met``, optional ``recorded_repayment_gbp``."""
    r, c, measure = case.run(), p["cohort"], p["measure"]
    fall = cohort_fall(r, c, measure)
    lo, hi = interval(fall)
    near = _window(fall, p["recorded_fall"], p["window"])
    met = r.arrays["cohort_met"][:, 0, c]
    rule = near.sum() >= 20 and bool(np.all(met[near] == p["recorded_met"]))
    prob = float(met.mean())
    text = (f"cohort {c + 1}'s fall: 90% interval {_fmt(lo, measure)} to {_fmt(hi, measure)}; P(met) "
            f"{fmt_p(prob, prob_se(prob, len(met)))}; in the {near.sum()} simulations within {_fmt(p['window'], measure)} "
            f"of the record, {'all' if rule else 'not all'} {'met' if p['recorded_met'] else 'missed'}")
    agree = lo <= p["recorded_fall"] <= hi and rule
    if "recorded_repayment_gbp" in p:
        repaid = r.arrays["cohort_clawback"][near, 0, c]
        text += f", repaying GBP {repaid.mean():,.0f} (min {repaid.min():,.0f}, max {repaid.max():,.0f})"
        agree &= bool(np.allclose(repaid, p["recorded_repayment_gbp"], rtol=p.get("repayment_rtol", 0.05)))
    return Outcome(text, agree)


def check_pooled_result(case: Case, p: dict) -> Outcome:
    """A pooled trigger: the recorded pooled fall inside the model's 90% interval, the pooled
    payment made in every simulation like the record (pooled fall within ``window``, cohort
    ``missed_cohort`` missed), and P(pooled paid) >= ``at_least``. Params: ``recorded_fall``,
    ``window``, ``missed_cohort``, ``at_least``."""
    r = case.run()
    fall, top = pooled_fall(r), r.arrays["pooled_pbr"][:, 0]
    lo, hi = interval(fall)
    like = _window(fall, p["recorded_fall"], p["window"]) & ~r.arrays["cohort_met"][:, 0, p["missed_cohort"]]
    rule = like.sum() >= 20 and bool(np.all(top[like] > 0.0))
    prob = float((top > 0.0).mean())
    text = (f"pooled fall: 90% interval {100 * lo:.1f}% to {100 * hi:.1f}%; P(pooled paid) "
            f"{fmt_p(prob, prob_se(prob, len(top)))}; paid in {int((top[like] > 0).sum())} of the {int(like.sum())} "
            f"simulations like the record (mean GBP {top[like].mean() if like.any() else 0:,.0f})")
    return Outcome(text, lo <= p["recorded_fall"] <= hi and rule and prob >= p["at_least"])


# ---------------------------------------------------------------- investors, caps, timing


def annual_irr(flows: np.ndarray) -> np.ndarray:
    """Yearly internal rate of return of monthly cash flows (outlays first), one per row, by bisection."""
    t = np.arange(flows.shape[1]) / 12.0
    lo, hi = np.full(len(flows), -0.99), np.full(len(flows), 2.0)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        npv = (flows / (1.0 + mid[:, None]) ** t).sum(axis=1)
        lo, hi = np.where(npv > 0, mid, lo), np.where(npv > 0, hi, mid)
    return 0.5 * (lo + hi)  # flows never repaid: the search ends at the floor, -99% a year


def check_investor_return(case: Case, p: dict) -> Outcome:
    """The investors' yearly return in the simulations like the record (pooled paid with a pooled
    fall within ``window`` of ``recorded_fall``, cohort ``missed_cohort`` missed): agree if
    ``recorded_return_annual`` is inside its 90% interval. Params: ``party``, ``missed_cohort``,
    ``recorded_fall``, ``window``, ``recorded_return_annual``."""
    r = case.run()
    like = (r.arrays["pooled_pbr"][:, 0] > 0.0) & ~r.arrays["cohort_met"][:, 0, p["missed_cohort"]] & \
        _window(pooled_fall(r), p["recorded_fall"], p["window"])
    irr = annual_irr(r.arrays["monthly_net"][like, _party(r, p["party"]), :])
    lo, hi = interval(irr)
    text = (f"in the {int(like.sum())} simulations like the record, {p['party']} earn {100 * np.median(irr):.1f}% a year "
            f"(median; 90% interval {100 * lo:.1f}% to {100 * hi:.1f}%)")
    return Outcome(text, bool(like.sum() >= 20 and lo <= p["recorded_return_annual"] <= hi))


def check_cap_share(case: Case, p: dict) -> Outcome:
    """Total outcome payments as a share of ``cap_gbp``: agree if within ``tolerance`` of the
    recorded share. Params: ``recorded_total_gbp``, ``cap_gbp``, ``tolerance``."""
    r = case.run()
    total = r.arrays["cohort_pbr"].sum(axis=(1, 2)) + r.arrays["pooled_pbr"].sum(axis=1)
    share, se = total.mean() / p["cap_gbp"], total.std(ddof=1) / math.sqrt(len(total)) / p["cap_gbp"]
    recorded = p["recorded_total_gbp"] / p["cap_gbp"]
    return Outcome(f"outcome payments {100 * share:.1f}% of the cap (s.e. {100 * se:.2f} points) vs "
                   f"{100 * recorded:.1f}% recorded", abs(share - recorded) <= p["tolerance"])


def check_payment_quarters(case: Case, p: dict) -> Outcome:
    """How many settlements pay outcome money: agree if the model's median equals ``recorded``.
    Params: ``recorded``."""
    r = case.run()
    counts = (r.arrays["cohort_pbr"][:, 0, :] > 0.0).sum(axis=1)
    last = np.array([np.flatnonzero(row > 0.0).max(initial=-1) + 1 for row in r.arrays["cohort_pbr"][:, 0, :]])
    return Outcome(f"{np.median(counts):g} quarters with a payment (median; the last in quarter {np.median(last):g} "
                   f"of {r.arrays['cohort_pbr'].shape[2]}) vs {p['recorded']} recorded", np.median(counts) == p["recorded"])


def check_funders_loss(case: Case, p: dict) -> Outcome:
    """In the simulations with no outcome payment, the funders lose their whole outlay: agree if
    that loss is within 1% of ``principal_gbp``. Params: ``investor``, ``principal_gbp``."""
    r = case.run()
    none = event(r, "no_outcome_payment")
    j = _party(r, p["investor"])
    loss = -(r.arrays["fee_total"][none, j] + r.arrays["pbr_total"][none, j])
    prob, share = float(none.mean()), loss.mean() / p["principal_gbp"]
    text = (f"no outcome payment in {fmt_p(prob, prob_se(prob, len(none)))} of simulations; there the funders "
            f"lose {p.get('currency', 'GBP')} {loss.mean():,.0f} ({100 * share:.1f}% of the principal)")
    return Outcome(text, bool(none.sum() >= 20 and np.allclose(loss, p["principal_gbp"], rtol=0.01)))


CHECKS = {
    "binomial_power": check_binomial_power,
    "effect_threshold": check_effect_threshold,
    "smaller_fares_worse": check_smaller_fares_worse,
    "probability": check_probability,
    "shortfall_raises": check_shortfall_raises,
    "cohort_result": check_cohort_result,
    "pooled_result": check_pooled_result,
    "investor_return": check_investor_return,
    "cap_share": check_cap_share,
    "payment_quarters": check_payment_quarters,
    "funders_loss": check_funders_loss,
}
