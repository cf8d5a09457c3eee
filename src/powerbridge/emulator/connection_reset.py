"""Connection resets, the `reset_connection` API behaviour: a socket closed with a TCP RST.

uvicorn gives an ASGI app no handle on its socket, so `Connections` finds the connection a
request came on among the open connections of the servers it was given (`serve_from`), by the
peer address uvicorn puts in `scope["client"]`, and aborts its transport with `SO_LINGER` 0:
the kernel sends a RST, the client reads ECONNRESET. `cut(request, response)` is the ASGI
response that does it:

- `response` None: mid-request, nothing answered (the call was not carried out);
- a response: mid-response, its status line, headers and the first half of its body go out,
  then the reset (the call was carried out, its answer is lost; an empty body: nothing goes
  out).

An app served in process (httpx's ASGI transport in unit tests) has no socket: the cut raises
`ConnectionResetError` to the caller, as a socket read would.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from collections.abc import Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

# SO_LINGER on, 0 seconds: close() discards the unsent data and sends a RST, not a FIN
_LINGER_ZERO = struct.pack("ii", 1, 0)


class ConnectionCut(Exception):
    """Raised by the API-fault step: the connection is to be reset before the call runs."""


class Connections:
    """The open HTTP connections of the emulator's uvicorn servers, found by peer address."""

    def __init__(self) -> None:
        self._sources: list[Callable[[], Iterable[Any]]] = []

    def serve_from(self, connections: Callable[[], Iterable[Any]]) -> None:
        """`connections()`: a server's open connection protocols (uvicorn's
        `server_state.connections`, each with `.client` and `.transport`)."""
        self._sources.append(connections)

    def cut(self, request: Request, response: Response | None) -> Response:
        return _Cut(self, response)

    def reset(self, client: Any) -> bool:
        """Abort the connection from `client` (host, port) with a RST; False if none is open."""
        if client is None:
            return False
        peer = tuple(client)
        for source in self._sources:
            for connection in list(source()):
                if tuple(getattr(connection, "client", None) or ()) != peer:
                    continue
                transport = getattr(connection, "transport", None)
                if transport is None:
                    return False
                _abort_with_reset(transport)
                return True
        return False


def _abort_with_reset(transport: Any) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # already closed by the peer: abort() below is all there is to do
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
    transport.abort()


class _Cut(Response):
    """The answer that is never (wholly) sent: see the module docstring."""

    def __init__(self, connections: Connections, response: Response | None) -> None:
        super().__init__(status_code=response.status_code if response else 0)
        self.connections = connections
        self.answer = response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = bytes(self.answer.body) if self.answer is not None else b""
        if self.answer is not None and body:  # an empty answer is lost whole
            await send(
                {
                    "type": "http.response.start",
                    "status": self.answer.status_code,
                    "headers": self.answer.raw_headers,
                }
            )
            half = {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            await send(half)
        if not self.connections.reset(scope.get("client")):
            raise ConnectionResetError("connection reset by the emulator (reset_connection)")
        # uvicorn sends a 500 for an app that returns before it knows the client is gone
        while (await receive())["type"] != "http.disconnect":
            pass
