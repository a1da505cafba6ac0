"""Bounded waits: a --scheduler that is not a Dask scheduler fails with one line within 30 s.

Against real servers on 127.0.0.1: one that accepts and says nothing, an HTTP server, and
one that answers garbage (whose frame lengths would ask Dask for absurd memory). Bad
schemes and ports are refused before any connection.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import ANALYTIC_SCENARIO
from .resultstate import invoke, pbrsim

pytest.importorskip("distributed")

SWEEP = ("sweep", ANALYTIC_SCENARIO, "--vary", "volume.factor_mean=0.9,1.1", "--sims", 20, "--quiet")


def _listener(answer: bytes | None) -> tuple[socket.socket, int]:
    """A TCP server on 127.0.0.1 that accepts, sends ``answer`` (if any) and keeps the connection open."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)
            if answer:
                conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_endpoints_that_do_not_speak_dask_fail_in_one_line_within_30_s(tmp_path):
    silent, silent_port = _listener(None)
    garbage, garbage_port = _listener(b"\xff" * 64 + b"not dask at all")
    http = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    http.daemon_threads = True
    threading.Thread(target=http.serve_forever, daemon=True).start()
    ports = {"silent": silent_port, "garbage": garbage_port, "http": http.server_address[1]}
    try:
        start = time.monotonic()
        procs = {name: subprocess.Popen(pbrsim(*SWEEP, "--out", tmp_path / name, "--scheduler",
                                               f"tcp://127.0.0.1:{port}"),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for name, port in ports.items()}
        outcomes, stuck = {}, []
        for name, proc in procs.items():
            try:
                _, err = proc.communicate(timeout=max(1.0, 45 - (time.monotonic() - start)))
                outcomes[name] = (proc.returncode, err, time.monotonic() - start)
            except subprocess.TimeoutExpired:
                stuck.append(name)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        silent.close()
        garbage.close()
        http.shutdown()
        http.server_close()
    assert not stuck, f"--scheduler pointing at a {stuck} server still waiting after 45 s"
    for name, (code, err, elapsed) in outcomes.items():
        assert code == 2 and len(err.strip().splitlines()) == 1, (name, err)
        assert err.startswith("pbrsim: error: --scheduler: ") and "Traceback" not in err, (name, err)
        assert "memory" not in err, (name, err)
        assert elapsed < 30 + 5, (name, elapsed)  # 30 s, plus this machine's start-up of three processes
        assert not (tmp_path / name).exists()


@pytest.mark.parametrize("address, fragment", [
    ("tls://127.0.0.1:1", "tls:// needs TLS certificates"),
    ("tcp://localhost:notaport", "port from 1 to 65535"),
    ("tcp://127.0.0.1:99999", "port from 1 to 65535"),
    ("tcp://127.0.0.1", "port from 1 to 65535"),
    ("udp://127.0.0.1:8786", "is not understood"),
])
def test_bad_scheduler_addresses_are_one_line(tmp_path, address, fragment):
    result = invoke(*SWEEP, "--out", tmp_path / "s", "--scheduler", address)
    assert result.exit_code == 2 and fragment in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "s").exists()
