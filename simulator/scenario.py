"""The typed, frozen scenario: a PbR contract, its cohorts and its supply chain.

Loaded from TOML and validated once, here, at the edge. Every error names the file, the
key path, the value and the rule (see :class:`simulator.errors.ScenarioError`). Units are
GBP and months unless a name says otherwise; rates and shares are fractions in [0, 1].

A scenario describes one contract package area (CPA) at its top level. A national run lists
``[[areas]]``: each entry is merged over the top-level area keys (tables merge key by key,
arrays and values replace), so shared settings are written once.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import math
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import ScenarioError

# ---------------------------------------------------------------- constrained scalars


MAX_GBP = 1e12
MAX_MONTHS = 1200
MAX_ABS = 1e9


def _unit(v: float) -> float:
    if not (0.0 <= v <= 1.0) or math.isnan(v):
        raise ValueError("must be in [0, 1]")
    return v


def _non_negative(v: float) -> float:
    if not (0.0 <= v <= MAX_ABS):
        raise ValueError(f"must be a number in [0, {MAX_ABS:g}]")
    return v


def _money(v: float) -> float:
    if not (0.0 <= v <= MAX_GBP):
        raise ValueError(f"must be an amount in GBP in [0, {MAX_GBP:g}]")
    return v


def _positive(v: float) -> float:
    if not (0.0 < v <= MAX_ABS):
        raise ValueError(f"must be a number > 0 and <= {MAX_ABS:g}")
    return v


def _finite(v: float) -> float:
    if not (-MAX_ABS <= v <= MAX_ABS):
        raise ValueError(f"must be a finite number in [-{MAX_ABS:g}, {MAX_ABS:g}]")
    return v


def _non_negative_int(v: int) -> int:
    if not (0 <= v <= MAX_MONTHS):
        raise ValueError(f"must be a whole number of months in [0, {MAX_MONTHS}]")
    return v


def _positive_int(v: int) -> int:
    if not (1 <= v <= MAX_MONTHS):
        raise ValueError(f"must be a whole number of months in [1, {MAX_MONTHS}]")
    return v


def _count(v: int) -> int:
    if not (0 <= v <= 100_000_000):
        raise ValueError("must be a whole number in [0, 100000000]")
    return v


def _cases(v: float) -> float:
    if not (0.0 < v <= 1_000_000):
        raise ValueError("must be a number of cases > 0 and <= 1000000")
    return v


def _sd(v: float) -> float:
    if not (0.0 <= v <= 5.0):
        raise ValueError("must be a log-scale standard deviation in [0, 5]")
    return v


Unit = Annotated[float, AfterValidator(_unit)]
Money = Annotated[float, AfterValidator(_money)]
NonNeg = Annotated[float, AfterValidator(_non_negative)]
Pos = Annotated[float, AfterValidator(_positive)]
Finite = Annotated[float, AfterValidator(_finite)]
Months = Annotated[int, AfterValidator(_non_negative_int)]
PosMonths = Annotated[int, AfterValidator(_positive_int)]
Count = Annotated[int, AfterValidator(_count)]
LogSd = Annotated[float, AfterValidator(_sd)]
Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_\- ]+$")]


_SEP = "\x1f"


def field_error(field: str, rule: str, value: object) -> ValueError:
    """A cross-field error that still points at one key: ``field`` relative to the table."""
    return ValueError(f"{_SEP}{field}{_SEP}{rule}{_SEP}{value!r}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# ---------------------------------------------------------------- distributions

DIST_KINDS = {"fixed": 0, "normal": 1, "uniform": 2}


class Distribution(_Model):
    """A scalar drawn once per simulation: fixed value, normal(mean, sd) or uniform(low, high)."""

    dist: Literal["fixed", "normal", "uniform"] = "fixed"
    value: Finite = 0.0
    mean: Finite = 0.0
    sd: NonNeg = 0.0
    low: Finite = 0.0
    high: Finite = 0.0

    @model_validator(mode="after")
    def _check(self) -> Distribution:
        uses = {"fixed": ("value",), "normal": ("mean", "sd"), "uniform": ("low", "high")}[self.dist]
        unused = {k for k in self.model_fields_set - {"dist", *uses} if getattr(self, k) != 0.0}
        for key in sorted(unused):
            raise field_error(key, f"does not apply to dist = '{self.dist}' (which uses {', '.join(uses)}); "
                              "set dist or remove the key", getattr(self, key))
        if self.dist == "uniform" and self.high < self.low:
            raise field_error("high", f"must be >= low ({self.low})", self.high)
        return self

    def params(self) -> tuple[int, float, float]:
        """(kind code, a, b) for the kernels."""
        if self.dist == "fixed":
            return 0, self.value, 0.0
        if self.dist == "normal":
            return 1, self.mean, self.sd
        return 2, self.low, self.high

    def expected(self) -> float:
        kind, a, b = self.params()
        return a if kind < 2 else 0.5 * (a + b)


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
    # individual mode only: sd of personal risk on the logit scale around binary_rate (the median)
    risk_spread_logit_sd: NonNeg = 0.0

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


class FeeForService(_Model):
    basis: Literal["per_case", "per_month"] = "per_case"
    rate_gbp: Money = 0.0
    learning_curve_discount: Unit = 0.0
    volume_band: Unit = 0.0
    band_reconcile_to: Literal["edge", "actual"] = "edge"


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

    @model_validator(mode="after")
    def _check(self) -> Pbr:
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


class PartyBase(_Model):
    name: Name
    fixed_cost_per_month_gbp: Money = 0.0
    cost_per_case_gbp: dict[str, Money] = Field(default_factory=dict)
    reserves_gbp: Money = 0.0
    credit_line_gbp: Money = 0.0
    overdraft_rate: Unit = 0.0


class Prime(PartyBase):
    name: Name = "prime"


class Investor(_Model):
    """Social-impact-bond style funder of one subcontractor."""

    name: Name
    provider_margin: NonNeg = 0.0
    return_cap_multiple: Annotated[float, AfterValidator(_positive)] = 1.5
    reserves_gbp: Money = 0.0
    credit_line_gbp: Money = 0.0
    overdraft_rate: Unit = 0.0


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


# ---------------------------------------------------------------- loading

AREA_KEYS = ("segments", "volume", "baseline", "payment", "supply_chain")


def _deep_merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _restructure(raw: dict) -> dict:
    """Top-level area keys become the template for each of ``areas`` (or the single area)."""
    data = {k: v for k, v in raw.items() if k not in AREA_KEYS and k not in ("areas", "area_name")}
    template = {k: raw[k] for k in AREA_KEYS if k in raw}
    if "area_name" in raw:
        template["name"] = raw["area_name"]
    areas = raw.get("areas")
    if areas is None:
        data["areas"] = [template]
    elif isinstance(areas, list) and all(isinstance(a, dict) for a in areas):
        data["areas"] = [_deep_merge(template, a) for a in areas]
    else:
        data["areas"] = areas
    return data


def format_key_path(loc: tuple, single_area: bool) -> str:
    """('areas', 0, 'supply_chain', 'subcontractors', 1, 'x') -> 'supply_chain.subcontractors[1].x'."""
    parts = list(loc)
    if single_area and len(parts) >= 2 and parts[0] == "areas" and parts[1] == 0:
        parts = ["area_name"] if parts[2:] == ["name"] else parts[2:]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part and not str(part).startswith(("function-", "literal[", "nullable", "list[")):
            text += ("." if text else "") + str(part)
    return text


_TYPE_RULES = {
    "float_type": "must be a number",
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "string_type": "must be a text string",
    "list_type": "must be an array",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "missing": "is required",
    "too_short": "must not be empty",
}


def _rule_for(err: dict, loc_key: str, allowed_keys: list[str]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(loc_key, allowed_keys, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"is not a known key (allowed here: {', '.join(sorted(allowed_keys))}){hint}"
    if kind == "literal_error":
        return "must be one of " + err["ctx"]["expected"]
    if kind in _TYPE_RULES:
        return _TYPE_RULES[kind]
    if kind == "string_pattern_mismatch":
        return "must use only letters, digits, spaces, '-' and '_'"
    msg = err["msg"]
    return msg.removeprefix("Value error, ")


def _allowed_keys(loc: tuple) -> list[str]:
    """The keys the model at ``loc``'s parent accepts (for unknown-key hints)."""
    model: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        inner = getattr(annotation, "__args__", None)
        model = annotation
        if inner:
            model = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), annotation)
    fields = [f for f in getattr(model, "model_fields", {}) if f not in ("source", "source_sha256")]
    return fields + [*AREA_KEYS, "area_name"] if model is Scenario else fields


def scenario_from_dict(raw: dict, *, source: str = "<memory>", sha256: str = "") -> Scenario:
    """Validate a plain dict (as parsed from TOML) into a :class:`Scenario`."""
    data = _restructure(raw)
    single_area = "areas" not in raw
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(err["loc"])
        rule = _rule_for(err, str(loc[-1]) if loc else "", _allowed_keys(loc))
        value, has_value = err.get("input"), err["type"] != "missing"
        if rule.startswith(_SEP):
            field, rule, shown = rule[1:].split(_SEP)
            path = format_key_path((*loc, field), single_area)
            raise ScenarioError(source, path, rule, value, value_text=shown) from None
        if isinstance(value, dict):
            has_value = False
        raise ScenarioError(source, format_key_path(loc, single_area), rule, value, has_value=has_value) from None
    if scenario.stress:
        from .stress import check_user_stresses  # stress.py builds on this module

        check_user_stresses(raw, source=source)
    return scenario.model_copy(update={"source": source, "source_sha256": sha256})


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a TOML scenario file; raise :class:`ScenarioError` on any problem."""
    raw, sha = read_scenario_toml(path)
    return scenario_from_dict(raw, source=str(path), sha256=sha)


def read_scenario_toml(path: str | Path) -> tuple[dict, str]:
    """The raw TOML table of a scenario file and its SHA-256 (for sweeps that edit keys)."""
    path = Path(path)
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(str(path), "", "scenario file not found", has_value=False) from None
    except IsADirectoryError:
        raise ScenarioError(str(path), "", "is a folder, expected a .toml scenario file", has_value=False) from None
    except OSError as exc:
        raise ScenarioError(str(path), "", f"cannot be read ({exc.strerror})", has_value=False) from None
    try:
        return tomllib.loads(blob.decode("utf-8")), hashlib.sha256(blob).hexdigest()
    except UnicodeDecodeError:
        raise ScenarioError(str(path), "", "is not UTF-8 text", has_value=False) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), "", f"is not valid TOML: {exc}", has_value=False) from None
