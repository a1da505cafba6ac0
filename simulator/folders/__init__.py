"""Output folders written as one unit: one writer at a time, staged, swapped in whole, checked on read.

``lock.py`` keeps a second writer out, ``exchange.py`` swaps two folders atomically,
``manifest.py`` lists a result's files with their digests, ``unit.py`` ties them together
(stage, commit, recover after a kill). Ground floor: imports only ``errors`` and ``atomic``.
"""

from .lock import FolderLock
from .manifest import MANIFEST_FILE, PARTIAL_DIR, read_manifest, verify_files
from .unit import Writer, foreign_entries, new_result, resolve_folder, shown_path, writing

__all__ = ["MANIFEST_FILE", "PARTIAL_DIR", "FolderLock", "Writer", "foreign_entries", "new_result", "read_manifest",
           "resolve_folder", "shown_path", "verify_files", "writing"]
