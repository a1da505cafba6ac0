"""A scenario turned into flat arrays, once, for the compiled kernels.

The record and its index conventions are defined with the kernels that read it
(:mod:`simulator.kernels.records`); this module fills it from a validated scenario.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from ..kernels.records import CLAWBACK_FIN, INVESTOR, INVESTOR_FIN, PBR_FIN, PRIME, SUBCONTRACTOR, ModelArrays
from ..scenario import Area, Scenario
from .design_arrays import design_fields
from .timeline import Calendar, build_calendar

FINANCING_CODES = {"pbr": PBR_FIN, "upfront_clawback": CLAWBACK_FIN, "investor": INVESTOR_FIN}
DEFAULT_RETURN_CAP = 1.5  # an investor keeps receipts up to 1.5 x its outlay unless its file says otherwise


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
    cal = build_calendar(scenario.timeline)
    areas = scenario.areas
    rows, party_area, area_prime = _party_rows(areas)
    fields = {
        **_calendar_fields(scenario, cal),
        **_uncertainty_fields(scenario),
        **_segment_fields(areas),
        **_spend_effect_fields(areas),
        **_area_fields(areas, scenario.timeline.cohort_period_months),
        **_fee_and_pot_fields(areas, cal),
        **_pbr_fields([a.payment.pbr for a in areas]),
        **_party_fields(rows, party_area, area_prime, max(len(a.segments) for a in areas)),
        **design_fields(areas),
    }
    return ModelArrays(**fields), cal


def _calendar_fields(scenario: Scenario, cal: Calendar) -> dict:
    t = scenario.timeline
    months = np.arange(cal.horizon_months)
    return dict(
        n_months=cal.horizon_months, term=t.term_months, bedding_in=t.bedding_in_months,
        ffs_lag=t.ffs_payment_lag_months, cohort_start=cal.cohort_start, cohort_len=cal.cohort_end - cal.cohort_start,
        cohort_pay=cal.cohort_pay_month, month_cohort=cal.month_cohort, month_year=cal.month_year,
        year_end_month=cal.year_end_reconcile_month,
        discount=(1.0 + scenario.money.discount_rate_annual) ** (-months / 12.0),
    )


def _uncertainty_fields(scenario: Scenario) -> dict:
    u, e = scenario.uncertainty, scenario.effect
    return dict(
        shock_mean=u.common_shock_points_mean, shock_sd=u.common_shock_points_sd,
        trend_per_year=u.trend_points_per_year, cohort_shock_sd=u.cohort_shock_points_sd,
        effect=np.array([e.binary_points.params(), e.frequency_relative.params()], dtype=np.float64),
    )


def _segment_fields(areas: list[Area]) -> dict:
    """(area, segment) tables, padded with zeros to the largest area's segment count."""
    n_g = max(len(a.segments) for a in areas)

    def table(attr: str) -> np.ndarray:
        out = np.zeros((len(areas), n_g))
        for i, a in enumerate(areas):
            out[i, : len(a.segments)] = [getattr(s, attr) for s in a.segments]
        return out

    return dict(
        n_segments=np.array([len(a.segments) for a in areas], dtype=np.int64), seg_share=table("share"),
        seg_rate=table("binary_rate"), seg_mu=table("reoffences_per_reoffender"), seg_alpha=table("overdispersion"),
        seg_spread=table("risk_spread_logit_sd"),
    )


def _spend_effect_fields(areas: list[Area]) -> dict:
    """Each segment's true effect bought by spend (points) and its sd, from its ``spend_effect`` table.

    The curve is read at every delivering party's cost per case for the segment and weighted
    by the party's caseload share; segments without a table get 0 (the model is unchanged).
    """
    n_g = max(len(a.segments) for a in areas)
    points, sd = np.zeros((len(areas), n_g)), np.zeros((len(areas), n_g))
    for i, a in enumerate(areas):
        rows = [r for r in _area_party_rows(a) if r["kind"] != INVESTOR]
        for g, seg in enumerate(a.segments):
            curve = seg.spend_effect
            if curve is not None:
                points[i, g] = sum(r["share"] * curve.points_at(r["costs"][g]) for r in rows)
                sd[i, g] = sum(r["share"] * curve.sd_at(r["costs"][g]) for r in rows)
    return dict(seg_effect_points=points, seg_effect_sd=sd, seg_effect_drawn=bool((sd > 0.0).any()))


def _per_area(areas: list[Area], fn, dtype=np.float64) -> np.ndarray:
    return np.array([fn(a) for a in areas], dtype=dtype)


def _area_fields(areas: list[Area], period_len: int) -> dict:
    """Volume, baseline, fee-band and foundation terms, one value per area."""
    ffs = [a.payment.fee_for_service for a in areas]
    return dict(
        vol_contracted=_per_area(areas, lambda a: a.volume.contracted_cases_per_month),
        vol_factor_mean=_per_area(areas, lambda a: a.volume.factor_mean),
        vol_factor_sd=_per_area(areas, lambda a: a.volume.factor_sd),
        vol_noise_sd=_per_area(areas, lambda a: a.volume.period_noise_sd),
        period_len=period_len,
        base_n=_per_area(areas, lambda a: a.baseline.estimation_cohort_size, np.int64),
        stretch=_per_area(areas, lambda a: a.baseline.stretch_per_year),
        learning=np.array([f.learning_curve_discount for f in ffs]),
        band=np.array([np.inf if f.volume_band is None else f.volume_band for f in ffs]),
        band_to_actual=np.array([f.band_reconcile_to == "actual" for f in ffs], dtype=np.bool_),
        foundation=_per_area(areas, lambda a: a.payment.foundation.monthly_gbp),
    )


def _fee_and_pot_fields(areas: list[Area], cal: Calendar) -> dict:
    """The monthly fee on contracted volume, its per-case band rate, and each year's PbR pot.

    Pot = MAP - that year's fee (pro rata for a part year), per 12 months: the kernels cap a
    year's total outcome payments at ``pot_year`` x the year's months / 12 (cohorts.cohort_terms);
    rates scale with it when ``scale_rates_with_pot``.
    """
    n_a, n_y = len(areas), cal.n_years
    ffs_monthly, band_rate = np.zeros(n_a), np.zeros(n_a)
    pot_year, scale_year = np.full((n_a, n_y), np.inf), np.ones((n_a, n_y))
    for i, a in enumerate(areas):
        ffs, contracted = a.payment.fee_for_service, a.volume.contracted_cases_per_month
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
    return dict(ffs_monthly=ffs_monthly, ffs_band_rate=band_rate, pot_year=pot_year, rate_scale_year=scale_year)


def _pbr_fields(pbrs: list) -> dict:
    """Triggers, rates and limits of the PbR rules, one value per area."""

    def col(fn, dtype=np.float64) -> np.ndarray:
        return np.array([fn(p) for p in pbrs], dtype=dtype)

    return dict(
        z_crit=col(lambda p: NormalDist().inv_cdf(1.0 - p.significance_level) if p.trigger == "significant" else 0.0),
        bin_target=col(lambda p: p.binary_target_points / 100.0 if p.trigger == "target" else 0.0),
        freq_target=col(lambda p: p.frequency_target_relative if p.trigger == "target" else 0.0),
        bin_rate=col(lambda p: p.binary_gbp_per_point_per_offender),
        bin_ded=col(lambda p: _or(p.binary_deduction_gbp_per_point_per_offender, p.binary_gbp_per_point_per_offender)),
        freq_rate=col(lambda p: p.frequency_gbp_per_reoffence),
        freq_ded=col(lambda p: _or(p.frequency_deduction_gbp_per_reoffence, p.frequency_gbp_per_reoffence)),
        freq_per_reoffender=col(lambda p: p.frequency_basis == "reoffender", np.bool_),
        hurdle=col(lambda p: p.binary_hurdle, np.bool_),
        deductions=col(lambda p: p.deductions, np.bool_),
        cap_per_offender=col(lambda p: _or(p.cap_gbp_per_offender, np.inf)),
        collar_per_offender=col(lambda p: _or(p.collar_gbp_per_offender, np.inf)),
    )


def _party_rows(areas: list[Area]) -> tuple[list[dict], list[int], list[int]]:
    """Every area's party rows in kernel order, the area of each, and each area's first row."""
    rows, party_area, area_prime = [], [], []
    for i, a in enumerate(areas):
        area_prime.append(len(rows))
        area_rows = _area_party_rows(a)
        for r in area_rows:
            if r.get("investor_of", -1) >= 0:
                r["investor_of"] += len(rows)
        rows.extend(area_rows)
        party_area.extend([i] * len(area_rows))
    return rows, party_area, area_prime


def _party_fields(rows: list[dict], party_area: list[int], area_prime: list[int], n_g: int) -> dict:
    """One value per party: kind, money, costs and supply-chain terms (0 where they do not apply)."""

    def col(fn, dtype=np.float64) -> np.ndarray:
        return np.array([fn(r) for r in rows], dtype=dtype)

    def sub(name: str, default: float) -> np.ndarray:
        return col(lambda r: getattr(r["party"], name) if r["kind"] == SUBCONTRACTOR else default)

    def chain(name: str, default: float) -> np.ndarray:  # the prime's deal with the commissioner, or a sub's
        return col(lambda r: getattr(r["party"], name) if r["kind"] != INVESTOR else default)

    def inv(name: str, default: float) -> np.ndarray:
        return col(lambda r: getattr(r["party"], name) if r["kind"] == INVESTOR else default)

    case_cost = np.zeros((len(rows), n_g))
    for j, r in enumerate(rows):
        case_cost[j, : len(r["costs"])] = r["costs"]
    return dict(
        party_area=np.array(party_area, dtype=np.int64), party_kind=col(lambda r: r["kind"], np.int64),
        area_prime=np.array(area_prime, dtype=np.int64),
        area_stop=np.array(area_prime[1:] + [len(rows)], dtype=np.int64),
        reserves=col(lambda r: r["party"].reserves_gbp), credit_line=col(lambda r: r["party"].credit_line_gbp),
        overdraft_monthly=col(lambda r: r["party"].overdraft_rate / 12.0),
        fixed_cost=col(lambda r: getattr(r["party"], "fixed_cost_per_month_gbp", 0.0)),
        case_cost=case_cost, caseload_share=col(lambda r: r["share"]),
        fee_pass=sub("fee_share_passed", 0.0), mgmt_fee=sub("management_fee", 0.0),
        upside_share=sub("pbr_upside_share", 0.0), deduction_share=sub("deduction_share", 0.0),
        upfront_share=chain("upfront_share", 1.0),
        financing=col(lambda r: FINANCING_CODES[r["party"].financing] if r["kind"] != INVESTOR else -1, np.int64),
        clawback_share=chain("clawback_share", 0.0), investor_of=col(lambda r: r.get("investor_of", -1), np.int64),
        margin=inv("provider_margin", 0.0),
        cap_multiple=col(lambda r: _or(r["party"].return_cap_multiple, DEFAULT_RETURN_CAP)
                         if r["kind"] == INVESTOR else 0.0),
        party_design=np.column_stack([  # columns PD_* of kernels/records.py
            col(lambda r: _or(r["party"].return_cap_annual, -1.0) if r["kind"] == INVESTOR else -1.0),
            sub("referral_factor_mean", 1.0), sub("referral_factor_sd", 0.0)]),
    )


def _or(value, default):
    return default if value is None else value
