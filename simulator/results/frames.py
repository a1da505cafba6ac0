"""Results as labelled arrays (xarray) and tidy tables (pandas), for researchers in Jupyter.

xarray gives the arrays named dimensions (``simulation``, ``party``, ``month``, ``area``,
``cohort``), so ``ds.npv.sel(party="small_charity").mean("simulation")`` says what it means;
the pandas tables are long ("tidy"): one row per observation, ready for groupby and plots.
Both are imported only when asked for. Functions take a :class:`~simulator.results.Results`
(not imported: its methods ``to_xarray()`` ... call into this module).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..scenario.dates import contract_year, financial_year, month_dates
from .cash import party_reserves

PER_PARTY = ("npv", "peak_funding", "lowest_headroom", "fee_total", "pbr_total", "cost_total", "first_pbr_month")
PER_COHORT = ("cohort_n", "cohort_binary", "cohort_frequency", "cohort_base_binary", "cohort_base_frequency",
              "cohort_pbr")
MONTHLY = {"monthly_net": "net", "monthly_fee": "fee", "monthly_pbr": "pbr", "monthly_cost": "cost"}


def flatten_metrics(block: Mapping, prefix: str = "") -> dict[str, Any]:
    """``{'npv_gbp': {'mean': 1}}`` -> ``{'npv_gbp_mean': 1}``."""
    flat: dict[str, Any] = {}
    for key, value in block.items():
        name = f"{prefix}_{key}" if prefix else key
        if isinstance(value, Mapping):
            flat.update(flatten_metrics(value, name))
        else:
            flat[name] = value
    return flat


def _month_coords(results, n_months: int) -> dict[str, Any]:
    months = np.arange(n_months)
    coords: dict[str, Any] = {"month": months, "contract_year": ("month", [contract_year(m) for m in months])}
    start = results.scenario.timeline.start_date
    if start is not None:
        coords["date"] = ("month", month_dates(start, n_months))
        coords["financial_year"] = ("month", [financial_year(start, m) for m in months])
    return coords


def to_xarray(results):
    """An ``xarray.Dataset`` of every per-simulation array, with named dimensions and coordinates.

    Money in GBP. Monthly variables (``monthly_net`` ...) are present only when the run kept them.
    """
    import xarray as xr

    a = results.arrays
    n_months = a["commissioner_paid"].shape[1]
    data = {k: (("simulation", "party"), a[k]) for k in PER_PARTY}
    data.update({k: (("simulation", "area", "cohort"), a[k]) for k in PER_COHORT})
    data.update({k: (("simulation", "month"), a[k]) for k in ("commissioner_paid",)})
    data.update({k: ("simulation", a[k]) for k in ("commissioner_total", "commissioner_npv", "effect_binary_points",
                                                    "effect_frequency_relative")})
    data.update({k: (("simulation", "party", "month"), a[k]) for k in MONTHLY if a[k].shape[0] == results.sims})
    reserves, credit = party_reserves(results)
    coords = {
        "simulation": np.arange(results.sims), "party": results.party_names, "area": results.area_names,
        "cohort": np.arange(len(results.cohort_start_month)),
        "cohort_start_month": ("cohort", results.cohort_start_month),
        "cohort_pay_month": ("cohort", results.cohort_pay_month),
        "reserves_gbp": ("party", reserves), "credit_line_gbp": ("party", credit),
        **_month_coords(results, n_months),
    }
    attrs = {"scenario": results.scenario.name, "mode": results.scenario.simulation.mode, "sims": results.sims,
             **{k: ("" if v is None else v) for k, v in results.provenance().items()}}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def summary_frame(results):
    """One row per party: every summary.json metric as a column (``npv_gbp_mean``, ``prob_loss_se`` ...)."""
    import pandas as pd

    summary = results.summary()
    rows = [{"party": name, **flatten_metrics(block)} for name, block in summary["parties"].items()]
    frame = pd.DataFrame(rows)
    frame.attrs.update(scenario=summary["scenario"], mode=summary["mode"], sims=results.sims, seed=results.seed)
    return frame


def monthly_frame(results, *, party: str | None = None):
    """One row per (simulation, party, month): net, fee, PbR and cost cash flows and the cash position (GBP).

    ``party`` keeps one party (a national run has millions of rows otherwise). Raises
    ``ValueError`` when the run kept no monthly cash flows.
    """
    import pandas as pd

    if not results.has_monthly:
        raise ValueError("this run kept no monthly cash flows (it was run with --no-monthly)")
    idx = list(range(len(results.party_names))) if party is None else [results.party_index(party)]
    net = results.arrays["monthly_net"][:, idx, :]
    sims, parties, months = net.shape
    reserves, _ = party_reserves(results)
    columns = {
        "simulation": np.repeat(np.arange(sims), parties * months),
        "party": np.tile(np.repeat(np.array(results.party_names, dtype=object)[idx], months), sims),
        "month": np.tile(np.arange(months), sims * parties),
    }
    for key, name in MONTHLY.items():
        if results.arrays[key].shape[0] == results.sims:
            columns[f"{name}_gbp"] = results.arrays[key][:, idx, :].ravel()
    columns["cash_gbp"] = (reserves[idx][None, :, None] + np.cumsum(net, axis=2)).ravel()
    frame = pd.DataFrame(columns)
    for name, values in _month_coords(results, months).items():
        if name != "month":
            frame[name] = np.asarray(values[1])[frame["month"].to_numpy()]
    return frame
