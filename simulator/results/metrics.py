"""Risk metrics from simulated values, each with its Monte Carlo standard error.

Standard errors: the analytic one for means and probabilities; batch means (simulations
split into ``N_BATCHES`` contiguous groups, which are independent) for quantile-type
metrics such as CVaR, where no simple formula is honest.
"""

from __future__ import annotations

import math

import numpy as np

N_BATCHES = 20
TAIL = 0.05


def mean_se(x: np.ndarray) -> tuple[float, float]:
    """Sample mean and its standard error (sd / sqrt(n))."""
    n = len(x)
    if n < 2:
        return float(x.mean()), float("nan")
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(n))


def probability(flags: np.ndarray) -> tuple[float, float]:
    """Share of simulations where ``flags`` holds, with its binomial standard error."""
    p = float(np.mean(flags))
    return p, math.sqrt(p * (1.0 - p) / len(flags))


def cvar(x: np.ndarray, tail: float = TAIL) -> float:
    """Mean of the worst ``tail`` share of values (lowest first); at least one value."""
    k = max(1, math.ceil(tail * len(x)))
    return float(np.mean(np.partition(x, k - 1)[:k]))


def batch_se(statistic, x: np.ndarray, n_batches: int = N_BATCHES) -> float:
    """Standard error of ``statistic(x)`` by batch means; nan when batches would be tiny."""
    if len(x) < n_batches * 20:
        return float("nan")
    values = [statistic(b) for b in np.array_split(x, n_batches)]
    return float(np.std(values, ddof=1) / math.sqrt(n_batches))


def distribution(x: np.ndarray) -> dict:
    """Mean with standard error, and the 5th, 50th and 95th percentiles."""
    mean, se = mean_se(x)
    p5, p50, p95 = np.percentile(x, [5, 50, 95])
    return {"mean": mean, "se_mean": se, "p5": float(p5), "p50": float(p50), "p95": float(p95)}


def _clean(value: float) -> float | None:
    return None if value is None or math.isnan(value) else value


def party_metrics(
    npv: np.ndarray,
    peak_funding: np.ndarray,
    lowest_headroom: np.ndarray,
    fee_total: np.ndarray,
    pbr_total: np.ndarray,
    cost_total: np.ndarray,
    first_pbr_month: np.ndarray,
) -> dict:
    """The summary.json block for one party, from its per-simulation values."""
    prob_loss, prob_loss_se = probability(npv < 0.0)
    exhausted, exhausted_se = probability(lowest_headroom < 0.0)
    peak_mean, peak_se = mean_se(peak_funding)
    revenue = fee_total.mean() + pbr_total.mean()
    paid = first_pbr_month[first_pbr_month >= 0]
    return {
        "npv_gbp": distribution(npv),
        "prob_loss": prob_loss,
        "prob_loss_se": prob_loss_se,
        "cvar_5_gbp": cvar(npv),
        "cvar_5_se_gbp": _clean(batch_se(cvar, npv)),
        "peak_funding_gbp": {
            "mean": peak_mean,
            "se_mean": peak_se,
            "p95": float(np.percentile(peak_funding, 95)),
        },
        "prob_reserves_exhausted": exhausted,
        "prob_reserves_exhausted_se": exhausted_se,
        "pbr_share_of_revenue": float(pbr_total.mean() / revenue) if revenue > 0 else None,
        "first_pbr_cash_month": int(paid.min()) if len(paid) else None,
        "first_pbr_cash_month_median": float(np.median(paid)) if len(paid) else None,
        "revenue_gbp": {"mean": float(revenue), "fee_mean": float(fee_total.mean()), "pbr_mean": float(pbr_total.mean())},
        "cost_gbp": {"mean": float(cost_total.mean())},
    }


def clustered_mean(values: np.ndarray, valid: np.ndarray) -> tuple[float, float]:
    """Mean over valid cells of a (sims x cells) array, with a standard error that treats the
    simulation as the independent unit (cells of one simulation share its shocks).

    Ratio estimator: p = sum(y_s) / sum(w_s) with y_s, w_s the row sums; its s.e. comes from
    the spread of y_s - p w_s across simulations.
    """
    y = np.where(valid, values, 0.0).sum(axis=1)
    return ratio_mean(y, valid.sum(axis=1).astype(float))


def ratio_mean(y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """sum(y) / sum(w) over simulations, with the s.e. of a ratio estimator (sims independent)."""
    total = w.sum()
    if total == 0:
        return float("nan"), float("nan")
    p = y.sum() / total
    n = len(y)
    if n < 2:
        return float(p), float("nan")
    return float(p), float(np.sqrt(n / (n - 1) * np.sum((y - p * w) ** 2)) / total)


def area_metrics(cohort_n, cohort_binary, cohort_frequency, base_binary, base_frequency, cohort_pbr, cohort_met=None,
                 pooled_pbr=None) -> list[dict]:
    """Per area: cohort outcomes and the chance a cohort is paid or deducted (a power-curve point).

    Arrays are sims x areas x cohorts (``pooled_pbr``: sims x areas); empty cohorts (no
    offenders) are left out. Standard errors are clustered by simulation (see
    :func:`clustered_mean`; the row sums of every area are taken in one pass into one reused
    array, with the same sums as area by area). ``cohort_met`` (the cohort met its target, whatever it
    was paid) and ``pooled_pbr`` (a pooled trigger's top-up, per simulation) may be absent in
    results saved by older versions.
    """
    valid = cohort_n > 0
    values = {"size": cohort_n, "binary": cohort_binary, "frequency": cohort_frequency, "base_binary": base_binary,
              "base_frequency": base_frequency, "paid": cohort_pbr > 0, "deducted": cohort_pbr < 0, "pbr": cohort_pbr,
              "met": cohort_met}
    cells = np.zeros(valid.shape)  # empty cohorts stay 0; as np.where(valid, v, 0.0) but without its 0.1 s per array
    sums = {}
    for k, v in values.items():
        if v is not None:
            np.copyto(cells, v, where=valid)
            sums[k] = cells.sum(axis=2)
    weights = valid.sum(axis=2).astype(float)
    return [_one_area({k: ratio_mean(np.ascontiguousarray(y[:, i]), np.ascontiguousarray(weights[:, i]))
                       for k, y in sums.items()},
                      cohort_pbr[:, i][valid[:, i]], None if pooled_pbr is None else pooled_pbr[:, i])
            for i in range(cohort_n.shape[1])]


def _one_area(means: dict, pooled: np.ndarray, pooled_pbr) -> dict:
    """One area's block of summary.json from its clustered means and its valid cohorts' PbR."""
    p5, p50, p95 = np.percentile(pooled, [5, 50, 95]) if pooled.size else (np.nan,) * 3
    out = {
        "mean_cohort_size": means["size"][0],
        "binary_rate": {"mean": means["binary"][0], "baseline_mean": means["base_binary"][0]},
        "frequency_per_offender": {"mean": means["frequency"][0], "baseline_mean": means["base_frequency"][0]},
        "prob_cohort_paid": means["paid"][0],
        "prob_cohort_paid_se": means["paid"][1],
        "prob_cohort_deducted": means["deducted"][0],
        "prob_cohort_deducted_se": means["deducted"][1],
        "cohort_pbr_gbp": {"mean": means["pbr"][0], "se_mean": means["pbr"][1], "p5": float(p5), "p50": float(p50),
                           "p95": float(p95)},
    }
    if "met" in means:
        out["prob_cohort_met"], out["prob_cohort_met_se"] = means["met"]
    if pooled_pbr is not None and np.any(pooled_pbr != 0.0):
        out["prob_pooled_paid"], out["prob_pooled_paid_se"] = probability(pooled_pbr > 0.0)
        out["pooled_pbr_gbp"] = distribution(pooled_pbr)
    return out


def finite_or_none(tree):
    """A copy of a nested dict/list with NaN and infinities replaced by None (valid JSON)."""
    if isinstance(tree, dict):
        return {k: finite_or_none(v) for k, v in tree.items()}
    if isinstance(tree, list | tuple):
        return [finite_or_none(v) for v in tree]
    if isinstance(tree, float) and not math.isfinite(tree):
        return None
    return tree
