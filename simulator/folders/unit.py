"""A result folder written as one unit: staged beside it, made current in one step, recovered after a kill.

A command that writes a result (``run``, ``report``, ``plot``, ``sweep``, ``Results.save``):

1. takes the folder's lock (:mod:`.lock`) and recovers from any earlier writer that was killed;
2. builds the whole new result in a staging folder beside it, ``.NAME.pbrsim-stage-ID``
   (files it keeps from the current result are hard links, so nothing is copied);
3. writes ``manifest.json`` last (:mod:`.manifest`), fsyncs, and swaps the staging folder
   with the result folder in one ``renameat2(RENAME_EXCHANGE)`` (:mod:`.exchange`);
4. deletes the old result, now under the staging name.

A reader therefore sees the whole old result or the whole new one. Where the swap is not
available the folder is renamed away (``.NAME.pbrsim-old-ID``) and the staging folder renamed
into its place; a kill between the two renames leaves the result folder missing, and the
next writer's recovery renames the old folder back. Recovery also deletes every staging or
old folder left beside the result, so no stray files outlive the next run.

A folder is only replaced when it holds nothing but pbrsim's own files: anything else in it
(notes, a spreadsheet of one's own) stops the command before it starts, never deleted.
"""

from __future__ import annotations

import fnmatch
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import OutputError
from .exchange import ExchangeUnsupported, exchange
from .lock import FolderLock
from .manifest import MANIFEST_FILE, PARTIAL_DIR, read_manifest, write_manifest

# What pbrsim writes in an output folder (results/files.py, outputs/report.py, outputs/workbook.py,
# outputs/figures.py, studies/sweep.py), plus the temporary files of atomic writes; a manifest
# adds whatever else it lists.
OWNED = frozenset({"summary.json", "sims.npz", "scenario.toml", "report.html", "results.xlsx", MANIFEST_FILE,
                   "sweep.json", "points.jsonl", "sweep.csv", "sweep.parquet", PARTIAL_DIR, "plots"})
OWNED_PATTERNS = ("sweep_*.png", ".*.tmp")
PLOT_PATTERNS = ("*.png", "*.svg", ".*.tmp")
_SIBLING = re.compile(r"^\.(?P<name>.+)\.pbrsim-(?P<what>stage|old)-[0-9a-f]{12}$")


def shown_path(path: str) -> str:
    """A path inside a staging folder as the path it will have in the result folder (for messages)."""
    return re.sub(r"(^|/)\.([^/]+)\.pbrsim-stage-[0-9a-f]{12}(?=/|$)", r"\1\2", path)


def resolve_folder(out: str | os.PathLike) -> tuple[Path, str]:
    """(the folder's real path, the path as the user wrote it); refuses paths no result can replace."""
    shown = os.fspath(out)
    if not shown.strip():
        raise OutputError("--out: must name a folder (got an empty path)")
    folder = Path(os.path.realpath(shown))
    cwd = Path.cwd().resolve()
    if folder == Path(folder.anchor) or folder == cwd or folder in cwd.parents:
        raise OutputError(f"{shown}: is the current folder or holds it; a result replaces its folder as a whole, "
                          "so name a folder of its own (e.g. --out results/mine)")
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{shown}: exists and is not a folder")
    parent = folder.parent
    if parent.exists() and not parent.is_dir():
        raise OutputError(f"{parent}: Not a directory")
    return folder, shown


class Writer:
    """The locked result folder of one command: stage a new result, then commit it."""

    def __init__(self, folder: Path, shown: str):
        self.folder, self.shown = folder, shown
        self.partial = folder / PARTIAL_DIR
        self.existed = folder.exists()
        self._stages: list[Path] = []

    def manifest(self) -> dict | None:
        return read_manifest(self.folder, shown=self.shown)

    def held(self) -> list[str]:
        """Entries of the current result (the checkpoint and temporary files aside)."""
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if p.name != PARTIAL_DIR and not _is_tmp(p.name))

    def refuse_existing(self, *, force: bool) -> None:
        held = self.held()
        if held and not force:
            raise OutputError(f"{self.shown}: already holds {', '.join(held)}; use --force to replace them")

    def stage(self, keep: Iterable[str] = ()) -> Path:
        """A new, empty staging folder beside the result, with hard links to the ``keep`` entries."""
        path = self.folder.parent / f".{self.folder.name}.pbrsim-stage-{secrets.token_hex(6)}"
        path.mkdir()
        self._stages.append(path)
        for rel in keep:
            _link_tree(self.folder / rel, path / rel)
        return path

    def commit(self, stage: Path, *, run_id: str, kind: str) -> None:
        """Make ``stage`` the result in one step (see the module docstring)."""
        write_manifest(stage, run_id=run_id, kind=kind)
        _fsync_tree(stage)
        old = None
        if self.folder.exists():
            try:
                exchange(stage, self.folder)
                old = stage
            except ExchangeUnsupported:
                old = self.folder.parent / f".{self.folder.name}.pbrsim-old-{secrets.token_hex(6)}"
                os.rename(self.folder, old)
                os.rename(stage, self.folder)
        else:
            os.rename(stage, self.folder)
        self._stages.remove(stage)
        _fsync_dir(self.folder.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def close(self) -> None:
        for path in self._stages:
            shutil.rmtree(path, ignore_errors=True)
        self._stages.clear()
        if not self.existed and self.folder.is_dir() and not any(self.folder.iterdir()):
            self.folder.rmdir()


@contextmanager
def writing(out: str | os.PathLike, *, must_exist: bool = False, command: str | None = None) -> Iterator[Writer]:
    """Hold ``out``'s lock, recover an interrupted writer, refuse foreign files; yield a :class:`Writer`."""
    folder, shown = resolve_folder(out)
    if must_exist and not folder.is_dir():
        raise OutputError(f"{shown}: no saved results here (expected a folder written by 'pbrsim run')")
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FolderLock(folder, shown=shown, command=command):
        recover(folder)
        foreign = foreign_entries(folder)
        if foreign:
            raise OutputError(f"{shown}: holds {', '.join(foreign[:3])}{' ...' if len(foreign) > 3 else ''}, which "
                              "pbrsim did not write; a result replaces its folder as a whole, so move them out or "
                              "choose another --out")
        writer = Writer(folder, shown)
        try:
            yield writer
        finally:
            writer.close()


@contextmanager
def new_result(out: str | os.PathLike, *, force: bool, kind: str) -> Iterator[Path]:
    """Write a whole new result into ``out``: yields an empty staging folder, committed on success.

    The folder's lock is held throughout (so the work done inside belongs to this writer);
    a result already there is replaced only with ``force``; on any error nothing is replaced.
    """
    with writing(out) as folder:
        folder.refuse_existing(force=force)
        stage = folder.stage()
        yield stage
        folder.commit(stage, run_id=secrets.token_hex(16), kind=kind)


def recover(folder: Path) -> None:
    """After a killed writer: put a renamed-away result back, delete staging and old folders (lock held)."""
    leftovers = [p for p in folder.parent.iterdir()
                 if (m := _SIBLING.match(p.name)) and m.group("name") == folder.name]
    if not folder.exists():
        old = [p for p in leftovers if _SIBLING.match(p.name).group("what") == "old"]
        if old:
            os.rename(old[0], folder)
            leftovers.remove(old[0])
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)
    if folder.is_dir():
        for tmp in folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def foreign_entries(folder: Path) -> list[str]:
    """Names in ``folder`` that pbrsim did not write (a result folder must hold only its own files)."""
    if not folder.is_dir():
        return []
    try:
        listed = {rel.split("/")[0] for rel in (read_manifest(folder) or {}).get("files", {})}
    except OutputError:
        listed = set()
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name == "plots" and entry.is_dir():
            if all(c.is_file() and _matches(c.name, PLOT_PATTERNS) for c in entry.iterdir()):
                continue
        elif name in OWNED or name in listed or _matches(name, OWNED_PATTERNS):
            continue
        found.append(name)
    return sorted(found)


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _is_tmp(name: str) -> bool:
    return fnmatch.fnmatchcase(name, ".*.tmp")


def _link_tree(src: Path, dst: Path) -> None:
    """Hard-link ``src`` (a file, or a folder recursively) at ``dst``; copy where links are refused."""
    if src.is_dir():
        dst.mkdir()
        for child in src.iterdir():
            if not _is_tmp(child.name):
                _link_tree(child, dst / child.name)
    elif src.is_file():
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for path in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        _fsync_dir(path)
