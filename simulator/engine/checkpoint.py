"""Resumable runs: each finished chunk of simulations is saved, so an interrupted run loses none.

Chunks are whole blocks of simulations with their own seeds (see ``engine``), so a chunk
loaded from disk is exactly what recomputing it would give. A manifest records what the
chunks belong to (scenario, seed, sims, options, version); chunks of another run are never
mixed in.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

from .._version import __version__
from ..atomic import atomic_write
from ..errors import OutputError

MANIFEST = "manifest.json"


class Checkpoint:
    """A folder of finished chunks for one run (identified by ``key``)."""

    def __init__(self, folder: str | Path, key: dict):
        self.folder = Path(folder)
        self.key = {**key, "pbrsim_version": __version__}

    @staticmethod
    def run_key(scenario_json: str, *, seed: int, sims: int, **options) -> dict:
        digest = hashlib.sha256(scenario_json.encode()).hexdigest()
        return {"scenario_sha256": digest, "seed": seed, "sims": sims, **options}

    def exists(self) -> bool:
        return (self.folder / MANIFEST).is_file()

    def matches(self) -> bool:
        return self.exists() and json.loads((self.folder / MANIFEST).read_text()) == self.key

    def start(self, *, resume: bool) -> None:
        """Begin (or, with ``resume``, continue) a run; refuse to mix chunks of another run."""
        if self.exists() and not self.matches():
            if resume:
                raise OutputError(
                    f"{self.folder}: holds an interrupted run with other settings (scenario, seed, sims or options); "
                    "use --force to start over"
                )
            self.discard()
        if not resume:
            self.discard()
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self.exists():
            atomic_write(self.folder / MANIFEST, lambda f: f.write(json.dumps(self.key).encode()))

    def _chunk(self, first_block: int) -> Path:
        return self.folder / f"chunk_{first_block:07d}.npz"

    def load_into(self, chunk: dict[str, np.ndarray], first_block: int) -> bool:
        """Copy a saved chunk into ``chunk``'s arrays; False when it is not saved."""
        path = self._chunk(first_block)
        if not path.is_file():
            return False
        with np.load(path) as saved:
            for name, arr in chunk.items():
                arr[...] = saved[name]
        return True

    def save(self, chunk: dict[str, np.ndarray], first_block: int) -> None:
        atomic_write(self._chunk(first_block), lambda f: np.savez(f, **chunk))

    def saved_sims(self) -> int:
        """Simulations held in saved chunks: what a resumed run will not compute again."""
        size, blocks, sims = self.key["block_size"], self.key["chunk_blocks"], self.key["sims"]
        firsts = [int(path.stem.split("_")[1]) for path in self.folder.glob("chunk_*.npz")]
        return sum(max(0, min(sims, (first + blocks) * size) - first * size) for first in firsts)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
