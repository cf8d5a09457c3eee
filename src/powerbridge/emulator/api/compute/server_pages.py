"""servers/detail pages from servers serialised once.

A page of 1,000 servers used to build and encode 1,000 dicts per request (most of 60 ms).
Here each server's JSON is kept per view (the caller's project and admin flag, the URL it
came by, the microversion, whether the estate shows health), until the server is saved or
removed (the registry's watchers) or its addresses change (the network records' watchers);
a page joins the kept pieces. Only `host_status` is read per request: it follows the host,
which changes without the server being saved. The bytes are those `json_bytes` gives for
the whole body, as every other reply: the pieces are cut from that same encoding.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from powerbridge.emulator.api.compute.views import health_status, host_status, server_detail_kept
from powerbridge.emulator.api.routing import Call, json_bytes
from powerbridge.emulator.backend.server_records import Server

if TYPE_CHECKING:
    from powerbridge.emulator.state import Emulator

# views kept at once: a handful of callers and microversions list at a time; at 10,000
# servers a view holds up to ~18 MB, so the least recently used one goes beyond this
MAX_VIEWS = 4

View = tuple[str, str, bool, str, bool]


@dataclass(frozen=True)
class _Piece:
    head: bytes  # the server's object up to host_status, without its closing brace
    tail: bytes  # `,"health_status":{...}` when shown, then the closing brace


class ServerPages:
    def __init__(self, emulator: Emulator) -> None:
        self._views: OrderedDict[View, dict[str, _Piece]] = OrderedDict()
        emulator.server_registry.watch(lambda server: self.forget(server.id))
        emulator.networks.watch_addresses(self.forget)

    def forget(self, server_id: str | None) -> None:
        """Drop what is kept of `server_id` (None: of every server)."""
        if server_id is None:
            self._views.clear()
            return
        for pieces in self._views.values():
            pieces.pop(server_id, None)

    def body(self, call: Call, servers: Sequence[Server], links: list[dict[str, str]]) -> bytes:
        """`{"servers": [...], "servers_links": [...]}` as `json_bytes` encodes it."""
        pieces = self._pieces(call)
        host_members: dict[str | None, bytes] = {}
        parts = [b'{"servers":[']
        for server in servers:
            piece = pieces.get(server.id)
            if piece is None:
                piece = pieces[server.id] = _render(call, server)
            member = host_members.get(server.host)
            if member is None:  # the same for every server on a host
                member = _member("host_status", host_status(call, server))
                host_members[server.host] = member
            parts += (piece.head, member, piece.tail, b",")
        if servers:
            parts.pop()  # the last comma
        parts += (b"]", _member("servers_links", links) if links else b"", b"}")
        return b"".join(parts)  # one copy of the page, not one per server

    def _pieces(self, call: Call) -> dict[str, _Piece]:
        view = _view(call)
        pieces = self._views.get(view)
        if pieces is None:
            pieces = self._views[view] = {}
            while len(self._views) > MAX_VIEWS:
                self._views.popitem(last=False)
        self._views.move_to_end(view)
        return pieces


def _view(call: Call) -> View:
    """Everything of the request that `server_detail_kept` and `health_status` read."""
    caller = call.auth
    return (
        call.base_url(),
        caller.project_id or "",
        caller.is_admin,
        str(call.microversion),
        call.emulator.estate.server_health_status,
    )


def _render(call: Call, server: Server) -> _Piece:
    head = json_bytes(server_detail_kept(call, server))[:-1]
    health = health_status(call, server)
    tail = _member("health_status", health) if health is not None else b""
    return _Piece(head, tail + b"}")


def _member(key: str, value: Any) -> bytes:
    """`,"key":value` as it appears inside an encoded object (b"" for None: not shown)."""
    if value is None:
        return b""
    return b"," + json_bytes({key: value})[1:-1]


_PAGES: weakref.WeakKeyDictionary[Emulator, ServerPages] = weakref.WeakKeyDictionary()


def server_pages(emulator: Emulator) -> ServerPages:
    """The emulator's kept pages, watching its records from the first list on."""
    pages = _PAGES.get(emulator)
    if pages is None:
        pages = _PAGES[emulator] = ServerPages(emulator)
    return pages
