"""Page 2's HTML and downloads: the boxes, every party's table and charts, TOML/report/workbook.

A download rebuilds the scenario from the same form and reads the same cached run, so the
file holds what the page showed; the TOML download runs to the same numbers with
``pbrsim run scenario.toml --sims N --seed S``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import tomli_w

from ..outputs import plots
from ..outputs.plain import plain_lines
from ..outputs.report import overview_table, render_report
from ..outputs.report_plan import detailed_parties
from ..outputs.workbook import build_workbook
from ..results import Results
from .explore import MODES, Checked, Loaded, defaults, fields, stresses
from .forms import Field
from .html import TIMING, e, field_html, fields_html, figure, general_error, hidden, page
from .runs import png_uri

SIMS, SEED = 2_000, 7
CHARTED_ALL_UP_TO = 6


def scenario_toml(loaded: Loaded, checked: Checked, *, sims: int, seed: int) -> str:
    """The scenario as run, as TOML, with a header saying where it came from and how to rerun it."""
    changes = ", ".join(f"{k} = {v!r}" for k, v in checked.changes.items()) or "none"
    head = [f"# Written by pbrsim app from {loaded.name} (SHA-256 {loaded.sha256[:16]}...).",
            f"# Changed on the page: {changes}.",
            f"# The page's numbers: pbrsim run scenario.toml --sims {sims} --seed {seed}", ""]
    return "\n".join(head) + tomli_w.dumps(checked.raw)


def report_bytes(results: Results) -> bytes:
    return render_report(results).encode("utf-8")


def workbook_bytes(results: Results) -> bytes:
    buf = io.BytesIO()
    build_workbook(results).save(buf)
    return buf.getvalue()


def charted_parties(results: Results, wanted: str | None) -> list[str]:
    """Parties whose charts are drawn: all of a small scenario; the one asked for (or most at risk) of a large one."""
    if len(results.party_names) <= CHARTED_ALL_UP_TO:
        return list(results.party_names)
    return [wanted] if wanted in results.party_names else detailed_parties(results)[:1]


def render(loaded: Loaded, values: Mapping[str, str], checked: Checked, *, chosen: Sequence[str], mode: str,
           sims: int, seed: int, results: Results | None, chart: str | None = None,
           errors: Mapping[str, str] | None = None) -> str:
    errors = {**checked.errors, **(errors or {})}
    body = ["<h1>Any scenario</h1>", _upload(), _form(loaded, values, errors, chosen, mode, sims, seed, results, chart)]
    if results is None:
        body.insert(1, '<div class="headline" id="headline"><p>Fix the boxes marked in red to see the results.</p></div>')
    else:
        body.insert(1, '<div class="headline" id="headline">' + "".join(f"<p>{e(x)}</p>" for x in
                                                                          plain_lines(results).splitlines()) + "</div>")
        body += _results(results, chart, sims, seed)
    return page("Any scenario", body)


def _upload() -> str:
    return ('<form method="post" action="/scenario/load" enctype="multipart/form-data" id="upload">'
            '<label for="file">Load a scenario file (.toml)</label><input type="file" id="file" name="file" '
            'accept=".toml"><button type="submit">Load</button></form>')


def _form(loaded: Loaded, values, errors, chosen, mode, sims, seed, results, chart) -> str:
    options = stresses(loaded)
    boxes = "".join(f'<label><input type="checkbox" name="stress" value="{e(n)}"{" checked" if n in chosen else ""}>'
                    f' {e(n)} <span class="hint">{e(d)}</span></label>' for n, d in options.items())
    run_fields = [field_html(Field("sims", "Simulations", ()), str(sims), errors.get("sims")),
                  field_html(Field("seed", "Seed", ()), str(seed), errors.get("seed")),
                  field_html(Field("mode", "Mode", (), options=MODES), mode, None)]
    if results is not None and len(results.party_names) > CHARTED_ALL_UP_TO:
        run_fields.append(field_html(Field("chart", "Party to chart", (), options=tuple(results.party_names)),
                                       charted_parties(results, chart)[0], None))
    sc = loaded.scenario
    return "".join([
        '<form method="post" action="/scenario" id="explore">', hidden("toml", loaded.text),
        hidden("name", loaded.name),
        f'<p class="subtle">Scenario: <b>{e(sc.name)}</b> from <code>{e(loaded.name)}</code>; '
        f"{len(sc.areas)} area(s), parties {e(', '.join(sc.party_names()[:8]))}"
        f"{' ...' if len(sc.party_names()) > 8 else ''}. An empty box keeps each area's own value.</p>",
        general_error(errors), "<fieldset><legend>Key terms</legend>",
        fields_html(fields(sc), values, errors), "</fieldset>",
        f'<fieldset><legend>Stresses</legend><div class="grid">{boxes}</div></fieldset>',
        f'<fieldset><legend>Run</legend><div class="grid">{"".join(run_fields)}</div></fieldset>',
        '<button type="submit" id="rerun">Run</button><span class="downloads">',
        *(f'<button type="submit" formaction="/scenario/download/{k}" id="download-{k}">Download {w}</button>'
          for k, w in (("toml", "scenario.toml"), ("report", "report.html"), ("xlsx", "results.xlsx"))),
        "</span></form>"])


def _results(results: Results, chart: str | None, sims: int, seed: int) -> list[str]:
    figs = [figure(png_uri(plots.cash_fan(results)), "Cash position, all parties"),
            figure(png_uri(plots.npv_distribution(results)), "NPV, all parties")]
    figs += [figure(png_uri(plots.cash_fan(results, party)), f"Cash position: {party}")
             for party in charted_parties(results, chart)]
    return ['<h2>Every party</h2>', overview_table(results.summary()), '<div class="figs">', *figs, "</div>",
            f'<p class="subtle" id="timing">Computed in {TIMING} s ({sims:,} simulations, seed {seed}, '
            f"{results.scenario.simulation.mode} mode). Download scenario.toml and run "
            f"<code>pbrsim run scenario.toml --sims {sims} --seed {seed}</code> for the same numbers.</p>"]


def page_values(loaded: Loaded, form: Mapping[str, str]) -> dict[str, str]:
    """The boxes' texts: the form's for this scenario, else the scenario's own."""
    base = defaults(loaded.scenario)
    return {k: form.get(k, v) for k, v in base.items()}

