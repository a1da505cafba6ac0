"""HTML pieces of the app's pages: the page shell, form fields with their errors, figures.

Server-rendered and script-free: a form posts, the page comes back with the answer. Every
text from a user or a scenario file is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping

from .forms import GENERAL, Field

e = html.escape
TIMING = "<!--seconds-->"  # replaced by the time the whole page took, once it is drawn

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;max-width:1180px;margin:1em auto;
padding:0 1em;color:#111;line-height:1.4}
nav{margin-bottom:1em}nav a{margin-right:1.5em}
.headline{font-size:1.35em;border:2px solid #222;padding:.7em 1em;margin:.5em 0 1em;background:#f4f4f4}
.headline p{margin:.3em 0}.subtle{color:#444;font-size:.92em}
form .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(270px,1fr));gap:.6em 1.2em}
label{display:block;font-weight:600;font-size:.92em}.hint{font-weight:400;color:#444;font-size:.85em}
input[type=text],select{width:100%;box-sizing:border-box;padding:.35em;font-size:1em;border:1px solid #777}
.unit{color:#444;font-size:.85em}.error{color:#a00;font-weight:600;font-size:.88em;display:block}
input.bad{border:2px solid #a00}button{font-size:1em;padding:.45em 1em;margin:.6em .6em 0 0;cursor:pointer}
fieldset{border:1px solid #bbb;margin:.8em 0;padding:.6em .9em}legend{font-weight:700}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em;max-width:100%}
th,td{border:1px solid #999;padding:.25em .6em;overflow-wrap:anywhere}th{background:#eee;text-align:left}
td.num{text-align:right;white-space:nowrap}figure{margin:1em 0}figure img{max-width:100%;height:auto;
border:1px solid #ccc}.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:1em}
code{font-size:.88em;overflow-wrap:anywhere}.downloads button{margin-top:.3em}
"""


def page(title: str, body: Iterable[str], *, reload_after: int | None = None) -> str:
    """A whole page: the two pages' navigation, then ``body`` (``reload_after`` seconds: the browser asks again)."""
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        *([f'<meta http-equiv="refresh" content="{int(reload_after)}">'] if reload_after else []),
        f"<title>{e(title)}: pbrsim</title><style>{CSS}</style></head><body>",
        '<nav><a href="/">Can we survive this subcontract?</a><a href="/scenario">Any scenario</a></nav>',
        *body, "</body></html>"])


def field_html(f: Field, value: str, error: str | None) -> str:
    """A labelled box (or a choice) with its unit, hint and error."""
    bad = ' class="bad" aria-invalid="true"' if error else ""
    if f.options:
        opts = "".join(f'<option value="{e(o)}"{" selected" if o == value else ""}>{e(o)}</option>' for o in f.options)
        box = f'<select id="f-{e(f.name)}" name="{e(f.name)}"{bad}>{opts}</select>'
    else:
        box = f'<input type="text" inputmode="decimal" id="f-{e(f.name)}" name="{e(f.name)}" value="{e(value)}"{bad}>'
    unit = f' <span class="unit">{e(f.unit)}</span>' if f.unit else ""
    hint = f'<span class="hint">{e(f.hint)}</span>' if f.hint else ""
    err = f'<span class="error" id="err-{e(f.name)}">{e(error)}</span>' if error else ""
    return f'<div><label for="f-{e(f.name)}">{e(f.label)}{unit}</label>{hint}{box}{err}</div>'


def fields_html(fields: Iterable[Field], values: Mapping[str, str], errors: Mapping[str, str]) -> str:
    return '<div class="grid">' + "".join(field_html(f, values.get(f.name, ""), errors.get(f.name))
                                          for f in fields) + "</div>"


def general_error(errors: Mapping[str, str]) -> str:
    if GENERAL not in errors:
        return ""
    return f'<p class="error" id="err-general">{e(errors[GENERAL])}</p>'


def figure(uri: str, alt: str) -> str:
    return f'<figure><img alt="{e(alt)}" src="{uri}"></figure>'


def hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{e(name)}" value="{e(value)}">'
