"""``pbrsim app``: start the what-if page on this computer (127.0.0.1 only) and open it."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import PbrsimError
from .common import fail, main, say


@main.command()
@click.argument("scenario", required=False, type=click.Path(path_type=Path))
@click.option("--port", default=0, type=click.IntRange(min=0, max=65535),
              help="Port on 127.0.0.1 (default: a free one, printed).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser; just print the address.")
def app(scenario: Path | None, port: int, no_browser: bool) -> None:
    """A local web page: "Can we survive this subcontract?" and "Any scenario" (SCENARIO: its first scenario)."""
    from ..app import create_app
    from ..app.runs import warm_up
    from ..app.server import serve

    try:
        web = create_app(scenario)
    except PbrsimError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{scenario}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        fail(f"{scenario}: is not UTF-8 text")
    web.state.warming = warm_up(web.state.first_scenario)
    if web.state.warming is not None:
        say(f"pbrsim app: compiling {web.state.warming.what} for this machine in the background (first start only, "
            f"{web.state.warming.takes}); until it is done the page says so and reloads itself")
    try:
        serve(web, port=port, open_browser=not no_browser, announce=say)
    except OSError as exc:
        fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}")
