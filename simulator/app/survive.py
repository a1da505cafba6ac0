"""Page 1, "Can we survive this subcontract?": the answer in plain English, then the evidence.

The headline comes from the simulation: the chance the subcontractor's cash runs out and
when, the working capital that keeps it safe at the level the user picks, and (on asking)
the upfront share or reserves that bring the chance under that level, found by the
break-even search on common random numbers (:func:`simulator.studies.solve`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..outputs import plots
from ..outputs.cash_out import cash_out_chance
from ..outputs.labels import fmt
from ..outputs.plain import when_text
from ..outputs.units import gbp_text
from ..results import Results
from ..results.cash import cash_out_months, party_reserves
from ..studies.breakeven import Breakeven, Target, solve
from .contract import Contract, defaults, fields, load_contract, overrides, plain_number, subcontractors
from .forms import Checked, Field, check_form
from .html import TIMING, e, field_html, fields_html, figure, general_error, hidden, page
from .runs import MAX_SIMS, png_uri, run, solve_locked

SIMS, SEED, LEVEL = 2_000, 7, 5.0
FIND = {"upfront share": ("upfront", "upfront_share", 0.005), "reserves": ("reserves", "reserves_gbp", None)}


@dataclass
class Settings:
    """The page's own settings (not scenario values), with their errors."""

    level: float
    sims: int
    seed: int
    find: str
    errors: dict[str, str]


def settings(form: Mapping[str, str]) -> Settings:
    level, e1 = plain_number(form.get("level"), LEVEL, low=0.1, high=50, what="The limit")
    sims, e2 = plain_number(form.get("sims"), SIMS, low=100, high=MAX_SIMS, what="Simulations")
    seed, e3 = plain_number(form.get("seed"), SEED, low=0, high=2**32 - 1, what="The seed")
    errors = {k: v for k, v in (("level", e1), ("sims", e2), ("seed", e3)) if v}
    find = form.get("find") if form.get("find") in FIND else "upfront share"
    return Settings(level / 100, int(sims), int(seed), find, errors)


def pct(p: float) -> str:
    return f"{100 * p:.1f}%" if 0 < p < 0.01 else f"{100 * p:.0f}%"


def working_capital(results: Results, party: str, level: float) -> float:
    """Peak funding at the (1 - level) quantile: the working capital that keeps the chance of running out under level."""
    return float(np.percentile(results.arrays["peak_funding"][:, results.party_index(party)], 100 * (1 - level)))


def headline(results: Results, c: Contract, level: float) -> list[str]:
    """The answer: chance and timing of running out, and the working capital that keeps it under ``level``."""
    p = results.party_index(c.sub)
    chance = float(results.summary()["parties"][c.sub]["prob_reserves_exhausted"])
    months = cash_out_months(results)[:, p]
    when = when_text(months[months >= 0], results.scenario.timeline.start_date)
    reserves, credit = party_reserves(results)
    has = float(reserves[p] + credit[p])
    need = working_capital(results, c.sub, level)
    first = (f"In {pct(chance)} of {results.sims:,} simulated futures your cash runs out{when}." if chance > 0 else
             f"In none of {results.sims:,} simulated futures does your cash run out.")
    safe = f"To be {1 - level:.0%} safe you would need {gbp_text(need)} of working capital"
    second = (f"{safe}; you have {gbp_text(has)} in reserves and credit." if need > has else
              f"{safe}, and you have {gbp_text(has)} in reserves and credit: enough.")
    return [first, second]


def found_sentence(result: Breakeven, what: str, level: float) -> str:
    """The break-even answer in plain English."""
    goal = f"{'keeps' if what == 'upfront share' else 'keep'} the chance of running out under {level:.0%}"
    if result.status == "all_met":
        return f"Any {what} in the range searched already {goal}."
    if result.status == "none_met":
        best = "100% of your fee up front" if what == "upfront share" else f"reserves of {gbp_text(result.high)}"
        return f"Even {best} does not: the {what} alone cannot keep the chance under {level:.0%}."
    amount = f"at least {math.ceil(result.value * 100 - 1e-9):.0f}% of your fee paid up front" \
        if what == "upfront share" else f"reserves of at least {gbp_text(math.ceil(result.value / 1000) * 1000)}"
    se = "" if result.se is None else (f" (Monte Carlo uncertainty ±{100 * result.se:.1f} points)"
                                       if what == "upfront share" else f" (Monte Carlo uncertainty ±{gbp_text(result.se)})")
    return f"{amount[0].upper()}{amount[1:]} {goal}{se}."


def find(checked: Checked, c: Contract, s: Settings, values: dict[str, str], need: float) -> tuple[str, dict]:
    """Search the upfront share or the reserves; put the answer in its box (rounded to the safe side)."""
    box, key, xtol = FIND[s.find]
    raw = {k: v for k, v in checked.raw.items() if k != "stress"}
    high = 1.0 if box == "upfront" else max(1e5, 2 * need)
    result = solve_locked(solve, raw, c.path(key), Target(c.sub, "prob_reserves_exhausted", "<=", s.level), low=0.0,
                          high=high, sims=s.sims, seed=s.seed, source=c.source, grid=5, xtol=xtol or high / 400)
    if result.status == "solved":
        value = math.ceil(result.value * 100 - 1e-9) if box == "upfront" else math.ceil(result.value / 1000) * 1000
        values = {**values, box: f"{value:g}"}
    return found_sentence(result, s.find, s.level), values


def _check(c: Contract, values: Mapping[str, str]) -> Checked:
    return check_form(c.raw, fields(c), values, defaults(c), lambda f, t: overrides(c, f, t), source=c.source)


def page_one(contract_path, form: Mapping[str, str] | None = None, *, action: str = "run") -> str:
    """The whole page for a GET (``form`` None: the contract as it is) or a POST."""
    started = time.perf_counter()
    sub = (form or {}).get("sub")
    c = load_contract(contract_path, sub)
    base = defaults(c)
    values = {**base, **{k: v for k, v in (form or {}).items() if k in base}} if (form or {}).get("shown_sub") == c.sub \
        else dict(base)
    s = settings(form or {})
    found = ""
    checked = _check(c, values)
    results = None
    if checked.scenario is not None and not s.errors:
        if action == "find":
            results, _ = run(checked.scenario, sims=s.sims, seed=s.seed)
            found, values = find(checked, c, s, values, working_capital(results, c.sub, s.level))
            checked = _check(c, values)
        results, _ = run(checked.scenario, sims=s.sims, seed=s.seed)
    text = render(c, values, checked, s, results, found)
    return text.replace(TIMING, f"{time.perf_counter() - started:.2f}")


def render(c: Contract, values, checked: Checked, s: Settings, results: Results | None, found: str) -> str:
    errors = {**checked.errors, **s.errors}
    if results is None:
        top = ['<div class="headline" id="headline"><p>Fix the boxes marked in red to see the answer.</p></div>']
    else:
        lines = headline(results, c, s.level) + ([found] if found else [])
        top = ['<div class="headline" id="headline">' + "".join(f"<p>{e(x)}</p>" for x in lines) + "</div>",
               _loss_line(results, c)]
    body = ["<h1>Can we survive this subcontract?</h1>", *top, _form(c, values, errors, s),
            _contract_text(c)]
    if results is not None:
        body += ['<div class="figs">',
                 figure(png_uri(plots.cash_fan(results, c.sub)), f"Cash position over the contract: {c.sub}"),
                 figure(png_uri(cash_out_chance(results, c.sub, level=s.level)), "Chance of having run out of cash"),
                 "</div>", _footer(c, checked, s)]
    return page("Can we survive this subcontract?", body)


def _loss_line(results: Results, c: Contract) -> str:
    m = results.summary()["parties"][c.sub]
    return (f'<p class="subtle" id="loss">Over the whole contract you make a loss in {pct(m["prob_loss"])} of '
            f'futures (±{100 * m["prob_loss_se"]:.1f} points); the middle result is {gbp_text(m["npv_gbp"]["p50"])} '
            "in today's money.</p>")


def _form(c: Contract, values, errors, s: Settings) -> str:
    subs = subcontractors(c.scenario)
    page_fields = [
        field_html(Field("level", "Keep the chance of running out under", (), unit="%"), f"{100 * s.level:g}",
                     errors.get("level")),
        field_html(Field("find", "Find the", (), options=tuple(FIND)), s.find, None),
    ]
    advanced = [field_html(Field("sub", "You are", (), options=tuple(subs)), c.sub, None),
                field_html(Field("sims", "Simulated futures", ()), str(s.sims), errors.get("sims")),
                field_html(Field("seed", "Seed", ()), str(s.seed), errors.get("seed"))]
    return "".join([
        '<form method="post" action="/" id="survive">', hidden("shown_sub", c.sub), general_error(errors),
        "<fieldset><legend>Your subcontract</legend>", fields_html(fields(c), values, errors), "</fieldset>",
        '<fieldset><legend>Your limit</legend><div class="grid">', *page_fields, "</div></fieldset>",
        '<button type="submit" name="action" value="run" id="run">Show the answer</button>',
        '<button type="submit" name="action" value="find" id="find">Find what keeps us under the limit</button>',
        '<details><summary>More settings</summary><div class="grid">', *advanced, "</div></details></form>"])


def _contract_text(c: Contract) -> str:
    fee = c.area.payment.fee_for_service
    return (f'<p class="subtle">The contract: {e(c.scenario.name)} (<code>{e(c.source)}</code>). The prime is '
            f"paid {fmt(c.fee_per_case, 'gbp')} a case, falling {fee.learning_curve_discount:.0%} a year; outcome "
            "payments are settled years after the work. The other terms are the contract's; change them on the "
            '<a href="/scenario">Any scenario</a> page.</p>')


def _footer(c: Contract, checked: Checked, s: Settings) -> str:
    sets = " ".join(f"--set {k}={v:.10g}" if isinstance(v, float) else f"--set {k}={v}" for k, v in checked.changes.items())
    return (f'<p class="subtle" id="timing">Computed in {TIMING} s ({s.sims:,} simulations, seed {s.seed}). '
            f"The same run in a terminal: <code>pbrsim run {e(c.source)} --sims {s.sims} --seed {s.seed} "
            f"{e(sets)}</code></p>")
