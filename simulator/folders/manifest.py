"""``manifest.json``: what one result is made of, so a reader can tell it is whole and of one run.

Written last into the staging folder (see :mod:`.unit`): the run's id, the kind of result
(``run`` or ``sweep``) and every file with its size and SHA-256. A reader checks that each
listed file is there with that size and digest. The large ``sims.npz`` is the exception: the
zip format guards each of its arrays with a CRC-32, checked as it is read, so its entry holds
a SHA-256 of its arrays' names, sizes and CRC-32s (``zip_crc32_digest``), read from the zip's
directory, instead of a SHA-256 of its 300 MB (0.18 s of every national run). A reader checks
that one as cheaply, which also tells apart another run's ``sims.npz`` of the same size.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

from .._version import __version__
from ..atomic import atomic_write
from ..errors import OutputError

MANIFEST_FILE = "manifest.json"
PARTIAL_DIR = ".partial"
FORMAT = "pbrsim-result"
ZIP_GUARDED = frozenset({"sims.npz"})  # files listed by their arrays' CRC-32s (see the module docstring)


def file_entry(path: Path, rel: str) -> dict:
    """``rel``'s manifest entry: its size and SHA-256, or for a :data:`ZIP_GUARDED` file its ``zip_crc32_digest``."""
    if rel in ZIP_GUARDED:
        return {"bytes": path.stat().st_size, "zip_crc32_digest": zip_crc32_digest(path)}
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def zip_crc32_digest(path: Path) -> str:
    """SHA-256 of a zip's members' names, sizes and CRC-32s, from its directory (the data is not read)."""
    with zipfile.ZipFile(path) as zf:
        listing = "\n".join(f"{i.filename} {i.file_size} {i.CRC:08x}" for i in zf.infolist())
    return hashlib.sha256(listing.encode()).hexdigest()


def result_files(folder: Path) -> list[str]:
    """Files of a result (relative, '/'-separated), without the manifest and the checkpoint."""
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel != MANIFEST_FILE and not rel.startswith(PARTIAL_DIR + "/"):
            found.append(rel)
    return found


def write_manifest(folder: Path, *, run_id: str, kind: str) -> dict:
    manifest = {"format": FORMAT, "kind": kind, "run_id": run_id, "pbrsim_version": __version__,
                "files": {rel: file_entry(folder / rel, rel) for rel in result_files(folder)}}
    text = json.dumps(manifest, indent=2)
    atomic_write(folder / MANIFEST_FILE, lambda f: f.write(text.encode()))
    return manifest


def read_manifest(folder: Path, *, shown: str | None = None) -> dict | None:
    """The folder's manifest, None when it has none (a result of pbrsim 0.1.0, or no result)."""
    path = folder / MANIFEST_FILE
    where = f"{shown or folder}/{MANIFEST_FILE}"
    try:
        manifest = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise OutputError(f"{where}: damaged ({exc}); the result cannot be trusted: run it again") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise OutputError(f"{where}: not a pbrsim result manifest")
    if not isinstance(manifest.get("files"), dict) or not isinstance(manifest.get("run_id"), str):
        raise OutputError(f"{where}: damaged (no run id or file list); run it again")
    return manifest


def verify_files(folder: Path, manifest: dict, *, shown: str | None = None) -> None:
    """Every listed file present with its size and digest (see the module docstring)."""
    for rel, entry in manifest["files"].items():
        path = folder / rel
        where = f"{shown or folder}/{rel}"
        try:
            size = path.stat().st_size
        except OSError:
            raise OutputError(f"{where}: missing: the result is incomplete; run it again") from None
        if not isinstance(entry, dict) or size != entry.get("bytes"):
            raise OutputError(f"{where}: has {size} bytes but the result's manifest says {entry.get('bytes')}: "
                              "damaged or from another run; run it again")
        if rel in ZIP_GUARDED and "sha256" in entry:
            continue  # listed by an earlier pbrsim with a SHA-256 of its bytes: its arrays' CRC-32s guard it on reading
        if _digest_differs(path, rel, entry):
            raise OutputError(f"{where}: its content does not match the result's manifest: "
                              "damaged or from another run; run it again")


def _digest_differs(path: Path, rel: str, entry: dict) -> bool:
    try:
        found = file_entry(path, rel)
    except Exception:  # noqa: BLE001  (a zip directory too damaged to read, in any of zipfile's ways)
        return True
    return any(found[key] != entry.get(key) for key in found)
