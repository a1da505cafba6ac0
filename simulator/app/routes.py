"""The app's addresses: Starlette routes over the two pages, with the app's safety rules.

Rules: only requests addressed to 127.0.0.1 or localhost are answered (a web page elsewhere
cannot reach the app through DNS tricks); pages carry a content security policy that allows
no script and no outside resource; the app opens no file named in a request and runs no
shell. Simulations run in a worker thread, so the server stays responsive.
"""

from __future__ import annotations

import time
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ..errors import PbrsimError
from .contract import BUNDLED, plain_number, shown_path
from .explore import MAX_UPLOAD, Loaded, check, load_text
from .explore_page import SEED, SIMS, page_values, render, report_bytes, scenario_toml, workbook_bytes
from .html import TIMING, e, page
from .runs import MAX_SIMS, WarmUp, run
from .survive import page_one

HOSTS = ["127.0.0.1", "localhost"]
POLICY = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'self'; "
          "frame-ancestors 'none'; base-uri 'none'")
DOWNLOADS = {"toml": ("scenario.toml", "application/toml"), "report": ("report.html", "text/html"),
             "xlsx": ("results.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers={"Content-Security-Policy": POLICY,
                                                           "X-Content-Type-Options": "nosniff"})


def _problem(message: str) -> HTMLResponse:
    return _html(page("Problem", [f'<p class="error" id="err-general">{e(message)}</p>',
                                    '<p><a href="/">Back</a></p>']), status=400)


def getting_ready(thread) -> str:
    """The page shown while the first start's warm-up ``thread`` compiles (what and how long: :class:`.runs.WarmUp`;
    a plain thread: the engine); it reloads itself."""
    what, takes = getattr(thread, "what", WarmUp.what), getattr(thread, "takes", WarmUp.takes)
    return page("Getting ready", [
        f'<div class="headline" id="getting-ready"><p>Getting ready: pbrsim is preparing {e(what)} for this '
        f'computer. This happens on the first start only and takes {e(takes)}.</p></div>',
        '<p class="subtle">This page reloads by itself and shows the answer when it is ready.</p>'], reload_after=2)


def create_app(scenario: Path | None = None, *, hosts: list[str] | None = None) -> Starlette:
    """The app; ``scenario`` (chosen on the command line) is page 2's first scenario and page 1's contract.

    While ``web.state.warming`` (the first start's compile, :func:`.runs.warm_up`) is running,
    a page asked for without a form gets :func:`getting_ready`, which reloads itself, rather
    than a blank wait.
    """
    first = Path(scenario) if scenario else BUNDLED
    initial = load_text(first.read_text(encoding="utf-8"), shown_path(first))

    def warming(request: Request) -> str | None:
        """The getting-ready page while the warm-up thread runs (a GET only), else None."""
        thread = getattr(request.app.state, "warming", None)
        if request.method != "GET" or thread is None or not thread.is_alive():
            return None
        return getting_ready(thread)

    async def survive(request: Request) -> Response:
        if ready := warming(request):
            return _html(ready)
        form = dict(await request.form()) if request.method == "POST" else None
        action = (form or {}).get("action", "run")
        try:
            return _html(await run_in_threadpool(page_one, scenario, form, action=action))
        except PbrsimError as exc:
            return _problem(str(exc))

    async def any_scenario(request: Request) -> Response:
        if ready := warming(request):
            return _html(ready)
        if request.method == "GET":
            return _html(await run_in_threadpool(_explore, initial, {}, []))
        form = await request.form()
        try:
            loaded = load_text(str(form.get("toml", "")), str(form.get("name", "scenario.toml")))
        except PbrsimError as exc:
            return _problem(str(exc))
        return _html(await run_in_threadpool(_explore, loaded, dict(form), form.getlist("stress")))

    async def load(request: Request) -> Response:
        form = await request.form(max_part_size=MAX_UPLOAD + 1)
        upload = form.get("file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return _problem("choose a scenario file (.toml) to load")
        data = await upload.read(MAX_UPLOAD + 1)
        try:
            loaded = load_text(data.decode("utf-8"), Path(upload.filename).name)
        except UnicodeDecodeError:
            return _problem(f"{upload.filename}: is not UTF-8 text")
        except PbrsimError as exc:
            return _problem(str(exc))
        return _html(await run_in_threadpool(_explore, loaded, {}, []))

    async def download(request: Request) -> Response:
        kind = request.path_params["kind"]
        form = await request.form()
        try:
            loaded = load_text(str(form.get("toml", "")), str(form.get("name", "scenario.toml")))
            return await run_in_threadpool(_download, kind, loaded, dict(form), form.getlist("stress"))
        except PbrsimError as exc:
            return _problem(str(exc))

    routes = [Route("/", survive, methods=["GET", "POST"]), Route("/scenario", any_scenario, methods=["GET", "POST"]),
              Route("/scenario/load", load, methods=["POST"]),
              Route("/scenario/download/{kind:str}", download, methods=["POST"])]
    web = Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts or HOSTS)])
    web.state.first_scenario = initial.scenario  # what the first page runs (``runs.warm_up`` compiles for it)
    web.state.warming = None  # the warm-up thread, once started
    return web


def _run_settings(form: dict) -> tuple[int, int, dict[str, str]]:
    sims, e1 = plain_number(form.get("sims"), SIMS, low=100, high=MAX_SIMS, what="Simulations")
    seed, e2 = plain_number(form.get("seed"), SEED, low=0, high=2**32 - 1, what="The seed")
    return int(sims), int(seed), {k: v for k, v in (("sims", e1), ("seed", e2)) if v}


def _explore(loaded: Loaded, form: dict, chosen: list[str]) -> str:
    started = time.perf_counter()
    values = page_values(loaded, form)
    mode = form.get("mode") or loaded.scenario.simulation.mode
    checked = check(loaded, values, chosen, mode)
    sims, seed, errors = _run_settings(form)
    results = None
    if checked.scenario is not None and not errors:
        results, _ = run(checked.scenario, sims=sims, seed=seed)
    text = render(loaded, values, checked, chosen=chosen, mode=mode, sims=sims, seed=seed, results=results,
                  chart=form.get("chart"), errors=errors)
    return text.replace(TIMING, f"{time.perf_counter() - started:.2f}")


def _download(kind: str, loaded: Loaded, form: dict, chosen: list[str]) -> Response:
    if kind not in DOWNLOADS:
        return _problem(f"no download named '{kind}'")
    values = page_values(loaded, form)
    checked = check(loaded, values, chosen, form.get("mode") or loaded.scenario.simulation.mode)
    sims, seed, errors = _run_settings(form)
    if checked.scenario is None or errors:
        return _problem("fix the boxes marked in red first: " + "; ".join({**checked.errors, **errors}.values()))
    filename, media = DOWNLOADS[kind]
    if kind == "toml":
        content: bytes = scenario_toml(loaded, checked, sims=sims, seed=seed).encode("utf-8")
    else:
        results, _ = run(checked.scenario, sims=sims, seed=seed)
        content = report_bytes(results) if kind == "report" else workbook_bytes(results)
    return Response(content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                                         "X-Content-Type-Options": "nosniff"})
