"""PowerVC's Apache proxy in front of the services, as a stopped service shows through it.

- `ServiceGate` answers Apache's own 503 page for a service whose PowerVC service (or the
  database) is stopped: Apache's `mod_proxy` finds no backend, so the body is HTML, with no
  OpenStack envelope and no request id.
- `gated_protocol` makes the HTTP listeners drop every connection while httpd is stopped
  (nothing serves the ports), and serve again once it is started.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

# Apache httpd 2.4's page for HTTP_SERVICE_UNAVAILABLE, byte for byte
APACHE_503 = (
    b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n'
    b"<html><head>\n"
    b"<title>503 Service Unavailable</title>\n"
    b"</head><body>\n"
    b"<h1>Service Unavailable</h1>\n"
    b"<p>The server is temporarily unable to service your\n"
    b"request due to maintenance downtime or capacity\n"
    b"problems. Please try again later.</p>\n"
    b"</body></html>\n"
)
APACHE_503_HEADERS = [
    (b"content-type", b"text/html; charset=iso-8859-1"),
    (b"content-length", str(len(APACHE_503)).encode()),
]


async def send_unavailable(send: Send) -> None:
    await send({"type": "http.response.start", "status": 503, "headers": APACHE_503_HEADERS})
    await send({"type": "http.response.body", "body": APACHE_503})


class ServiceGate:
    """Pass a request on to `app` unless `unavailable()`; then answer Apache's 503."""

    def __init__(self, app: ASGIApp, unavailable: Callable[[], bool]) -> None:
        self.app = app
        self.unavailable = unavailable

    @property
    def routes(self) -> Any:
        """The wrapped app's routes, so a `Mount` of the gate still lists them."""
        return getattr(self.app, "routes", [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.unavailable():
            await send_unavailable(send)
            return
        await self.app(scope, receive, send)


class _Dropped(asyncio.Protocol):
    """A connection accepted while httpd is stopped: closed at once, nothing answered."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if isinstance(transport, asyncio.WriteTransport):
            transport.abort()
        else:
            transport.close()


def gated_protocol(base: Callable[..., asyncio.Protocol], serving: Callable[[], bool]) -> Any:
    """A protocol factory for uvicorn's `http` setting: `base`'s protocol while `serving()`,
    else one that drops the connection."""

    def protocol(**kwargs: Any) -> asyncio.Protocol:
        return base(**kwargs) if serving() else _Dropped()

    return protocol
