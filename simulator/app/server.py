"""Serving the app: on 127.0.0.1 only, on a free port unless one is asked for.

The socket is bound here and handed to uvicorn, so the printed address is the one in use
(no race between choosing a free port and binding it).
"""

from __future__ import annotations

import socket
import threading
import webbrowser
from collections.abc import Callable

import uvicorn

HOST = "127.0.0.1"


def bind(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1 (``port`` 0: a free one chosen by the system)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(64)
    return sock


def make_server(app, sock: socket.socket) -> uvicorn.Server:
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config)  # in the main thread it stops cleanly on Ctrl-C, then re-raises it


def serve(app, *, port: int = 0, open_browser: bool = True, announce: Callable[[str], None] = print) -> None:
    """Serve ``app`` until Ctrl-C; print its address and open it in the browser."""
    sock = bind(port)
    url = f"http://{HOST}:{sock.getsockname()[1]}/"
    announce(f"pbrsim app: {url} (Ctrl-C to stop)")
    server = make_server(app, sock)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()


def serve_in_thread(app, port: int = 0) -> tuple[uvicorn.Server, threading.Thread, str]:
    """Start ``app`` in a background thread (tests, notebooks): (server, thread, url); stop with server.should_exit."""
    sock = bind(port)
    server = make_server(app, sock)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    return server, thread, f"http://{HOST}:{sock.getsockname()[1]}/"
