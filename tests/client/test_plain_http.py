"""The plain http:// transport (asyncio streams and h11) against small loopback servers:
keep-alive reuse, a connection the server closed while idle, refused connections and read
timeouts as httpx's exceptions, request bodies and chunked answers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from powerbridge.client.plain_http import PlainHTTPTransport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _serve(handler: Handler) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + (await reader.readexactly(length) if length else b"")


def _answer(body: bytes, *extra: bytes) -> bytes:
    headers = b"".join(line + b"\r\n" for line in extra)
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), headers, body)


def test_keep_alive_connections_are_reused_and_bodies_go_both_ways() -> None:
    connections: list[int] = []
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        while not reader.at_eof():
            try:
                request = await _read_request(reader)
            except asyncio.IncompleteReadError:
                break
            seen.append(request)
            writer.write(_answer(b'{"ok": true}'))
            await writer.drain()
        writer.close()

    async def main() -> list[httpx.Response]:
        server, url = await _serve(handler)
        async with server, httpx.AsyncClient(transport=PlainHTTPTransport()) as client:
            first = await client.post(url + "/a?x=1", json={"name": "vm1"})
            second = await client.get(url + "/b")
            return [first, second]

    first, second = asyncio.run(main())
    assert (first.status_code, first.json()) == (200, {"ok": True})
    assert second.json() == {"ok": True}
    assert len(connections) == 1
    assert seen[0].startswith(b"POST /a?x=1 HTTP/1.1\r\n")
    assert seen[0].endswith(b'{"name":"vm1"}')


def test_a_connection_closed_while_idle_is_replaced_and_the_request_answered() -> None:
    connections: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await _read_request(reader)
        writer.write(_answer(b"one", b"Keep-Alive: timeout=5"))
        await writer.drain()
        writer.close()  # as a keep-alive timeout does, without saying so

    async def main() -> bytes:
        server, url = await _serve(handler)
        async with server, httpx.AsyncClient(transport=PlainHTTPTransport()) as client:
            await client.get(url)
            await asyncio.sleep(0.05)
            return (await client.get(url)).content

    assert asyncio.run(main()) == b"one"
    assert len(connections) == 2


def test_chunked_answers_are_read_whole() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )
        await writer.drain()
        writer.close()

    async def main() -> httpx.Response:
        server, url = await _serve(handler)
        async with server, httpx.AsyncClient(transport=PlainHTTPTransport()) as client:
            return await client.get(url)

    response = asyncio.run(main())
    assert (response.status_code, response.reason_phrase) == (201, "Created")
    assert response.content == b"hello world"


def test_a_refused_connection_is_a_connect_error() -> None:
    async def main() -> None:
        server, url = await _serve(lambda reader, writer: asyncio.sleep(0))
        server.close()
        await server.wait_closed()
        async with httpx.AsyncClient(transport=PlainHTTPTransport()) as client:
            await client.get(url)

    with pytest.raises(httpx.ConnectError):
        asyncio.run(main())


def test_a_silent_server_is_a_read_timeout() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        await asyncio.sleep(1)

    async def main() -> None:
        server, url = await _serve(handler)
        timeout = httpx.Timeout(5.0, read=0.1)
        async with server, httpx.AsyncClient(transport=PlainHTTPTransport()) as client:
            await client.get(url, timeout=timeout)

    with pytest.raises(httpx.ReadTimeout):
        asyncio.run(main())


def test_a_server_that_closes_without_answering_is_a_protocol_error() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.close()

    async def main() -> None:
        server, url = await _serve(handler)
        async with server, httpx.AsyncClient(transport=PlainHTTPTransport()) as client:
            await client.get(url)

    with pytest.raises(httpx.RemoteProtocolError):
        asyncio.run(main())
