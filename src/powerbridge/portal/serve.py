"""Serving the portal with uvicorn (what `powerbridge portal` runs)."""

from __future__ import annotations

import uvicorn

from powerbridge.portal.app import create_app
from powerbridge.portal.settings import PortalSettings

__all__ = ["serve"]


def serve(settings: PortalSettings, *, host: str, port: int) -> None:
    """Serve until interrupted (Ctrl-C, SIGTERM)."""
    # open event streams end when the job does: on shutdown they get 5 s, then are closed
    config = uvicorn.Config(
        create_app(settings), host=host, port=port, log_level="info", timeout_graceful_shutdown=5
    )
    uvicorn.Server(config).run()
