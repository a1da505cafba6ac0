"""``pbrsim record``: run every case of the record and print the validation table."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import OutputError
from .common import Folder, final_paths, main, say
from .compiling import compiling

EXIT_RECORD_BROKEN = 1


@main.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option("--case", "names", multiple=True, metavar="NAME", help="Run only this case (file name without .toml; repeatable).")
@click.option("--out", "out_dir", default=None, type=Folder(),
              help="Also write record.csv, record.json and validation.md into this folder (one result, as run writes).")
@click.option("--markdown", "markdown", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write the table with every case's criterion as one Markdown file (e.g. docs/validation.md).")
@click.option("--force", is_flag=True, help="Replace the --out result or the --markdown file if there is one.")
@click.option("--quiet", is_flag=True, help="Do not name each case as it runs.")
def record(folder: Path | None, names: tuple[str, ...], out_dir: Path | None, markdown: Path | None, force: bool,
           quiet: bool) -> None:
    """Run the record cases (default: scenarios/record/) and say whether the model agrees with
    what happened. Exit code 1 if a case does not turn out as its file says it should."""
    from ..atomic import atomic_write
    from ..folders import new_result
    from ..outputs.record_table import record_markdown, record_table, write_record_outputs
    from ..studies.record import RECORD_DIR, run_record

    folder = folder or RECORD_DIR
    if markdown is not None and markdown.exists() and not force:
        raise OutputError(f"{markdown}: exists; use --force to overwrite it")
    progress = None if quiet else (lambda c: say(f"running {c.path.name} ...", err=True))
    written: list[Path] = []
    if out_dir is not None:
        with new_result(out_dir, force=force, kind="record") as stage:
            with compiling():  # the line only: the cases differ in their kernels' types
                rows = run_record(folder, names=list(names) or None, progress=progress)
            written = final_paths(write_record_outputs(rows, stage, folder=folder), stage, out_dir)
    else:
        with compiling():
            rows = run_record(folder, names=list(names) or None, progress=progress)
    say(record_table(rows))
    if markdown is not None:
        text = record_markdown(rows, folder=folder)
        written.append(atomic_write(markdown, lambda f: f.write(text.encode())))
    if written:
        say(f"\nwrote {', '.join(str(p) for p in written)}")
    broken = [r.case.path.stem for r in rows if not r.holds]
    if broken:
        say(f"\nthe record does not hold for: {', '.join(broken)}", err=True)
        raise SystemExit(EXIT_RECORD_BROKEN)
