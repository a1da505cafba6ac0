"""Page 2, "Any scenario": a scenario file's key terms as boxes, every party's table and charts.

The scenario travels with the form as its TOML text (the app keeps no state between
requests and reads no file but the one the user uploads). The boxes change key paths that
apply to every area (price, outcome rates, each subcontractor's upfront share, splits and
management fee, the true effect, the caseload); ticked stresses are applied after them, as
``pbrsim run --set ... --stress ...`` would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import ScenarioError
from ..scenario import Scenario, scenario_from_dict
from ..scenario.loading import parse_scenario_text
from ..scenario.paths import DIST_KEYS, scenario_paths
from ..scenario.stress import DESCRIPTIONS, apply_stresses, available
from .forms import GENERAL, Checked, Field, check_form, scaled, shown

MAX_UPLOAD = 2 * 1024 * 1024
MODES = ("aggregate", "individual")


@dataclass(frozen=True)
class Loaded:
    """A scenario file's text as the user gave it, parsed and validated."""

    text: str
    name: str  # the file name shown (nothing is read from it)
    raw: dict
    scenario: Scenario

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def load_text(text: str, name: str) -> Loaded:
    """Parse and validate scenario text; ScenarioError names the file and what is wrong."""
    if len(text.encode()) > MAX_UPLOAD:
        raise ScenarioError(name, "", f"is larger than {MAX_UPLOAD // 1024 // 1024} MB; a scenario file is a few kB",
                            has_value=False)
    raw = parse_scenario_text(text, source=name)
    sha = hashlib.sha256(text.encode()).hexdigest()
    return Loaded(text, name, raw, scenario_from_dict(raw, source=name, sha256=sha))


def common_values(scenario: Scenario) -> dict[str, object]:
    """Key paths shared by every area (``volume.factor_mean`` ...), with the value when all areas agree.

    A value that differs between areas maps to None: its box starts empty and changes nothing
    unless filled in (then it sets every area).
    """
    rows = scenario_paths(scenario)
    if len(scenario.areas) == 1:
        return dict(rows)
    out: dict[str, object] = {}
    seen: dict[str, set] = {}
    for path, value in rows:
        if path.startswith("areas."):
            short = path.split(".", 2)[2]
            seen.setdefault(short, set()).add(repr(value))
            out[short] = value if len(seen[short]) == 1 else None
        else:
            out[path] = value
    return out


def _sub_names(scenario: Scenario) -> list[str]:
    """Subcontractor names every area has (a box for one sets it in every area)."""
    sets = [[s.name for s in a.supply_chain.subcontractors] for a in scenario.areas]
    return [n for n in sets[0] if all(n in names for names in sets)]


def fields(scenario: Scenario) -> list[Field]:
    """The boxes for this scenario's key terms."""
    values = common_values(scenario)
    basis = "case" if values.get("payment.fee_for_service.basis") == "per_case" else "month"
    out = [Field("payment.fee_for_service.rate_gbp", f"Price: fee for service per {basis}",
                 ("payment.fee_for_service.rate_gbp",), unit="GBP"),
           Field("payment.pbr.binary_gbp_per_point_per_offender", "Outcome rate: per point, per offender",
                 ("payment.pbr.binary_gbp_per_point_per_offender",), unit="GBP"),
           Field("payment.pbr.frequency_gbp_per_reoffence", "Outcome rate: per reoffence avoided",
                 ("payment.pbr.frequency_gbp_per_reoffence",), unit="GBP"),
           Field("volume.factor_mean", "Caseload, as a share of the contracted volume", ("volume.factor_mean",),
                 unit="%", scale=100.0)]
    out += _effect_fields(values)
    for sub in _sub_names(scenario):
        base = f"supply_chain.subcontractors.{sub}"
        out += [Field(f"{base}.{key}", f"{sub}: {words}", (f"{base}.{key}",), unit="%", scale=100.0)
                for key, words in (("upfront_share", "share of fee paid up front"),
                                   ("pbr_upside_share", "share of outcome payments"),
                                   ("deduction_share", "share of deductions"),
                                   ("management_fee", "management fee kept by the prime"))]
    return out


def _effect_fields(values: Mapping[str, object]) -> list[Field]:
    out = []
    for key, words, unit, scale in (("binary_points", "True effect: points off the reoffending rate", "points", 1.0),
                                    ("frequency_relative", "True effect: cut in reoffences per reoffender", "%", 100.0)):
        dist = values.get(f"effect.{key}.dist")
        for part in DIST_KEYS.get(dist, ()):
            if part == "sd":
                continue
            path = f"effect.{key}.{part}"
            out.append(Field(path, f"{words} ({'value' if part == 'value' else part})", (path,), unit=unit,
                             scale=scale))
    return out


def defaults(scenario: Scenario) -> dict[str, str]:
    values = common_values(scenario)
    return {f.name: shown(f, values.get(f.name)) for f in fields(scenario)}


def stresses(loaded: Loaded) -> dict[str, str]:
    """Stress names this scenario can use, with what each does."""
    return {name: DESCRIPTIONS.get(name, "from the scenario file: " + ", ".join(f"{k} = {v}" for k, v in table.items()))
            for name, table in available(loaded.raw).items()}


def check(loaded: Loaded, form: Mapping[str, str], chosen: Sequence[str], mode: str) -> Checked:
    """The form's changes, then the ticked stresses and the mode; every step validated."""
    sc = loaded.scenario
    checked = check_form(loaded.raw, fields(sc), form, defaults(sc), lambda f, t: {f.paths[0]: scaled(f, t)},
                         source=loaded.name)
    if checked.scenario is None:
        return checked
    raw = checked.raw
    if mode in MODES and mode != sc.simulation.mode:
        raw = {**raw, "simulation": {**raw.get("simulation", {}), "mode": mode}}
    try:
        raw = apply_stresses(raw, [s for s in chosen if s in available(raw)], source=loaded.name)
        return Checked(scenario_from_dict(raw, source=loaded.name, sha256=loaded.sha256), raw, {}, checked.changes)
    except ScenarioError as err:
        return Checked(None, raw, {GENERAL: str(err)}, checked.changes)
