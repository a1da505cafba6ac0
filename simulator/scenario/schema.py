"""The typed, frozen scenario: a PbR contract, its cohorts and its supply chain.

Units are GBP and months unless a name says otherwise; rates and shares are fractions in
[0, 1]. A scenario describes one or more contract package areas (CPAs); the file layout
with top-level area tables and ``[[areas]]`` is merged into this shape by
:mod:`simulator.scenario.merge` before validation.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from .designs import ControlGroup, Ladder, PooledTrigger, RateCardOutcome, ServiceCredits
from .fields import (
    Count,
    Distribution,
    Finite,
    LogSd,
    Money,
    Months,
    Name,
    NonNeg,
    Pos,
    PosMonths,
    Unit,
    _cases,
    _Model,
    _positive,
    _unit,
    field_error,
)
from .spend import SpendEffect

# ---------------------------------------------------------------- shared settings


class Timeline(_Model):
    """Months from contract start. Defaults follow the TR contracts (see scenarios/)."""

    term_months: PosMonths = 84
    bedding_in_months: Months = 8
    cohort_period_months: PosMonths = 3
    follow_up_months: PosMonths = 12
    conviction_wait_months: Months = 6
    processing_lag_months: Months = 3
    settlement_interval_months: PosMonths = 12
    ffs_payment_lag_months: Months = 1
    # optional calendar date of month 0 (a TOML date, e.g. 2015-02-01): outputs then show months as
    # dates and add financial years (April-March); the model does not use it
    start_date: date | None = None

    @model_validator(mode="after")
    def _check(self) -> Timeline:
        if self.bedding_in_months >= self.term_months:
            raise field_error("bedding_in_months", f"must be less than term_months ({self.term_months})",
                              self.bedding_in_months)
        return self


class MoneySettings(_Model):
    discount_rate_annual: Unit = 0.035


class Uncertainty(_Model):
    """Shared shocks, in percentage points of the binary reoffending rate."""

    common_shock_points_mean: Finite = 0.0
    common_shock_points_sd: NonNeg = 1.0
    trend_points_per_year: Finite = 0.0
    cohort_shock_points_sd: NonNeg = 0.0


class Effect(_Model):
    """True intervention effect, drawn once per simulation."""

    binary_points: Distribution = Distribution()
    frequency_relative: Distribution = Distribution()


class Simulation(_Model):
    """How outcomes are drawn: per cohort segment (``aggregate``, the default) or per offender.

    ``individual`` draws every offender with a personal risk around the segment's rate (see
    ``Segment.risk_spread_logit_sd``); with no spread both modes draw from the same laws.
    """

    mode: Literal["aggregate", "individual"] = "aggregate"


# ---------------------------------------------------------------- one area


class Segment(_Model):
    """A risk segment of the cohort: share of volume, true counterfactual rates and cost."""

    name: Name
    share: Unit
    binary_rate: Unit
    reoffences_per_reoffender: Annotated[float, AfterValidator(_positive)]
    overdispersion: NonNeg = 0.5
    cost_per_case_gbp: Money = 0.0
    # individual mode only: sd of personal risk on the logit scale; binary_rate stays the mean risk
    risk_spread_logit_sd: NonNeg = 0.0
    # the segment's share of the historic cohort the baselines come from (default: share)
    historic_share: Unit | None = None
    # optional: how spend per case buys effect on this segment (see spend.py; the incentives study)
    spend_effect: SpendEffect | None = None

    @model_validator(mode="after")
    def _check(self) -> Segment:
        if not 1.0 <= self.reoffences_per_reoffender <= 100.0:
            raise field_error("reoffences_per_reoffender", "must be in [1, 100] (a reoffender has at least one)",
                              self.reoffences_per_reoffender)
        return self


class Volume(_Model):
    """New cases per month: contracted level times a per-simulation factor and per-period noise."""

    contracted_cases_per_month: Annotated[float, AfterValidator(_cases)]
    factor_mean: Pos = 1.0
    factor_sd: LogSd = 0.0
    period_noise_sd: LogSd = 0.0


class Baseline(_Model):
    estimation_cohort_size: Count = 0
    stretch_per_year: Unit = 0.0
    control: ControlGroup | None = None  # measure against a matched control cohort, not the history


class FeeForService(_Model):
    basis: Literal["per_case", "per_month"] = "per_case"
    rate_gbp: Money = 0.0
    learning_curve_discount: Unit = 0.0
    volume_band: Unit | None = None  # no reconciliation unless a band is set
    band_reconcile_to: Literal["edge", "actual"] = "edge"
    service_credits: ServiceCredits = ServiceCredits()


class Foundation(_Model):
    monthly_gbp: Money = 0.0


class Pbr(_Model):
    trigger: Literal["significant", "any_improvement", "target"] = "significant"
    significance_level: Annotated[float, AfterValidator(_unit)] = 0.05
    binary_target_points: NonNeg = 0.0
    frequency_target_relative: Unit = 0.0
    binary_gbp_per_point_per_offender: Money = 0.0
    frequency_gbp_per_reoffence: Money = 0.0
    frequency_basis: Literal["offender", "reoffender"] = "offender"
    binary_hurdle: bool = True
    deductions: bool = True
    binary_deduction_gbp_per_point_per_offender: Money | None = None
    frequency_deduction_gbp_per_reoffence: Money | None = None
    cap_gbp_per_offender: Money | None = None
    collar_gbp_per_offender: Money | None = None
    maximum_annual_payment_gbp: Money | None = None
    scale_rates_with_pot: bool = False
    rates_reference_pot_gbp: Money | None = None
    binary_case_mix_adjusted: bool = True
    frequency_case_mix_adjusted: bool = True
    total_cap_gbp: Money | None = None
    pooled: PooledTrigger | None = None

    @model_validator(mode="after")
    def _check(self) -> Pbr:
        if self.pooled is not None and self.trigger != "target":
            raise field_error("pooled", "needs trigger = 'target' (the pooled trigger has its own targets)",
                              self.trigger)
        if self.trigger == "significant" and not (0.0 < self.significance_level < 0.5):
            raise field_error("significance_level", "must be in (0, 0.5) for a significance test",
                              self.significance_level)
        if self.scale_rates_with_pot and self.maximum_annual_payment_gbp is None:
            raise field_error("scale_rates_with_pot", "needs maximum_annual_payment_gbp to be set", True)
        if self.scale_rates_with_pot and not self.rates_reference_pot_gbp:
            raise field_error("rates_reference_pot_gbp", "must be > 0 with scale_rates_with_pot (the yearly pot the "
                              "rates were set for)", self.rates_reference_pot_gbp)
        return self


class Payment(_Model):
    fee_for_service: FeeForService = FeeForService()
    foundation: Foundation = Foundation()
    pbr: Pbr = Pbr()
    ladder: Ladder | None = None
    rate_card: list[RateCardOutcome] = Field(default_factory=list, max_length=32)


class PartyBase(_Model):
    name: Name
    fixed_cost_per_month_gbp: Money = 0.0
    cost_per_case_gbp: dict[str, Money] = Field(default_factory=dict)
    reserves_gbp: Money = 0.0
    credit_line_gbp: Money = 0.0
    overdraft_rate: Unit = 0.0


class Prime(PartyBase):
    """The prime; ``financing`` is its deal with the commissioner (see Subcontractor for the kinds)."""

    name: Name = "prime"
    upfront_share: Unit = 1.0
    financing: Literal["pbr", "upfront_clawback"] = "pbr"
    clawback_share: Unit = 0.1


class Investor(_Model):
    """Social-impact-bond style funder of one subcontractor."""

    name: Name
    provider_margin: NonNeg = 0.0
    return_cap_multiple: Annotated[float, AfterValidator(_positive)] | None = None  # 1.5 unless a yearly cap is set
    return_cap_annual: Unit | None = None  # cap the investor's return at this yearly rate instead
    reserves_gbp: Money = 0.0
    credit_line_gbp: Money = 0.0
    overdraft_rate: Unit = 0.0

    @model_validator(mode="after")
    def _check(self) -> Investor:
        if self.return_cap_annual is not None and self.return_cap_multiple is not None:
            raise field_error("return_cap_annual", "cannot be set with return_cap_multiple (choose one cap)",
                              self.return_cap_annual)
        return self


class Subcontractor(PartyBase):
    caseload_share: Unit
    fee_share_passed: Unit = 1.0
    management_fee: Unit = 0.0
    pbr_upside_share: Unit = 0.0
    deduction_share: Unit = 0.0
    upfront_share: Unit = 1.0
    financing: Literal["pbr", "upfront_clawback", "investor"] = "pbr"
    clawback_share: Unit = 0.1
    investor: Investor | None = None
    # referral risk: actual share = caseload_share x a lognormal factor drawn per simulation
    referral_factor_mean: Pos = 1.0
    referral_factor_sd: LogSd = 0.0

    @model_validator(mode="after")
    def _check(self) -> Subcontractor:
        if self.financing == "investor" and self.investor is None:
            raise field_error("investor", "is required when financing = 'investor'", None)
        if self.financing != "investor" and self.investor is not None:
            raise field_error("financing", "must be 'investor' when an [investor] table is given", self.financing)
        return self


class SupplyChain(_Model):
    prime: Prime = Prime()
    subcontractors: list[Subcontractor] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> SupplyChain:
        total = sum(s.caseload_share for s in self.subcontractors)
        if total > 1.0 + 1e-9:
            raise field_error("subcontractors", f"caseload_share values add up to {total:.4g}, more than 1 (100%)",
                              [s.caseload_share for s in self.subcontractors])
        return self


class Area(_Model):
    """One contract package area: its cohort, volume, baseline, payment terms and supply chain."""

    name: Name = "CPA"
    segments: list[Segment] = Field(min_length=1)
    volume: Volume
    baseline: Baseline = Baseline()
    payment: Payment = Payment()
    supply_chain: SupplyChain = SupplyChain()

    @model_validator(mode="after")
    def _check(self) -> Area:
        total = sum(s.share for s in self.segments)
        if abs(total - 1.0) > 1e-6:
            raise field_error("segments", f"share values must add up to 1 (they add up to {total:.6g})",
                              [s.share for s in self.segments])
        names = [s.name for s in self.segments]
        if len(set(names)) != len(names):
            raise field_error("segments", "names must be unique", names)
        historic = [s.historic_share for s in self.segments]
        if any(h is not None for h in historic) and (None in historic or abs(sum(historic) - 1.0) > 1e-6):
            raise field_error("segments", "historic_share must be given for every segment and add up to 1", historic)
        for party in self.parties_with_costs():
            unknown = sorted(set(party.cost_per_case_gbp) - set(names))
            if unknown:
                raise field_error("supply_chain", f"party '{party.name}' has cost_per_case_gbp for unknown "
                                  f"segment(s); segments are {names}", unknown)
        return self

    def parties_with_costs(self) -> list[PartyBase]:
        return [self.supply_chain.prime, *self.supply_chain.subcontractors]


class Scenario(_Model):
    """A whole run's inputs: shared settings plus one or more areas."""

    name: str = "scenario"
    description: str = ""
    timeline: Timeline = Timeline()
    money: MoneySettings = MoneySettings()
    uncertainty: Uncertainty = Uncertainty()
    effect: Effect = Effect()
    simulation: Simulation = Simulation()
    areas: list[Area] = Field(min_length=1)
    stress: dict[str, dict[str, Any]] = Field(default_factory=dict)  # [stress.NAME] overrides: see stress.py
    source: str = Field(default="<memory>", exclude=True)
    source_sha256: str = Field(default="", exclude=True)

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        names = [a.name for a in self.areas]
        if len(set(names)) != len(names):
            raise field_error("areas", "names must be unique", names)
        parties = self.party_names()
        if len(set(parties)) != len(parties):
            raise field_error("areas", "party names must be unique within an area", parties)
        return self

    def party_names(self) -> list[str]:
        """Party labels in kernel order: per area, prime, subcontractors, then investors."""
        labels = []
        for area in self.areas:
            prefix = f"{area.name}." if len(self.areas) > 1 else ""
            chain = area.supply_chain
            labels.append(prefix + chain.prime.name)
            labels.extend(prefix + s.name for s in chain.subcontractors)
            labels.extend(prefix + s.investor.name for s in chain.subcontractors if s.investor is not None)
        return labels
