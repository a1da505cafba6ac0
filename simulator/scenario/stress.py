"""Named stress presets: the shocks bid teams, charities and researchers ask about.

A stress is a table of ``key path -> value`` overrides (see :mod:`.keypaths`);
a string value ``'*0.7'`` multiplies the scenario's own value, ``'+2'``/``'-2'`` adds to it.
Built-in presets are below; a scenario file adds its own under ``[stress.NAME]``::

    [stress.half_effect]
    "effect.binary_points.mean" = 0.5
    "supply_chain.subcontractors.1.upfront_share" = 0.5

Stresses given together are applied in order, so their effects compound.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import ScenarioError
from .keypaths import apply_overrides, flatten_table
from .validate import validate

PRESETS: dict[str, dict[str, Any]] = {
    # NAO HC 676: paid volumes came in 15-48% below bid; 30% is mid-range.
    "volume_down_30": {"volume.factor_mean": "*0.7"},
    # The intervention does nothing: only noise, shocks and baseline error move the results.
    "zero_effect": {
        "effect.binary_points": {"dist": "fixed", "value": 0.0},
        "effect.frequency_relative": {"dist": "fixed", "value": 0.0},
    },
    # A national change (sentencing, policing, recording) raises reoffending in every cohort.
    "common_shock_plus_2": {"uncertainty.common_shock_points_mean": "+2"},
    # Outcome payments arrive 6 months later than planned (data or calculation delays).
    "payment_delay_6m": {"timeline.processing_lag_months": "+6"},
}

DESCRIPTIONS = {
    "volume_down_30": "caseload volume falls 30% (volume.factor_mean x 0.7)",
    "zero_effect": "true intervention effect is zero (binary and frequency)",
    "common_shock_plus_2": "a common shock raises reoffending 2 points (uncertainty.common_shock_points_mean + 2)",
    "payment_delay_6m": "PbR payments 6 months late (timeline.processing_lag_months + 6)",
}


def user_stresses(raw: Mapping) -> dict[str, dict[str, Any]]:
    """The ``[stress.NAME]`` tables of a scenario file, each flattened to key paths."""
    table = raw.get("stress", {})
    return {name: flatten_table(entry) for name, entry in table.items() if isinstance(entry, Mapping)}


def available(raw: Mapping) -> dict[str, dict[str, Any]]:
    """Every stress usable with this scenario: the built-in presets, then the file's own."""
    return {**{k: flatten_table(v) for k, v in PRESETS.items()}, **user_stresses(raw)}


def check_user_stresses(raw: Mapping, *, source: str) -> None:
    """Validate ``[stress.NAME]`` tables: known names, known keys, and values the scenario accepts."""
    table = raw.get("stress")
    if not isinstance(table, Mapping):
        raise ScenarioError(source, "stress", "must be a table of [stress.NAME] tables", table)
    base = {k: v for k, v in raw.items() if k != "stress"}
    for name, entry in table.items():
        where = f"stress.{name}"
        if name in PRESETS:
            raise ScenarioError(source, where, f"is a built-in preset name; choose another "
                                f"(built-in: {', '.join(PRESETS)})", has_value=False)
        if not isinstance(entry, Mapping) or not entry:
            raise ScenarioError(source, where, "must be a table of key path = value overrides", entry)
        try:
            validate(apply_overrides(base, flatten_table(entry), source=source), source=source)
        except ScenarioError as exc:
            raise ScenarioError(source, f"{where}: {exc.key_path}" if exc.key_path else where, exc.rule,
                                exc.value, has_value=exc.has_value, value_text=exc.value_text) from None


def apply_stresses(raw: dict, names: Iterable[str], *, source: str = "<memory>") -> dict:
    """``raw`` with each named stress applied in turn; the name records what was applied."""
    names = list(names)
    if not names:
        return raw
    known = available(raw)
    out = raw
    for name in names:
        if name not in known:
            raise ScenarioError(source, "", f"has no stress named '{name}' (available: {', '.join(known)}; "
                                "add your own under [stress.NAME])", has_value=False)
        out = apply_overrides(out, known[name], source=f"{source} [stress {name}]")
    out = dict(out)
    out["name"] = f"{raw.get('name', 'scenario')} [stress: {', '.join(names)}]"
    return out

