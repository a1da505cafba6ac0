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
    mean, se = means_se(np.asarray(x)[None, :])
    return float(mean[0]), float(se[0])


def probability(flags: np.ndarray) -> tuple[float, float]:
    """Share of simulations where ``flags`` holds, with its binomial standard error."""
    p, se = probabilities(np.asarray(flags)[None, :])
    return float(p[0]), float(se[0])


def cvar(x: np.ndarray, tail: float = TAIL) -> float:
    """Mean of the worst ``tail`` share of values (lowest first); at least one value."""
    return float(cvars(np.asarray(x)[None, :], tail)[0])


def batch_se(statistic, x: np.ndarray, n_batches: int = N_BATCHES) -> float:
    """Standard error of ``statistic(x)`` by batch means; nan when batches would be tiny."""
    if len(x) < n_batches * 20:
        return float("nan")
    values = [statistic(b) for b in np.array_split(x, n_batches)]
    return float(np.std(values, ddof=1) / math.sqrt(n_batches))


def distribution(x: np.ndarray) -> dict:
    """Mean with standard error, and the 5th, 50th and 95th percentiles."""
    return distributions(np.asarray(x)[None, :])[0]


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
    return parties_metrics(*(np.asarray(x)[:, None] for x in (npv, peak_funding, lowest_headroom, fee_total,
                                                               pbr_total, cost_total, first_pbr_month)))[0]


def parties_metrics(npv, peak_funding, lowest_headroom, fee_total, pbr_total, cost_total, first_pbr_month) -> list[dict]:
    """:func:`party_metrics` of every party at once: each argument is sims x parties.

    Each figure is what the one-party formula gives, bit for bit: each array is copied a party
    to a row (into one reused array per dtype: a process meets fresh memory slowly on this machine), so
    that means and spreads are summed along a row as numpy sums a party's column; percentiles
    and the CVaR's tail are order statistics, the percentiles taken last (they reorder the
    row). A national run's 63 parties: 43 ms against 82 ms party by party.
    """
    buffers: dict[np.dtype, np.ndarray] = {}  # one per dtype: a party's figures are taken in its array's own dtype

    def by_party(x: np.ndarray) -> np.ndarray:
        if x.dtype not in buffers:
            buffers[x.dtype] = np.empty(x.shape[::-1], x.dtype)
        np.copyto(buffers[x.dtype], x.T)
        return buffers[x.dtype]

    n = npv.shape[0]
    fee, pbr, cost = (by_party(x).mean(axis=1) for x in (fee_total, pbr_total, cost_total))
    revenue = fee + pbr
    exhausted, exhausted_se = probabilities(by_party(lowest_headroom) < 0.0)
    peaks = by_party(peak_funding)
    peak_mean, peak_se = means_se(peaks)
    peak_p95 = np.percentile(peaks, 95, axis=1, overwrite_input=True)
    rows = by_party(npv)
    loss, loss_se = probabilities(rows < 0.0)
    tail, tail_se = cvars(rows), batch_cvar_se(rows) if n >= N_BATCHES * 20 else np.full(len(rows), np.nan)
    npv_dist = distributions(rows, overwrite=True)
    blocks = []
    for p in range(len(rows)):
        paid = first_pbr_month[:, p][first_pbr_month[:, p] >= 0]
        blocks.append({
            "npv_gbp": npv_dist[p],
            "prob_loss": float(loss[p]),
            "prob_loss_se": float(loss_se[p]),
            "cvar_5_gbp": float(tail[p]),
            "cvar_5_se_gbp": _clean(float(tail_se[p])),
            "peak_funding_gbp": {"mean": float(peak_mean[p]), "se_mean": float(peak_se[p]), "p95": float(peak_p95[p])},
            "prob_reserves_exhausted": float(exhausted[p]),
            "prob_reserves_exhausted_se": float(exhausted_se[p]),
            "pbr_share_of_revenue": float(pbr[p] / revenue[p]) if revenue[p] > 0 else None,
            "first_pbr_cash_month": int(paid.min()) if len(paid) else None,
            "first_pbr_cash_month_median": float(np.median(paid)) if len(paid) else None,
            "revenue_gbp": {"mean": float(revenue[p]), "fee_mean": float(fee[p]), "pbr_mean": float(pbr[p])},
            "cost_gbp": {"mean": float(cost[p])},
        })
    return blocks


def means_se(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`mean_se` of each row of ``x`` (rows x sims)."""
    n = x.shape[1]
    if n < 2:
        return x.mean(axis=1), np.full(len(x), np.nan)
    return x.mean(axis=1), x.std(axis=1, ddof=1) / math.sqrt(n)


def probabilities(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`probability` of each row of ``flags`` (rows x sims)."""
    p = flags.mean(axis=1)
    return p, np.sqrt(p * (1.0 - p) / flags.shape[1])


def distributions(x: np.ndarray, *, overwrite: bool = False) -> list[dict]:
    """:func:`distribution` of each row of ``x`` (rows x sims); ``overwrite``: ``x`` may be reordered (no copy)."""
    mean, se = means_se(x)
    q = np.percentile(x, [5, 50, 95], axis=1, overwrite_input=overwrite)
    return [{"mean": float(mean[i]), "se_mean": float(se[i]), "p5": float(q[0, i]), "p50": float(q[1, i]),
             "p95": float(q[2, i])} for i in range(len(x))]


def cvars(x: np.ndarray, tail: float = TAIL) -> np.ndarray:
    """:func:`cvar` of each row of ``x`` (rows x sims)."""
    k = max(1, math.ceil(tail * x.shape[1]))
    return np.partition(x, k - 1, axis=1)[:, :k].mean(axis=1)


def batch_cvar_se(x: np.ndarray, n_batches: int = N_BATCHES) -> np.ndarray:
    """``batch_se(cvar, row)`` of each row of ``x`` (rows x sims), for rows of at least ``n_batches * 20``."""
    values = np.stack([cvars(b) for b in np.array_split(x, n_batches, axis=1)], axis=1)
    return values.astype(np.float64).std(axis=1, ddof=1) / math.sqrt(n_batches)  # batch_se's list of floats


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
    p, se = ratio_means(np.asarray(y)[None, :], np.asarray(w)[None, :])
    return float(p[0]), float(se[0])


def ratio_means(y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`ratio_mean` of each row of ``y`` and ``w`` (rows x sims): nan for a row whose weights sum to 0."""
    total = w.sum(axis=1)
    n = y.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        p = y.sum(axis=1) / total
        se = np.sqrt(n / (n - 1) * np.sum((y - p[:, None] * w) ** 2, axis=1)) / total if n >= 2 else np.full(len(y), np.nan)
    empty = total == 0
    return np.where(empty, np.nan, p), np.where(empty, np.nan, se)


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
    everywhere = valid.size > 0 and bool(valid.all())  # no empty cohort (a national run)
    values = {"size": cohort_n, "binary": cohort_binary, "frequency": cohort_frequency, "base_binary": base_binary,
              "base_frequency": base_frequency, "paid": cohort_pbr > 0, "deducted": cohort_pbr < 0, "pbr": cohort_pbr,
              "met": cohort_met}
    cells = None  # as np.where(valid, v, 0.0) without its 0.1 s per array (empty cohorts stay 0)
    means = {}
    weights = np.ascontiguousarray(valid.sum(axis=2).astype(float).T)  # areas x sims
    for k, v in values.items():
        if v is None:
            continue
        if everywhere and v.dtype == np.float64 and v.flags.c_contiguous:  # the sums of the copy, without it
            sums = v.sum(axis=2)
        elif everywhere and v.dtype.kind in "biu":  # counts and flags: whole numbers, summed exactly in any order
            sums = v.sum(axis=2, dtype=float)
        else:
            cells = np.zeros(valid.shape) if cells is None else cells
            np.copyto(cells, v, where=valid)
            sums = cells.sum(axis=2)
        means[k] = ratio_means(np.ascontiguousarray(sums.T), weights)
    n_areas = cohort_n.shape[1]
    if everywhere:  # each area's cohorts copied into one reused row, partitioned in place: the same order statistics
        row, q = np.empty(cohort_pbr.shape[::2], cohort_pbr.dtype), []
        for i in range(n_areas):
            np.copyto(row, cohort_pbr[:, i])
            q.append(np.percentile(row.reshape(-1), [5, 50, 95], overwrite_input=True))
    else:
        q = [np.percentile(x, [5, 50, 95]) if x.size else (np.nan,) * 3
             for x in (cohort_pbr[:, i][valid[:, i]] for i in range(n_areas))]
    return [_one_area({k: (float(p[i]), float(se[i])) for k, (p, se) in means.items()}, q[i],
                      None if pooled_pbr is None else pooled_pbr[:, i])
            for i in range(n_areas)]


def _one_area(means: dict, pbr_q, pooled_pbr) -> dict:
    """One area's block of summary.json from its clustered means and its valid cohorts' PbR percentiles."""
    p5, p50, p95 = pbr_q
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
