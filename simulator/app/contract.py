"""The subcontract on page 1: one subcontractor's terms in plain words, over a bundled contract.

The words map onto key paths of the contract's scenario: cases a month onto the caseload
share (of the contracted volume), the fee per case onto the share of the prime's fee passed
down (after the management fee), the average cost per case onto the subcontractor's
per-segment costs (scaled together, so the mix of costs stays the contract's).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from ..outputs.labels import fmt
from ..scenario import Scenario, scenario_from_dict
from ..scenario.loading import read_scenario_toml
from .forms import Field, number, scaled, shown

BUNDLED = Path(__file__).resolve().parents[2] / "scenarios" / "tr_crc_default.toml"


@dataclass(frozen=True)
class Contract:
    """A one-area scenario and the subcontractor whose terms the page edits."""

    raw: dict
    scenario: Scenario
    source: str
    sub: str

    @property
    def area(self):
        return self.scenario.areas[0]

    @property
    def party(self):
        return next(s for s in self.area.supply_chain.subcontractors if s.name == self.sub)

    def path(self, key: str) -> str:
        return f"supply_chain.subcontractors.{self.sub}.{key}"

    @property
    def fee_per_case(self) -> float:
        """The prime's fee for one contracted case in year 1 (GBP)."""
        fee = self.area.payment.fee_for_service
        return fee.rate_gbp if fee.basis == "per_case" else fee.rate_gbp / self.area.volume.contracted_cases_per_month

    def segment_costs(self) -> dict[str, float]:
        """The subcontractor's cost per case by segment (its own, else the segment's)."""
        own = self.party.cost_per_case_gbp
        return {s.name: own.get(s.name, s.cost_per_case_gbp) for s in self.area.segments}

    def average_cost(self) -> float:
        costs = self.segment_costs()
        return sum(s.share * costs[s.name] for s in self.area.segments)


def subcontractors(scenario: Scenario) -> list[str]:
    """Subcontractors a page-1 user can be: those paid by the prime (not investor-funded)."""
    if len(scenario.areas) != 1:
        return []
    return [s.name for s in scenario.areas[0].supply_chain.subcontractors if s.financing != "investor"]


def shown_path(path: Path) -> str:
    """The path as a command run from here would take it (relative when under the current folder)."""
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else str(path)


@functools.lru_cache(maxsize=4)
def _read(path: Path) -> tuple[dict, Scenario]:
    """A contract file read and validated once per app (its raw table is never changed in place)."""
    raw, sha = read_scenario_toml(path)
    return raw, scenario_from_dict(raw, source=shown_path(path), sha256=sha)


def load_contract(path: Path | None, sub: str | None = None) -> Contract:
    """The contract of ``path`` if it has one area and a subcontractor to be, else the bundled one."""
    for candidate in ([Path(path)] if path else []) + [BUNDLED]:
        raw, scenario = _read(candidate)
        names = subcontractors(scenario)
        if names:
            return Contract(raw, scenario, shown_path(candidate), sub if sub in names else names[-1])
    raise ScenarioError(str(BUNDLED), "", "has no subcontractor for page 1", has_value=False)


def fields(c: Contract) -> list[Field]:
    """The page-1 boxes for ``c``'s subcontractor."""
    return [
        Field("cases", "Cases you take on a month", (c.path("caseload_share"),), unit="cases",
              hint=f"of the {c.area.volume.contracted_cases_per_month:,.0f} a month the contract expects",
              note=f"all subcontractors together can take at most the contract's "
                   f"{c.area.volume.contracted_cases_per_month:,.0f} cases a month"),
        Field("fee", "Fee you are paid per case", (c.path("fee_share_passed"),), unit="GBP",
              hint=f"after the prime's {c.party.management_fee:.0%} management fee; year 1",
              note=f"the fee can be at most {fmt(c.fee_per_case * (1 - c.party.management_fee), 'gbp')} a case "
                   "(the prime's fee after its management fee)"),
        Field("upfront", "Share of your fee paid up front", (c.path("upfront_share"),), unit="%", scale=100.0,
              hint="the rest is held back and paid only for cohorts that earn outcome payments"),
        Field("pbr", "Your share of outcome payments", (c.path("pbr_upside_share"),), unit="%", scale=100.0),
        Field("deductions", "Your share of deductions", (c.path("deduction_share"),), unit="%", scale=100.0,
              hint="if reoffending rises, the commissioner deducts money"),
        Field("reserves", "Reserves", (c.path("reserves_gbp"),), unit="GBP", hint="cash you can use at the start"),
        Field("credit", "Credit line", (c.path("credit_line_gbp"),), unit="GBP", hint="borrowing you can draw on"),
        Field("fixed", "Fixed costs a month", (c.path("fixed_cost_per_month_gbp"),), unit="GBP",
              hint="staff, premises, overheads"),
        Field("cost", "Cost per case, on average", tuple(c.path(f"cost_per_case_gbp.{s}") for s in c.segment_costs()),
              unit="GBP"),
        Field("wait", "Months to process outcome results", ("timeline.processing_lag_months",), unit="months",
              hint="after the 12-month follow-up and the wait for convictions; then paid at the next settlement"),
    ]


def defaults(c: Contract) -> dict[str, str]:
    """What each box shows for the contract as it is."""
    f = {x.name: x for x in fields(c)}
    p = c.party
    values = {
        "cases": c.area.volume.contracted_cases_per_month * p.caseload_share,
        "fee": c.fee_per_case * p.fee_share_passed * (1.0 - p.management_fee),
        "upfront": p.upfront_share, "pbr": p.pbr_upside_share, "deductions": p.deduction_share,
        "reserves": p.reserves_gbp, "credit": p.credit_line_gbp, "fixed": p.fixed_cost_per_month_gbp,
        "cost": c.average_cost(), "wait": c.scenario.timeline.processing_lag_months,
    }
    return {name: shown(f[name], round(v, 6) if isinstance(v, float) else v) for name, v in values.items()}


def overrides(c: Contract, f: Field, text: str) -> dict[str, Any]:
    """Key-path changes for the text typed into box ``f`` (text that is not a number goes on to fail validation)."""
    value = scaled(f, text)
    if f.name in ("cases", "fee", "cost") and isinstance(value, float):
        return _derived(c, f, value)
    return {f.paths[0]: value}


def _derived(c: Contract, f: Field, value: float) -> dict[str, Any]:
    if f.name == "cases":
        return {f.paths[0]: value / c.area.volume.contracted_cases_per_month}
    if f.name == "fee":
        per_case = c.fee_per_case * (1.0 - c.party.management_fee)
        if per_case <= 0:
            raise ScenarioError(c.source, f.paths[0], "cannot be set: the prime keeps the whole fee", value)
        return {f.paths[0]: value / per_case}
    average = c.average_cost()
    factor = value / average if average > 0 else None
    costs = c.segment_costs()
    return {path: (costs[seg] * factor if factor is not None else value)
            for path, seg in zip(f.paths, costs, strict=True)}


def plain_number(text: str | None, default: float, *, low: float, high: float, what: str) -> tuple[float, str | None]:
    """A setting of the page (not of the scenario): (value, error or None)."""
    value = number(text) if text not in (None, "") else float(default)
    if not isinstance(value, float) or not low <= value <= high:
        return default, f"{what} must be a number from {low:.10g} to {high:.10g}"
    return value, None
