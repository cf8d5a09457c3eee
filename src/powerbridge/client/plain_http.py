"""HTTP/1.1 for plain http:// clouds on asyncio streams and h11, without httpcore and anyio.

httpx's own transport imports httpcore, and httpcore runs on asyncio through anyio: together
about 40 ms of imports on the first request, a fifth of a short command against a plain-http
cloud (the emulator, a lab PowerVC). `TrustOnDemand` sends http:// requests through this
transport instead; https:// keeps httpx's (TLS, HTTP/2 ...), untouched.

What it does, as httpx's transport does for these requests: keep-alive connections reused per
host (at most `MAX_CONNECTIONS` at once), the request's connect/read/write timeouts, and
httpx's exceptions (ConnectError and ConnectTimeout when nothing was sent, ReadTimeout,
ReadError, WriteError, RemoteProtocolError), so the session's retry and error mapping apply
unchanged. The response body is read whole (the SDK reads every body whole). Timeouts use
`asyncio.timeout`, never `asyncio.wait_for`, which in Python 3.11 loses a cancel (Ctrl-C)
that lands as the awaited read completes (cpython gh-86296).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import h11
import httpx

__all__ = ["PlainHTTPTransport"]

MAX_CONNECTIONS = 100  # httpx's default pool limit
READ_SIZE = 65536

_Key = tuple[str, int]
UNANSWERED = "Server disconnected without sending a response."


class _ClosedUnanswered(Exception):
    """The server closed the connection before answering (or reading) the request."""


def _key_of(request: httpx.Request) -> _Key:
    return request.url.host, request.url.port or 80


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def stale(self) -> bool:
        """The server closed it while idle (or sent something unasked)."""
        return self.reader.at_eof() or self.writer.is_closing()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


@dataclass
class _Answer:
    status: int = 0
    reason: bytes = b""
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)


class PlainHTTPTransport(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self._idle: dict[_Key, list[_Connection]] = {}
        self._slots: asyncio.Semaphore | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "http":
            raise httpx.UnsupportedProtocol(f"plain HTTP only, not {request.url.scheme}://")
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        if self._slots is None:
            self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        key = _key_of(request)
        async with self._slots:
            reused = self._reused(key)
            try:
                answer = await self._over(reused or await _connect(key, timeouts, request), request)
            except _ClosedUnanswered:
                if reused is None:
                    raise httpx.RemoteProtocolError(UNANSWERED, request=request) from None
                # the server closed the idle connection as the request went out: it never
                # read it, so it goes again once, on a new connection
                connection = await _connect(key, timeouts, request)
                answer = await self._over(connection, request)
        return httpx.Response(
            answer.status,
            headers=answer.headers,
            stream=httpx.ByteStream(bytes(answer.body)),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason},
        )

    async def _over(self, connection: _Connection, request: httpx.Request) -> _Answer:
        """One exchange on `connection`, kept for the next request when it allows."""
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        try:
            answer, reusable = await _exchange(connection, request, timeouts)
        except BaseException:
            await connection.close()
            raise
        if reusable:
            self._idle.setdefault(_key_of(request), []).append(connection)
        else:
            await connection.close()
        return answer

    def _reused(self, key: _Key) -> _Connection | None:
        idle = self._idle.get(key, [])
        while idle:
            connection = idle.pop()
            if not connection.stale():
                return connection
            connection.writer.close()
        return None

    async def aclose(self) -> None:
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                await connection.close()


async def _connect(key: _Key, timeouts: dict[str, Any], request: httpx.Request) -> _Connection:
    try:
        async with asyncio.timeout(timeouts.get("connect")):
            reader, writer = await asyncio.open_connection(*key)
    except TimeoutError as problem:
        raise httpx.ConnectTimeout("connect timed out", request=request) from problem
    except OSError as problem:
        raise httpx.ConnectError(str(problem), request=request) from problem
    return _Connection(reader, writer)


async def _exchange(
    connection: _Connection, request: httpx.Request, timeouts: dict[str, Any]
) -> tuple[_Answer, bool]:
    """Send `request`, read the whole answer; and whether the connection may be reused."""
    protocol = h11.Connection(h11.CLIENT)
    try:
        await _send(connection, protocol, request, timeouts.get("write"))
        answer = await _receive(connection, protocol, request, timeouts.get("read"))
    except h11.ProtocolError as problem:
        raise httpx.RemoteProtocolError(str(problem), request=request) from problem
    reusable = protocol.our_state is h11.DONE and protocol.their_state is h11.DONE
    return answer, reusable


async def _send(
    connection: _Connection, protocol: h11.Connection, request: httpx.Request, timeout: Any
) -> None:
    head = h11.Request(
        method=request.method, target=request.url.raw_path, headers=list(request.headers.raw)
    )
    await _write(connection, protocol.send(head), timeout, request)
    assert isinstance(request.stream, httpx.AsyncByteStream)
    async for chunk in request.stream:
        await _write(connection, protocol.send(h11.Data(data=chunk)), timeout, request)
    await _write(connection, protocol.send(h11.EndOfMessage()), timeout, request)


async def _write(
    connection: _Connection, data: bytes | None, timeout: Any, request: httpx.Request
) -> None:
    if not data:
        return
    try:
        connection.writer.write(data)
        async with asyncio.timeout(timeout):
            await connection.writer.drain()
    except TimeoutError as problem:
        raise httpx.WriteTimeout("write timed out", request=request) from problem
    except OSError as problem:
        raise httpx.WriteError(str(problem), request=request) from problem


async def _receive(
    connection: _Connection, protocol: h11.Connection, request: httpx.Request, timeout: Any
) -> _Answer:
    answer = _Answer()
    while True:
        event = protocol.next_event()
        if event is h11.NEED_DATA:
            protocol.receive_data(await _read(connection, timeout, request))
        elif isinstance(event, h11.Response):
            answer.status, answer.reason = event.status_code, event.reason
            answer.headers = list(event.headers)
        elif isinstance(event, h11.Data):
            answer.body += event.data
        elif isinstance(event, h11.EndOfMessage):
            return answer
        elif isinstance(event, h11.ConnectionClosed):
            raise _ClosedUnanswered


async def _read(connection: _Connection, timeout: Any, request: httpx.Request) -> bytes:
    try:
        async with asyncio.timeout(timeout):
            return await connection.reader.read(READ_SIZE)
    except TimeoutError as problem:
        raise httpx.ReadTimeout("read timed out", request=request) from problem
    except OSError as problem:
        raise httpx.ReadError(str(problem), request=request) from problem
