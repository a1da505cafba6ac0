"""Figures of a run's risk: one function per figure, each taking Results and an optional ``ax``.

Every function returns the axes it drew on. Without ``ax`` it draws on a new
:class:`matplotlib.figure.Figure` with an Agg canvas (no pyplot, no GUI, no global state).
Figures are legible in greyscale: bands are grey levels, lines differ by style, areas by
hatching. Money is GBP, time is months from contract start. ``party=None`` means the whole
scenario (all parties combined, or the commissioner's view where that is what makes sense).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from ..results import Results
from .figures import (
    BAND_OUTER,
    FORMATS,
    GBP,
    HORIZONTAL,
    PLOT_DIR,
    NoMonthlyData,
    dated_months,
    fan,
    finish_gbp_histogram,
    finish_money_by_month,
    gbp_tick,
    mark_pay_months,
    month_axis,
    monthly,
    new_axes,
    party_reserves,
    save_figure,
    who,
)

# ---------------------------------------------------------------- cash position


def cash_fan(results: Results, party: str | None = None, *, ax: Axes | None = None) -> Axes:
    """Fan chart of cumulative cash position: reserves + cumulative net cash flow (GBP) by month."""
    net = monthly(results, "monthly_net")
    idx, label = who(results, party)
    reserves, credit = (x[idx].sum() for x in party_reserves(results))
    cash = reserves + np.cumsum(net[:, idx, :].sum(axis=1), axis=1)
    ax = ax or new_axes()
    months = np.arange(cash.shape[1])
    fan(ax, months, cash)
    ax.axhline(reserves, color="black", ls="--", lw=1.1, label=f"reserves at start ({gbp_tick(reserves)})")
    ax.axhline(0.0, color="black", ls=":", lw=1.3, label="reserves used up")
    if credit > 0:
        ax.axhline(-credit, color="black", ls="-.", lw=1.1, label=f"credit line used up ({gbp_tick(-credit)})")
    mark_pay_months(ax, results)
    finish_money_by_month(ax, ylabel="cash position (GBP)", title=f"Cash position over the contract: {label}")
    return dated_months(ax, results)


def commissioner_outlay(results: Results, *, ax: Axes | None = None) -> Axes:
    """Fan chart of the commissioner's cumulative payments (GBP, undiscounted) by month."""
    paid = np.cumsum(results.arrays["commissioner_paid"], axis=1)
    ax = ax or new_axes()
    fan(ax, np.arange(paid.shape[1]), paid)
    mark_pay_months(ax, results)
    finish_money_by_month(ax, ylabel="cumulative payments (GBP)",
                          title="Commissioner: cumulative outlay (fee for service + PbR)", legend_loc="upper left")
    return dated_months(ax, results)


# ---------------------------------------------------------------- NPV


def _npv(results: Results, party: str | None) -> tuple[np.ndarray, str]:
    idx, label = who(results, party)
    return results.arrays["npv"][:, idx].sum(axis=1), label


def npv_distribution(results: Results, party: str | None = None, *, ax: Axes | None = None) -> Axes:
    """Histogram of NPV (GBP) with the loss region (NPV < 0) shaded and hatched."""
    npv, label = _npv(results, party)
    ax = ax or new_axes()
    ax.hist(npv, bins=min(60, max(10, results.sims // 25)), color="0.55", edgecolor="white", lw=0.3,
            label="simulations")
    lo, hi = ax.get_xlim()
    if lo < 0:
        ax.axvspan(lo, min(0.0, hi), facecolor="none", edgecolor="0.3", hatch="///", lw=0, zorder=0,
                   label=f"loss: P(NPV < 0) = {np.mean(npv < 0):.1%}")
    ax.set_xlim(lo, hi)
    ax.axvline(npv.mean(), color="black", ls="--", lw=1.3, label=f"mean {gbp_tick(npv.mean())}")
    p5 = np.percentile(npv, 5)
    ax.axvline(p5, color="black", ls=":", lw=1.3, label=f"5th percentile {gbp_tick(p5)}")
    return finish_gbp_histogram(ax, xlabel="net present value over the contract (GBP)",
                                 title=f"NPV distribution: {label}")


def loss_exceedance(results: Results, party: str | None = None, *, ax: Axes | None = None) -> Axes:
    """Exceedance curve: probability that the loss (-NPV, GBP) exceeds each amount."""
    npv, label = _npv(results, party)
    loss = np.sort(-npv)
    prob = 1.0 - np.arange(1, len(loss) + 1) / len(loss)
    ax = ax or new_axes()
    keep = loss >= 0
    if keep.any():
        ax.step(np.r_[0.0, loss[keep]], np.r_[np.mean(loss > 0), prob[keep]], where="post", color="black", lw=1.6,
                label="P(loss > X)")
    else:
        ax.text(0.5, 0.5, "no simulation made a loss", transform=ax.transAxes, ha="center")
    for q, style in ((0.05, "--"), (0.01, ":")):
        ax.axhline(q, color="0.4", ls=style, lw=1, label=f"{q:.0%} chance")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.xaxis.set_major_formatter(GBP)
    ax.set_ylim(0, 1)
    ax.set_xlim(left=0)
    ax.set_xlabel("loss X = -NPV (GBP)")
    ax.set_ylabel("probability the loss exceeds X")
    ax.grid(color="0.9", lw=0.6)
    ax.set_title(f"Loss exceedance: {label}")
    ax.legend(fontsize="small")
    return ax


# ---------------------------------------------------------------- peak funding


def peak_funding(results: Results, party: str | None = None, *, ax: Axes | None = None) -> Axes:
    """Distribution of peak funding (GBP): the most working capital a party must find.

    With ``party=None``, one box per party, with each party's reserves marked.
    """
    ax = ax or new_axes()
    reserves, credit = party_reserves(results)
    peak = results.arrays["peak_funding"]
    if party is None:
        return _peak_boxes(ax, results, peak, reserves)
    p = results.party_index(party)
    ax.hist(peak[:, p], bins=min(60, max(10, results.sims // 25)), color="0.55", edgecolor="white", lw=0.3,
            label="simulations")
    ax.axvline(peak[:, p].mean(), color="black", ls="--", lw=1.3, label=f"mean {gbp_tick(peak[:, p].mean())}")
    p95 = np.percentile(peak[:, p], 95)
    ax.axvline(p95, color="black", ls=":", lw=1.3, label=f"95th percentile {gbp_tick(p95)}")
    ax.axvline(reserves[p], color="black", ls="-.", lw=1.3, label=f"reserves {gbp_tick(reserves[p])}")
    if credit[p] > 0:
        total = reserves[p] + credit[p]
        ax.axvline(total, color="0.4", ls=(0, (5, 1, 1, 1, 1, 1)), lw=1.3,
                   label=f"reserves + credit {gbp_tick(total)}")
    return finish_gbp_histogram(ax, xlabel="peak funding need: lowest cumulative net cash flow, negated (GBP)",
                                 title=f"Peak funding: {party}")


def _peak_boxes(ax: Axes, results: Results, peak: np.ndarray, reserves: np.ndarray) -> Axes:
    names = results.party_names
    pos = np.arange(1, len(names) + 1)
    ax.boxplot([peak[:, i] for i in range(len(names))], positions=pos, **HORIZONTAL, whis=(5, 95), showfliers=False,
               widths=0.5, patch_artist=True, boxprops={"facecolor": "0.8", "hatch": "//"},
               medianprops={"color": "black", "lw": 1.8})
    ax.plot(reserves, pos, ls="none", marker="D", color="black", mfc="white", ms=7, label="reserves")
    ax.set_yticks(pos, names)
    ax.xaxis.set_major_formatter(GBP)
    ax.set_xlabel("peak funding need (GBP); box 25-75%, whiskers 5-95%, line median")
    ax.set_title("Peak funding by party")
    ax.grid(axis="x", color="0.9", lw=0.6)
    ax.legend(fontsize="small")
    return ax


# ---------------------------------------------------------------- PbR against fee for service


def pbr_vs_fee(results: Results, party: str | None = None, *, ax: Axes | None = None) -> Axes:
    """PbR receipts against fee for service over time (GBP).

    For a party: mean money received per month, fee for service as a line and PbR
    (foundation advances, settlements, clawbacks) as hatched bars, with 5-95% whiskers and
    the cohorts settled in each settlement month. With ``party=None``: each cohort's PbR
    (all areas) against the fee for service paid to the prime(s) during its window.
    """
    ax = ax or new_axes()
    if party is None:
        return _pbr_by_cohort(ax, results)
    p = results.party_index(party)
    fee = monthly(results, "monthly_fee")[:, p]
    pbr = monthly(results, "monthly_pbr")[:, p]
    months = np.arange(fee.shape[1])
    ax.bar(months, pbr.mean(axis=0), width=0.9, color="0.8", edgecolor="0.2", hatch="///", lw=0.4,
           label="PbR received (mean)")
    _settlement_whiskers(ax, results, pbr)
    ax.step(months, fee.mean(axis=0), where="mid", color="black", lw=1.6, label="fee for service (mean)")
    ax.axhline(0, color="black", lw=0.6)
    finish_money_by_month(ax, ylabel="received per month (GBP)",
                          title=f"PbR receipts (by cohort settlement, C = cohort) vs fee for service: {party}")
    return dated_months(ax, results)


def _settlement_whiskers(ax: Axes, results: Results, pbr: np.ndarray) -> None:
    """5-95% whiskers on PbR (sims x months) in settlement months, labelled with the cohorts settled."""
    pay = np.unique(results.cohort_pay_month)
    pay = pay[pay < pbr.shape[1]]
    mean = pbr[:, pay].mean(axis=0)
    lo, hi = np.percentile(pbr[:, pay], [5, 95], axis=0)
    ax.errorbar(pay, mean, yerr=[mean - lo, hi - mean], fmt="none", color="black", ecolor="black", capsize=3, lw=1,
                label="PbR 5-95% at settlements")
    for m, top in zip(pay, hi, strict=True):
        ids = np.flatnonzero(results.cohort_pay_month == m) + 1
        ax.annotate(f"C{ids[0]}-{ids[-1]}" if len(ids) > 1 else f"C{ids[0]}", (m, top),
                    textcoords="offset points", xytext=(0, 3), ha="center", fontsize="x-small")


def _pbr_by_cohort(ax: Axes, results: Results) -> Axes:
    cohort = results.arrays["cohort_pbr"].sum(axis=1)
    starts = results.cohort_start_month
    lo, hi = np.percentile(cohort, [5, 95], axis=0)
    mean = cohort.mean(axis=0)
    period = int(np.diff(starts).min()) if len(starts) > 1 else 1
    ax.bar(starts, mean, width=0.8 * period, color="0.8", edgecolor="0.2", hatch="///", lw=0.4,
           label="cohort PbR, all areas (mean)")
    ax.errorbar(starts, mean, yerr=[mean - lo, hi - mean], fmt="none", color="black", ecolor="black", capsize=2, lw=0.9,
                label="cohort PbR 5-95%")
    try:
        fee = monthly(results, "monthly_fee")
        primes = [i for i, n in enumerate(results.party_names) if _is_prime(results, n)]
        prime_fee = fee[:, primes].sum(axis=1).mean(axis=0)
        window = np.array([prime_fee[s:s + period].sum() for s in starts])
        ax.step(starts, window, where="mid", color="black", lw=1.6, label="fee for service in the cohort's window (mean)")
    except NoMonthlyData:
        ax.text(0.99, 0.98, "fee for service not kept (--no-monthly)", transform=ax.transAxes, ha="right", va="top",
                fontsize="small")
    ax.axhline(0, color="black", lw=0.6)
    ax.yaxis.set_major_formatter(GBP)
    ax.set_ylabel(f"GBP per cohort ({period}-month window)")
    month_axis(ax, "cohort start month (from contract start)")
    ax.set_title("PbR by cohort vs fee for service (whole scenario)")
    ax.legend(fontsize="small", loc="best")
    return ax


def _is_prime(results: Results, name: str) -> bool:
    multi = len(results.scenario.areas) > 1
    return any(name == (f"{a.name}." if multi else "") + a.supply_chain.prime.name for a in results.scenario.areas)


# ---------------------------------------------------------------- cohort outcomes

MEASURES = {
    "binary": ("cohort_binary", "cohort_base_binary", "share of the cohort reoffending", True),
    "frequency": ("cohort_frequency", "cohort_base_frequency", "reoffences per offender", False),
}


def cohort_outcomes(results: Results, measure: str = "binary", *, area: int = 0, ax: Axes | None = None) -> Axes:
    """Simulated cohort outcomes (median, 5-95%) against the baseline, before and after its stretch."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {sorted(MEASURES)} (got {measure!r})")
    key, base_key, unit, is_rate = MEASURES[measure]
    a = results.arrays
    valid = a["cohort_n"][:, area, :] > 0
    value = np.where(valid, a[key][:, area, :], np.nan)
    base = np.where(valid, a[base_key][:, area, :], np.nan)
    starts = results.cohort_start_month
    stretch = results.scenario.areas[area].baseline.stretch_per_year
    years = starts // 12
    base_mean = np.nanmean(base, axis=0)
    ax = ax or new_axes()
    lo, mid, hi = np.nanpercentile(value, [5, 50, 95], axis=0)
    ax.fill_between(starts, lo, hi, color=BAND_OUTER, step="mid", lw=0, label="simulated 5-95%")
    ax.step(starts, mid, where="mid", color="black", lw=1.6, label="simulated median")
    ax.plot(starts, base_mean / (1.0 - stretch) ** years, color="black", ls=":", lw=1.4, marker="o", ms=3,
            mfc="white", label="baseline before stretch (mean)")
    ax.plot(starts, base_mean, color="black", ls="--", lw=1.4, label=f"baseline with stretch ({stretch:.1%}/year)")
    if is_rate:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel(unit)
    month_axis(ax, "cohort start month (from contract start)")
    name = results.area_names[area]
    where = f" ({name})" if len(results.area_names) > 1 else ""
    ax.set_title(f"Cohort outcomes{where}: {measure} measure vs baseline")
    ax.legend(fontsize="small")
    return ax


# ---------------------------------------------------------------- the set of figures

SCENARIO_FIGURES = {
    "cash_fan": cash_fan,
    "commissioner_outlay": commissioner_outlay,
    "npv_distribution": npv_distribution,
    "loss_exceedance": loss_exceedance,
    "peak_funding": peak_funding,
    "pbr_vs_fee": pbr_vs_fee,
}
PARTY_FIGURES = {
    "cash_fan": cash_fan,
    "npv_distribution": npv_distribution,
    "loss_exceedance": loss_exceedance,
    "peak_funding": peak_funding,
    "pbr_vs_fee": pbr_vs_fee,
}


def figure_specs(results: Results) -> list[tuple[str, str | None, object]]:
    """(file stem, party or None, drawing function taking (results, ax)) for every figure."""
    specs = [(name, None, lambda r, ax, f=fn: f(r, ax=ax)) for name, fn in SCENARIO_FIGURES.items()]
    multi = len(results.area_names) > 1
    for i, area in enumerate(results.area_names):
        specs += [(f"cohort_{m}_{area}" if multi else f"cohort_{m}", None,
                   lambda r, ax, m=m, i=i: cohort_outcomes(r, m, area=i, ax=ax)) for m in MEASURES]
    for party in results.party_names:
        specs += [(f"{name}_{party}", party, lambda r, ax, f=fn, p=party: f(r, p, ax=ax))
                  for name, fn in PARTY_FIGURES.items()]
    return specs


def plot_files(results: Results) -> list[str]:
    """Paths (relative to the output folder) that :func:`save_plots` writes."""
    return [f"{PLOT_DIR}/{stem}.{ext}" for stem, _, _ in figure_specs(results) for ext in FORMATS]


def save_plots(results: Results, out_dir: str | Path) -> tuple[list[Path], list[str]]:
    """Every figure as PNG and SVG under ``out_dir/plots``; returns (written, skipped reasons)."""
    folder = Path(out_dir) / PLOT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written, skipped = [], []
    for stem, _, draw in figure_specs(results):
        try:
            ax = draw(results, new_axes())
        except NoMonthlyData as exc:
            skipped.append(f"{stem}: {exc}")
            continue
        written += [save_figure(ax, folder / f"{stem}.{ext}") for ext in FORMATS]
    return written, skipped
