"""Serving the portal with uvicorn (what `powerbridge portal` runs)."""

from __future__ import annotations

import socket

import uvicorn

from powerbridge.portal.app import create_app
from powerbridge.portal.settings import PortalSettings

__all__ = ["listen", "serve"]


def listen(host: str, port: int) -> socket.socket:
    """The portal's listening socket, bound before anything is printed: a port in use or an
    address that is not this host's is an OSError here, not a traceback inside uvicorn.

    TCP_NODELAY, inherited by every accepted connection: asyncio sets it itself only on
    sockets whose `proto` is IPPROTO_TCP, and `create_server` makes them with proto 0, so
    without it each answer on a kept-alive connection (a browser's) waited 40 ms for the
    client's delayed ACK (Nagle): 44 ms for a page that reads nothing, 0.7 ms with it."""
    sock = socket.create_server((host, port), family=_family(host))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def serve(settings: PortalSettings, sock: socket.socket) -> None:
    """Serve on `sock` until interrupted (Ctrl-C, SIGTERM)."""
    # open event streams end when the job does: on shutdown they get 5 s, then are closed
    config = uvicorn.Config(create_app(settings), log_level="info", timeout_graceful_shutdown=5)
    uvicorn.Server(config).run(sockets=[sock])
