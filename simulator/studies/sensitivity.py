"""What drives a party's result: a tornado of inputs and contract terms on common random numbers.

``tornado(scenario, party=..., metric=...)`` moves one thing at a time and reruns the
scenario with the same seed:

- each **uncertain input** the scenario draws once per simulation (or per area: see
  :func:`simulator.engine.uncertain_inputs`) is set to its 10th and then its 90th
  percentile in every simulation, everything else drawn as usual (the engine's external
  inputs). Inputs drawn many times (every cohort's shock, every period's volume noise, every
  segment's baseline) are moved together: one bar says what a run of luck that way costs;
- each **contract term** (``--term KEY``, or the defaults: prices, upfront shares, risk
  splits, management fees) is moved down and up by a stated amount.

Each bar's two ends are the metric's differences from the base run, with **paired**
standard errors (the per-simulation differences, as in :mod:`.compare`), and the swing
(high minus low) has its own paired s.e. Bars are sorted by the size of the swing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..engine import ExternalInputs, simulate, uncertain_inputs
from ..engine.external import GROUP_LABELS
from ..errors import ScenarioError
from ..scenario import Scenario
from ..scenario.keypaths import get_value, parse_key_path, schema_at
from .compare import PARTY_METRICS, _metric_row, _per_sim_values  # the paired differences of issue 12
from .designs import Design, as_design
from .drawing import draw
from .tables import open_folder, write_csv, write_json

LOW, HIGH = 0.10, 0.90
SHARE_MOVE, MONEY_MOVE = 0.05, 0.10  # default moves: 5 points for shares and rates, 10% for amounts
TORNADO_FILES = ("tornado.csv", "tornado.json")
_TERM = re.compile(r"^\s*(?P<key>[^:]+?)\s*(?::\s*(?P<amount>[0-9.eE+]+)\s*(?P<pct>%)?)?\s*$")
COLUMNS = ["input", "kind", "low_setting", "high_setting", "low_value", "high_value", "low_diff", "low_diff_se",
           "high_diff", "high_diff_se", "swing", "swing_se"]


@dataclass(frozen=True)
class TermMove:
    """A contract term moved down and up by ``amount`` (a fraction of its value when ``relative``)."""

    key: str
    amount: float
    relative: bool

    def __str__(self) -> str:
        return f"{self.key}:{self.amount * 100:g}%" if self.relative else f"{self.key}:{self.amount:g}"


def parse_term(text: str, raw: Mapping, *, source: str) -> TermMove:
    """``KEY`` (default move), ``KEY:AMOUNT`` (absolute) or ``KEY:PCT%`` (relative)."""
    match = _TERM.match(text)
    if match is None:
        raise ScenarioError("--term", text, "must be KEY, KEY:AMOUNT or KEY:PERCENT% (e.g. "
                            "'payment.fee_for_service.rate_gbp:10%')", has_value=False)
    key = match["key"]
    leaf = schema_at(raw, parse_key_path(key, source="--term"), source="--term", text=key)
    if leaf.annotation not in (int, float):
        raise ScenarioError("--term", key, "is not a number, so it cannot be moved up and down", has_value=False)
    if match["amount"] is None:
        share = _is_share(leaf)
        return TermMove(key, SHARE_MOVE if share else MONEY_MOVE, relative=not share)
    amount = float(match["amount"]) / (100.0 if match["pct"] else 1.0)
    if not (math.isfinite(amount) and amount > 0):
        raise ScenarioError("--term", text, "the amount must be a number > 0", match["amount"])
    return TermMove(key, amount, relative=bool(match["pct"]))


def _is_share(leaf) -> bool:
    return "_unit" in [getattr(m.func, "__name__", "") for m in leaf.metadata if hasattr(m, "func")]


def default_terms(scenario: Scenario) -> list[str]:
    """Prices, upfront shares, risk splits and management fees that are set (non-zero) in the first area."""
    area = scenario.areas[0]
    prices = {"payment.fee_for_service.rate_gbp": area.payment.fee_for_service.rate_gbp,
              "payment.pbr.binary_gbp_per_point_per_offender": area.payment.pbr.binary_gbp_per_point_per_offender,
              "payment.pbr.frequency_gbp_per_reoffence": area.payment.pbr.frequency_gbp_per_reoffence}
    keys = [k for k, v in prices.items() if v > 0]
    for i, sub in enumerate(area.supply_chain.subcontractors):
        for name in ("upfront_share", "pbr_upside_share", "deduction_share", "management_fee"):
            if name == "upfront_share" or getattr(sub, name) > 0:
                keys.append(f"supply_chain.subcontractors.{i}.{name}")
    return keys


def _term_settings(design: Design, move: TermMove) -> tuple[tuple[str, str], tuple[float, float]]:
    """The overrides for the low and high ends (relative, so each area moves from its own value)."""
    parts = parse_key_path(move.key, source="--term")
    leaf = schema_at(design.raw, parts, source="--term", text=move.key)
    current = get_value(design.scenario().model_dump(mode="json"), ("areas", 0, *parts)
                        if parts[0] not in ("uncertainty", "effect", "money", "timeline") else parts, leaf.default)
    current = float(current or 0.0)
    if move.relative:
        return (f"*{1 - move.amount!r}", f"*{1 + move.amount!r}"), (current * (1 - move.amount),
                                                                    current * (1 + move.amount))
    down = min(move.amount, current) if _is_share(leaf) or current >= 0 else move.amount
    up = min(move.amount, 1.0 - current) if _is_share(leaf) else move.amount
    return (f"-{down!r}", f"+{up!r}"), (current - down, current + up)


@dataclass(frozen=True)
class TornadoResult:
    """One bar per input or term: ends and swing with paired s.e.; ``base`` is the metric of the base run."""

    party: str
    metric: str
    sims: int
    seed: int
    base: float
    base_se: float
    table: object  # pandas.DataFrame with COLUMNS, sorted by |swing|

    def to_frame(self):
        return self.table.copy()

    def plot(self, ax=None):
        """The tornado chart; see ``outputs.sensitivity_plots``."""
        return draw("tornado", self.to_frame(), ax=ax, metric=self.metric, base=self.base, party=self.party)

    def save(self, out_dir: str | Path, *, force: bool = False) -> list[Path]:
        out = open_folder(out_dir, TORNADO_FILES, force=force)
        meta = {"study": "tornado", "party": self.party, "metric": self.metric, "sims": self.sims, "seed": self.seed,
                "base": self.base, "base_se": self.base_se, "quantiles": [LOW, HIGH]}
        return [write_csv(self.table, out / TORNADO_FILES[0]), write_json(meta, out / TORNADO_FILES[1])]


def check_party_metric(scenario: Scenario, party: str, metric: str, metrics: Sequence[str] = PARTY_METRICS) -> None:
    if party not in scenario.party_names():
        raise ScenarioError("--party", party, f"is not a party (parties: {', '.join(scenario.party_names())})",
                            has_value=False)
    if metric not in metrics:
        raise ScenarioError("--metric", metric, f"is not a metric here (metrics: {', '.join(metrics)})",
                            has_value=False)


def tornado(scenario_or_raw, *, party: str, metric: str = "npv_gbp_mean", terms: Sequence[str] | None = None,
            sims: int = 2_000, seed: int = 7, progress: Callable[[int, int], None] | None = None) -> TornadoResult:
    """The tornado table of ``party``'s ``metric`` (see the module doc); ``terms`` default to :func:`default_terms`."""
    design = as_design(scenario_or_raw)
    scenario = design.scenario()
    check_party_metric(scenario, party, metric)
    moves = [parse_term(t, design.raw, source=design.source) for t in (terms if terms is not None
                                                                          else default_terms(scenario))]
    groups = list(dict.fromkeys(c.group for c in uncertain_inputs(scenario)))
    settings = [(GROUP_LABELS[g], "uncertain input", f"P{LOW * 100:.0f}", f"P{HIGH * 100:.0f}", g) for g in groups]
    settings += [(m.key, "contract term", *_term_settings(design, m)[1], m) for m in moves]
    total, done = 1 + 2 * len(settings), [0]

    def run(scenario_now: Scenario, inputs: ExternalInputs | None = None) -> dict:
        res = simulate(scenario_now, sims=sims, seed=seed, keep_monthly=False, keep_components=False, inputs=inputs)
        done[0] += 1
        if progress is not None:
            progress(done[0], total)
        return _per_sim_values(res)[party]

    base = run(scenario)
    rows = [_bar(name, kind, lo_text, hi_text, *_ends(run, design, scenario, what, sims), base, party, metric)
            for name, kind, lo_text, hi_text, what in settings]
    base_row = _metric_row("base", party, metric, base, None)
    import pandas as pd

    table = pd.DataFrame(rows, columns=COLUMNS)
    table = table.reindex(table["swing"].abs().sort_values(ascending=False, kind="stable").index).reset_index(drop=True)
    return TornadoResult(party, metric, sims, seed, base_row["value"], base_row["se"], table)


def _ends(run, design: Design, scenario: Scenario, what, sims: int) -> tuple[dict, dict]:
    if isinstance(what, TermMove):
        (lo, hi), _ = _term_settings(design, what)
        return run(design.scenario({what.key: lo})), run(design.scenario({what.key: hi}))
    return (run(scenario, ExternalInputs.from_quantiles(scenario, {what: LOW}, sims=sims)),
            run(scenario, ExternalInputs.from_quantiles(scenario, {what: HIGH}, sims=sims)))


def _bar(name, kind, lo_text, hi_text, low: dict, high: dict, base: dict, party: str, metric: str) -> dict:
    lo, hi = _metric_row("low", party, metric, low, base), _metric_row("high", party, metric, high, base)
    swing = _metric_row("swing", party, metric, high, low)
    return {"input": name, "kind": kind, "low_setting": lo_text, "high_setting": hi_text, "low_value": lo["value"],
            "high_value": hi["value"], "low_diff": lo["diff"], "low_diff_se": lo["diff_se"], "high_diff": hi["diff"],
            "high_diff_se": hi["diff_se"], "swing": swing["diff"], "swing_se": swing["diff_se"]}
