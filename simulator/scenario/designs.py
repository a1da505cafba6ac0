"""Payment designs beyond the TR measures: ladders, rate cards, pooled triggers, service credits.

These are the contracts of the record (see ``scenarios/record/``): a tiered ladder pays an
amount per tier of improvement (NYC ABLE), a rate card pays a price per person per outcome
(The Skill Mill), a pooled trigger pays at the final settlement for all cohorts together
(Peterborough: 10% a cohort or 7.5% across all), and service credits cut a month's fee when
performance fails (TR: "financial penalties if they do not" deliver to time and quality).
Money in GBP (or the contract's own currency, unconverted), falls as fractions.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .fields import Money, Name, NonNeg, Unit, _Model, field_error


class ServiceCredits(_Model):
    """Each contract month, with ``monthly_probability``, performance fails and that month's fee
    is cut by ``share_of_fee``: a deduction the commissioner makes from the prime's fee."""

    monthly_probability: Unit = 0.0
    share_of_fee: Unit = 0.0


class PooledTrigger(_Model):
    """A trigger over all of an area's cohorts pooled, settled at the final settlement.

    Pays what the pooled result earns (the per-cohort rates, beyond these targets) less what
    the cohorts were already paid on their own, if that is positive.
    """

    binary_target_points: NonNeg = 0.0
    frequency_target_relative: Unit = 0.0


class Ladder(_Model):
    """A tiered ladder: the amount of the highest tier whose relative fall the cohort reaches.

    ``falls_relative`` are relative falls of the measure against its baseline (0.085 = 8.5%),
    strictly increasing; ``amounts_gbp`` the payment at each tier, per cohort or per offender.
    """

    measure: Literal["binary", "frequency"] = "frequency"
    falls_relative: list[Unit] = Field(min_length=1, max_length=32)
    amounts_gbp: list[Money] = Field(min_length=1, max_length=32)
    basis: Literal["per_cohort", "per_offender"] = "per_cohort"

    @model_validator(mode="after")
    def _check(self) -> Ladder:
        falls = self.falls_relative
        if any(b <= a for a, b in zip(falls, falls[1:], strict=False)) or falls[0] <= 0.0:
            raise field_error("falls_relative", "must be above 0 and strictly increasing", falls)
        if len(self.amounts_gbp) != len(falls):
            raise field_error("amounts_gbp", f"must have one amount per tier ({len(falls)})", self.amounts_gbp)
        return self


class RateCardOutcome(_Model):
    """One priced outcome of a rate card: ``price_gbp`` per cohort member who achieves it.

    ``measure = "chance"``: each member achieves it with ``probability`` (drawn per cohort);
    ``"no_reoffence"``: the cohort's members with no proven reoffence in the follow-up.
    """

    name: Name
    price_gbp: Money
    measure: Literal["chance", "no_reoffence"] = "chance"
    probability: Unit | None = None

    @model_validator(mode="after")
    def _check(self) -> RateCardOutcome:
        if self.measure == "chance" and self.probability is None:
            raise field_error("probability", "is required when measure = 'chance'", None)
        if self.measure == "no_reoffence" and self.probability is not None:
            raise field_error("probability", "does not apply to measure = 'no_reoffence' (the model draws it)",
                              self.probability)
        return self


class ControlGroup(_Model):
    """A matched control cohort drawn in the same simulation, ``size_ratio`` times each cohort.

    It shares the national shock and trend (so they cancel) but not the intervention effect
    or the treated cohort's own shock; its sampling noise is its own.
    """

    size_ratio: NonNeg = 10.0

    @model_validator(mode="after")
    def _check(self) -> ControlGroup:
        if not 0.01 <= self.size_ratio <= 1000.0:
            raise field_error("size_ratio", "must be in [0.01, 1000] (control members per treated member)",
                              self.size_ratio)
        return self
