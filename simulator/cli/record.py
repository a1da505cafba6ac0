"""``pbrsim record``: run every case of the record and print the validation table."""

from __future__ import annotations

from pathlib import Path

import click

from ..atomic import atomic_write
from ..errors import OutputError, PbrsimError
from ..outputs.record_table import record_markdown, record_table
from ..studies.record import RECORD_DIR, run_record
from .common import fail, main

EXIT_RECORD_BROKEN = 1


@main.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option("--case", "names", multiple=True, metavar="NAME", help="Run only this case (file name without .toml; repeatable).")
@click.option("--markdown", "markdown", type=click.Path(path_type=Path), default=None,
              help="Also write the table with every case's criterion as Markdown (e.g. docs/validation.md).")
@click.option("--force", is_flag=True, help="Overwrite the --markdown file if it exists.")
@click.option("--quiet", is_flag=True, help="Do not name each case as it runs.")
def record(folder: Path | None, names: tuple[str, ...], markdown: Path | None, force: bool, quiet: bool) -> None:
    """Run the record cases (default: scenarios/record/) and say whether the model agrees with
    what happened. Exit code 1 if a case does not turn out as its file says it should."""
    folder = folder or RECORD_DIR
    try:
        if markdown is not None and markdown.exists() and not force:
            raise OutputError(f"{markdown}: exists; use --force to overwrite it")
        rows = run_record(folder, names=list(names) or None,
                          progress=None if quiet else lambda c: click.echo(f"running {c.path.name} ...", err=True))
    except PbrsimError as exc:
        fail(str(exc))
    click.echo(record_table(rows))
    if markdown is not None:
        text = record_markdown(rows, folder=folder)
        atomic_write(markdown, lambda f: f.write(text.encode()))
        click.echo(f"\nwrote {markdown}")
    broken = [r.case.path.stem for r in rows if not r.holds]
    if broken:
        click.echo(f"\nthe record does not hold for: {', '.join(broken)}", err=True)
        raise SystemExit(EXIT_RECORD_BROKEN)
