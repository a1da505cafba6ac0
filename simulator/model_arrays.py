"""A scenario turned into flat arrays, once, for the compiled kernels.

Index conventions: ``a`` area, ``g`` segment (padded to the largest area), ``c`` cohort,
``m`` month from contract start, ``y`` contract year, ``p`` party (per area: prime,
subcontractors, investors). Party kinds: 0 prime, 1 subcontractor, 2 investor.
Financing codes: 0 plain PbR, 1 upfront with clawback, 2 investor-funded.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import NamedTuple

import numpy as np

from .scenario import Area, Scenario
from .timeline import Calendar, build_calendar

PRIME, SUBCONTRACTOR, INVESTOR = 0, 1, 2
FINANCING_CODES = {"pbr": 0, "upfront_clawback": 1, "investor": 2}


class ModelArrays(NamedTuple):
    # calendar
    n_months: int
    term: int
    bedding_in: int
    ffs_lag: int
    cohort_start: np.ndarray
    cohort_len: np.ndarray
    cohort_pay: np.ndarray
    month_cohort: np.ndarray
    month_year: np.ndarray
    year_end_month: np.ndarray
    discount: np.ndarray
    # shared uncertainty (percentage points)
    shock_mean: float
    shock_sd: float
    trend_per_year: float
    cohort_shock_sd: float
    effect: np.ndarray  # (2, 3): binary points, frequency relative; (kind, a, b)
    # segments (A, G)
    n_segments: np.ndarray
    seg_share: np.ndarray
    seg_rate: np.ndarray
    seg_mu: np.ndarray
    seg_alpha: np.ndarray
    seg_spread: np.ndarray  # logit-scale sd of personal risk (individual mode)
    # volume and baseline (A,)
    vol_contracted: np.ndarray
    vol_factor_mean: np.ndarray
    vol_factor_sd: np.ndarray
    vol_noise_sd: np.ndarray
    period_len: int
    base_n: np.ndarray
    stretch: np.ndarray
    # fee for service and foundation (A,)
    ffs_monthly: np.ndarray
    ffs_band_rate: np.ndarray
    learning: np.ndarray
    band: np.ndarray
    band_to_actual: np.ndarray
    foundation: np.ndarray
    # PbR (A,) and pot (A, Y)
    z_crit: np.ndarray
    bin_target: np.ndarray
    freq_target: np.ndarray
    bin_rate: np.ndarray
    bin_ded: np.ndarray
    freq_rate: np.ndarray
    freq_ded: np.ndarray
    freq_per_reoffender: np.ndarray
    hurdle: np.ndarray
    deductions: np.ndarray
    cap_per_offender: np.ndarray
    collar_per_offender: np.ndarray
    pot_year: np.ndarray
    rate_scale_year: np.ndarray
    # parties (P,)
    party_area: np.ndarray
    party_kind: np.ndarray
    area_prime: np.ndarray
    area_stop: np.ndarray  # one past the area's last party: an area's parties are contiguous
    reserves: np.ndarray
    credit_line: np.ndarray
    overdraft_monthly: np.ndarray
    fixed_cost: np.ndarray
    case_cost: np.ndarray  # (P, G)
    caseload_share: np.ndarray
    fee_pass: np.ndarray
    mgmt_fee: np.ndarray
    upside_share: np.ndarray
    deduction_share: np.ndarray
    upfront_share: np.ndarray
    financing: np.ndarray
    clawback_share: np.ndarray
    investor_of: np.ndarray
    margin: np.ndarray
    cap_multiple: np.ndarray


def _area_party_rows(area: Area) -> list[dict]:
    """One dict per party of an area, in kernel order."""
    chain = area.supply_chain
    seg_names = [s.name for s in area.segments]
    rows = []
    subs = chain.subcontractors
    n_parties = 1 + len(subs)

    def costs(party) -> list[float]:
        return [party.cost_per_case_gbp.get(s.name, s.cost_per_case_gbp) for s in area.segments]

    rows.append(dict(kind=PRIME, party=chain.prime, share=1.0 - sum(s.caseload_share for s in subs), costs=costs(chain.prime)))
    investor_rows = []
    for s in subs:
        row = dict(kind=SUBCONTRACTOR, party=s, share=s.caseload_share, costs=costs(s), investor_of=-1)
        if s.investor is not None:
            row["investor_of"] = n_parties + len(investor_rows)
            investor_rows.append(dict(kind=INVESTOR, party=s.investor, share=0.0, costs=[0.0] * len(seg_names)))
        rows.append(row)
    return rows + investor_rows


def build_model_arrays(scenario: Scenario) -> tuple[ModelArrays, Calendar]:
    """Flatten a validated scenario into :class:`ModelArrays` (plus its calendar)."""
    t = scenario.timeline
    cal = build_calendar(t)
    areas = scenario.areas
    n_a, n_g, n_y = len(areas), max(len(a.segments) for a in areas), cal.n_years

    def per_area(fn, dtype=np.float64):
        return np.array([fn(a) for a in areas], dtype=dtype)

    def seg_table(attr):
        table = np.zeros((n_a, n_g))
        for i, a in enumerate(areas):
            table[i, : len(a.segments)] = [getattr(s, attr) for s in a.segments]
        return table

    ffs_monthly = np.zeros(n_a)
    band_rate = np.zeros(n_a)
    pot_year = np.full((n_a, n_y), np.inf)
    scale_year = np.ones((n_a, n_y))
    for i, a in enumerate(areas):
        ffs = a.payment.fee_for_service
        contracted = a.volume.contracted_cases_per_month
        if ffs.basis == "per_case":
            ffs_monthly[i], band_rate[i] = ffs.rate_gbp * contracted, ffs.rate_gbp
        else:
            ffs_monthly[i], band_rate[i] = ffs.rate_gbp, ffs.rate_gbp / contracted
        pbr = a.payment.pbr
        if pbr.maximum_annual_payment_gbp is not None:
            months_in_year = np.bincount(cal.month_year, minlength=n_y)
            yearly_ffs = ffs_monthly[i] * (1.0 - ffs.learning_curve_discount) ** np.arange(n_y) * months_in_year
            pot = np.maximum(pbr.maximum_annual_payment_gbp * months_in_year / 12.0 - yearly_ffs, 0.0)
            pot_year[i] = pot * 12.0 / months_in_year
            if pbr.scale_rates_with_pot:
                scale_year[i] = pot_year[i] / pbr.rates_reference_pot_gbp

    rows, party_area, area_prime = [], [], []
    for i, a in enumerate(areas):
        area_prime.append(len(rows))
        area_rows = _area_party_rows(a)
        for r in area_rows:
            if r.get("investor_of", -1) >= 0:
                r["investor_of"] += len(rows)
        rows.extend(area_rows)
        party_area.extend([i] * len(area_rows))

    def party_col(fn, dtype=np.float64):
        return np.array([fn(r) for r in rows], dtype=dtype)

    def sub_attr(name, default):
        return party_col(lambda r: getattr(r["party"], name) if r["kind"] == SUBCONTRACTOR else default)

    def inv_attr(name, default):
        return party_col(lambda r: getattr(r["party"], name) if r["kind"] == INVESTOR else default)

    case_cost = np.zeros((len(rows), n_g))
    for j, r in enumerate(rows):
        case_cost[j, : len(r["costs"])] = r["costs"]

    pbrs = [a.payment.pbr for a in areas]
    months = np.arange(cal.horizon_months)
    arrays = ModelArrays(
        n_months=cal.horizon_months,
        term=t.term_months,
        bedding_in=t.bedding_in_months,
        ffs_lag=t.ffs_payment_lag_months,
        cohort_start=cal.cohort_start,
        cohort_len=cal.cohort_end - cal.cohort_start,
        cohort_pay=cal.cohort_pay_month,
        month_cohort=cal.month_cohort,
        month_year=cal.month_year,
        year_end_month=cal.year_end_reconcile_month,
        discount=(1.0 + scenario.money.discount_rate_annual) ** (-months / 12.0),
        shock_mean=scenario.uncertainty.common_shock_points_mean,
        shock_sd=scenario.uncertainty.common_shock_points_sd,
        trend_per_year=scenario.uncertainty.trend_points_per_year,
        cohort_shock_sd=scenario.uncertainty.cohort_shock_points_sd,
        effect=np.array([scenario.effect.binary_points.params(), scenario.effect.frequency_relative.params()], dtype=np.float64),
        n_segments=per_area(lambda a: len(a.segments), np.int64),
        seg_share=seg_table("share"),
        seg_rate=seg_table("binary_rate"),
        seg_mu=seg_table("reoffences_per_reoffender"),
        seg_alpha=seg_table("overdispersion"),
        seg_spread=seg_table("risk_spread_logit_sd"),
        vol_contracted=per_area(lambda a: a.volume.contracted_cases_per_month),
        vol_factor_mean=per_area(lambda a: a.volume.factor_mean),
        vol_factor_sd=per_area(lambda a: a.volume.factor_sd),
        vol_noise_sd=per_area(lambda a: a.volume.period_noise_sd),
        period_len=t.cohort_period_months,
        base_n=per_area(lambda a: a.baseline.estimation_cohort_size, np.int64),
        stretch=per_area(lambda a: a.baseline.stretch_per_year),
        ffs_monthly=ffs_monthly,
        ffs_band_rate=band_rate,
        learning=per_area(lambda a: a.payment.fee_for_service.learning_curve_discount),
        band=per_area(lambda a: a.payment.fee_for_service.volume_band),
        band_to_actual=per_area(lambda a: a.payment.fee_for_service.band_reconcile_to == "actual", np.bool_),
        foundation=per_area(lambda a: a.payment.foundation.monthly_gbp),
        z_crit=np.array([NormalDist().inv_cdf(1.0 - p.significance_level) if p.trigger == "significant" else 0.0
                         for p in pbrs]),
        bin_target=np.array([p.binary_target_points / 100.0 if p.trigger == "target" else 0.0 for p in pbrs]),
        freq_target=np.array([p.frequency_target_relative if p.trigger == "target" else 0.0 for p in pbrs]),
        bin_rate=np.array([p.binary_gbp_per_point_per_offender for p in pbrs]),
        bin_ded=np.array([_or(p.binary_deduction_gbp_per_point_per_offender, p.binary_gbp_per_point_per_offender) for p in pbrs]),
        freq_rate=np.array([p.frequency_gbp_per_reoffence for p in pbrs]),
        freq_ded=np.array([_or(p.frequency_deduction_gbp_per_reoffence, p.frequency_gbp_per_reoffence) for p in pbrs]),
        freq_per_reoffender=np.array([p.frequency_basis == "reoffender" for p in pbrs], dtype=np.bool_),
        hurdle=np.array([p.binary_hurdle for p in pbrs], dtype=np.bool_),
        deductions=np.array([p.deductions for p in pbrs], dtype=np.bool_),
        cap_per_offender=np.array([_or(p.cap_gbp_per_offender, np.inf) for p in pbrs]),
        collar_per_offender=np.array([_or(p.collar_gbp_per_offender, np.inf) for p in pbrs]),
        pot_year=pot_year,
        rate_scale_year=scale_year,
        party_area=np.array(party_area, dtype=np.int64),
        party_kind=party_col(lambda r: r["kind"], np.int64),
        area_prime=np.array(area_prime, dtype=np.int64),
        area_stop=np.array(area_prime[1:] + [len(rows)], dtype=np.int64),
        reserves=party_col(lambda r: r["party"].reserves_gbp),
        credit_line=party_col(lambda r: r["party"].credit_line_gbp),
        overdraft_monthly=party_col(lambda r: r["party"].overdraft_rate / 12.0),
        fixed_cost=party_col(lambda r: getattr(r["party"], "fixed_cost_per_month_gbp", 0.0)),
        case_cost=case_cost,
        caseload_share=party_col(lambda r: r["share"]),
        fee_pass=sub_attr("fee_share_passed", 0.0),
        mgmt_fee=sub_attr("management_fee", 0.0),
        upside_share=sub_attr("pbr_upside_share", 0.0),
        deduction_share=sub_attr("deduction_share", 0.0),
        upfront_share=sub_attr("upfront_share", 1.0),
        financing=party_col(lambda r: FINANCING_CODES[r["party"].financing] if r["kind"] == SUBCONTRACTOR else -1, np.int64),
        clawback_share=sub_attr("clawback_share", 0.0),
        investor_of=party_col(lambda r: r.get("investor_of", -1), np.int64),
        margin=inv_attr("provider_margin", 0.0),
        cap_multiple=inv_attr("return_cap_multiple", 0.0),
    )
    return arrays, cal


def _or(value, default):
    return default if value is None else value
