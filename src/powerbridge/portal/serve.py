"""Serving the portal with uvicorn (what `powerbridge portal` runs)."""

from __future__ import annotations

import socket

import uvicorn

from powerbridge.portal.app import create_app
from powerbridge.portal.settings import PortalSettings

__all__ = ["listen", "serve"]


def listen(host: str, port: int) -> socket.socket:
    """The portal's listening socket, bound before anything is printed: a port in use or an
    address that is not this host's is an OSError here, not a traceback inside uvicorn."""
    return socket.create_server((host, port), family=_family(host))


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def serve(settings: PortalSettings, sock: socket.socket) -> None:
    """Serve on `sock` until interrupted (Ctrl-C, SIGTERM)."""
    # open event streams end when the job does: on shutdown they get 5 s, then are closed
    config = uvicorn.Config(create_app(settings), log_level="info", timeout_graceful_shutdown=5)
    uvicorn.Server(config).run(sockets=[sock])
