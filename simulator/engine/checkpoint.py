"""Resumable runs: each finished chunk of simulations is saved, so an interrupted run loses none.

Chunks are whole blocks of simulations with their own seeds (see ``engine``), so a chunk
loaded from disk is exactly what recomputing it would give. What a chunk belongs to (the
scenario's hash, seed, sims, mode, options, version: the run key) is written in the folder's
manifest and again inside every chunk, and checked when the chunk is loaded: a chunk of
another run, a truncated or corrupt one, or one with arrays of the wrong shape is named in a
message and simulated again, alone. Nothing here deletes finished chunks except
:meth:`Checkpoint.discard`, which only a finished run or ``--force`` calls.

A chunk is written by a background thread while the next one is simulated (a national
chunk is ~70 MB with the monthly statistics: writing ten of them took 1.5 s of a 6 s run); one write is in flight at a
time, and every question about the saved chunks (and :meth:`Checkpoint.wait`) waits for it,
so an interrupted run still keeps every chunk it finished. The arrays handed to
:meth:`Checkpoint.save` must not change afterwards (the engine's chunks do not).

Chunks are written past the page cache (``O_DIRECT``, :mod:`simulator.direct_io`) while the
disk keeps up: a national default writes 650 MB of them, and on this machine (a VM that
hands freed memory back to its host) the page cache's fresh pages cost its writer 0.7 s of
the kernel's time and a whole run 0.4-0.5 s. Once a chunk is still being written when the
next one is done (a slow disk), the run's later chunks go through the page cache, which
absorbs them, as before. A resume reads its chunks back past the page cache too, beside the
simulation of the chunks it lacks (:meth:`Checkpoint.start_loading`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import warnings
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .._version import __version__
from ..atomic import atomic_write
from ..direct_io import open_direct_read
from ..errors import OutputError
from ..npz import Mismatch, load_into, savez

MANIFEST = "manifest.json"
RUN_KEY = "pbrsim_run_key"


class Checkpoint:
    """A folder of finished chunks for one run (identified by ``key``).

    ``notify`` receives one line per damaged chunk (default: a :class:`UserWarning`).
    """

    def __init__(self, folder: str | Path, key: dict, *, notify: Callable[[str], None] | None = None):
        self.folder = Path(folder)
        self.key = {**key, "pbrsim_version": __version__}
        self.stamp = json.dumps(self.key, sort_keys=True)
        self.notify = notify or (lambda message: warnings.warn(message, stacklevel=3))
        self.damaged: list[Path] = []
        self._writing: Future | None = None
        self.direct = True  # past the page cache, until the disk falls behind (see the module's docstring)

    @staticmethod
    def run_key(scenario_json: str, *, seed: int, sims: int, **options) -> dict:
        digest = hashlib.sha256(scenario_json.encode()).hexdigest()
        return {"scenario_sha256": digest, "seed": seed, "sims": sims, **options}

    def exists(self) -> bool:
        return (self.folder / MANIFEST).is_file()

    def _saved_key(self) -> dict | None:
        try:
            return json.loads((self.folder / MANIFEST).read_text())
        except (OSError, ValueError):
            return None

    def matches(self) -> bool:
        return self.exists() and self._saved_key() == self.key

    def has_chunks(self) -> bool:
        self.wait()
        return self.folder.is_dir() and any(self.folder.glob("chunk_*.npz"))

    def start(self, *, resume: bool) -> None:
        """Begin (or, with ``resume``, continue) a run; refuse to mix chunks of another run.

        A manifest too damaged to read is rewritten: every chunk carries its own run key.
        """
        if not resume:
            self.discard()
        elif self.exists() and not self.matches() and self._saved_key() is not None:
            raise OutputError(
                f"{self.folder}: holds an interrupted run with other settings (scenario, seed, sims or options); "
                "use --force to start over"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self.matches():
            atomic_write(self.folder / MANIFEST, lambda f: f.write(json.dumps(self.key).encode()))

    def _chunk(self, first_block: int) -> Path:
        return self.folder / f"chunk_{first_block:07d}.npz"

    def has_chunk(self, first_block: int) -> bool:
        """Whether a chunk from ``first_block`` is on disk (not yet checked: :meth:`load_into` does that)."""
        self.wait()
        return self._chunk(first_block).is_file()

    def load_into(self, chunk: dict[str, np.ndarray], first_block: int) -> bool:
        """Read a saved chunk into ``chunk``'s arrays; False when it is not saved, or damaged (then notified)."""
        if not self._chunk(first_block).is_file():
            return False
        reason = self.read_into(chunk, first_block)
        if reason is not None:
            self._report(first_block, reason)
        return reason is None

    def start_loading(self, chunks: dict[int, dict[str, np.ndarray]], threads: int) -> Callable[[], set[int]]:
        """Begin :meth:`load_into` of several chunks (first block -> arrays) at once, on up to ``threads`` threads
        of their own (the reads wait on the disk, past the page cache, and release the GIL), and return at once.

        The function returned waits for them and gives the first blocks of those read whole (the same set at every
        call). Chunks not on disk are left alone; damaged ones are notified once (from its first caller's thread,
        in chunk order), their arrays zeroed.
        """
        self.wait()
        firsts = [b for b in sorted(chunks) if self._chunk(b).is_file()]
        pool = ThreadPoolExecutor(max(1, min(threads, len(firsts))), thread_name_prefix="pbrsim-resume")
        jobs = [pool.submit(self.read_into, chunks[b], b) for b in firsts]
        pool.shutdown(wait=False)

        @functools.cache  # the answer, once given: damaged chunks are reported once, however often asked
        def loaded() -> set[int]:
            reasons = [job.result() for job in jobs]
            for b, reason in zip(firsts, reasons, strict=True):
                if reason is not None:
                    self._report(b, reason)
            return {b for b, reason in zip(firsts, reasons, strict=True) if reason is None}

        return loaded

    def _report(self, first_block: int, reason: str) -> None:
        path = self._chunk(first_block)
        self.damaged.append(path)
        self.notify(f"{path}: damaged checkpoint chunk ({reason}); simulating it again")

    def read_into(self, chunk: dict[str, np.ndarray], first_block: int) -> str | None:
        """Read a saved chunk straight into ``chunk``'s arrays (zeros, as allocated); None when it was read whole,
        else why not, with the arrays zeroed again (the kernel does not write every element of a chunk)."""
        path = self._chunk(first_block)
        try:
            with open_direct_read(path) as f:
                with zipfile.ZipFile(f) as zf, zf.open(RUN_KEY + ".npy") as member:
                    if str(np.lib.format.read_array(member, allow_pickle=False)) != self.stamp:
                        raise Mismatch("it belongs to another run")
                load_into(f, chunk)
        except Exception as exc:  # any failure to read it means: simulate it again
            for arr in chunk.values():
                arr[...] = 0
            return _reason(exc)
        return None

    def save(self, chunk: dict[str, np.ndarray], first_block: int) -> None:
        """Write a finished chunk in the background (the previous write finishes first; its error is raised here).

        Past the page cache, unless a write was still going on when its next chunk came (then never again here).
        """
        if self._writing is not None and not self._writing.done():
            self.direct = False
        self.wait()
        chunk = dict(chunk)
        self._writing = _writer().submit(atomic_write, self._chunk(first_block),
                                         lambda f: savez(f, **{RUN_KEY: np.array(self.stamp)}, **chunk),
                                         durable=False, direct=self.direct)

    def settle(self) -> None:
        """Like :meth:`wait` on the way out of a failed run: a write that failed is simply not kept."""
        try:
            self.wait()
        except Exception:  # noqa: BLE001  (the run's own error is the one to report)
            pass

    def wait(self) -> None:
        """Until the chunk being written is on disk (raises the write's error, e.g. a full disk)."""
        writing, self._writing = self._writing, None
        if writing is not None:
            writing.result()

    def saved_sims(self) -> int:
        """Simulations held in saved chunks: what a resumed run will not compute again."""
        self.wait()
        size, blocks, sims = self.key["block_size"], self.key["chunk_blocks"], self.key["sims"]
        firsts = [int(path.stem.split("_")[1]) for path in self.folder.glob("chunk_*.npz")]
        return sum(max(0, min(sims, (first + blocks) * size) - first * size) for first in firsts)

    def discard(self) -> None:
        self.settle()  # the chunk it was writing goes with the folder
        shutil.rmtree(self.folder, ignore_errors=True)


_WRITER: list[ThreadPoolExecutor] = []


def _writer() -> ThreadPoolExecutor:
    """One thread that writes chunks, made on first use."""
    if not _WRITER:
        _WRITER.append(ThreadPoolExecutor(1, thread_name_prefix="pbrsim-checkpoint"))
    return _WRITER[0]


def _reason(exc: Exception) -> str:
    return str(exc) if isinstance(exc, Mismatch) else f"{type(exc).__name__}: {exc}"
