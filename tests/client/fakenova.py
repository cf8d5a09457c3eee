"""A scripted nova (and cinder) behind `httpx.MockTransport` for the waiter and resource tests.

Servers move one step per tick (a tick starts with each first-page list call): BUILD through
its task states, then ACTIVE, or ERROR with a fault for the ones named to fail. Lists follow
nova: `servers/detail` with `changes-since` (deleted servers included) and limit/marker pages
with a `servers_links` next link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx

from powerbridge.client import CloudConfig, Session
from tests.support.fake_cloud import PROXIED, FakeCloud

BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
BUILD_STEPS = ("scheduling", "block_device_mapping", "networking", "spawning")
COMPUTE = f"{PROXIED}/compute/v2.1/"


@dataclass
class FakeServer:
    id: str
    name: str
    ready_tick: int  # the tick it becomes final
    fails: bool = False
    deleted_at_tick: int | None = None
    status: str = "BUILD"
    task_state: str | None = "scheduling"
    updated: datetime = BASE_TIME

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "OS-EXT-STS:task_state": self.task_state,
            "updated": self.updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "addresses": {"net": [{"addr": "10.0.0.1", "version": 4}]},
        }
        if self.status == "ERROR":
            body["fault"] = {"code": 500, "message": f"{self.name} failed", "created": "x"}
        return body


@dataclass
class FakeNova:
    servers: dict[str, FakeServer] = field(default_factory=dict)
    page_size: int = 50
    tick: int = 0
    list_calls: int = 0
    listed: list[dict[str, list[str]]] = field(default_factory=list)

    def add(self, server: FakeServer) -> None:
        self.servers[server.id] = server

    def advance(self) -> None:
        self.tick += 1
        now = BASE_TIME + timedelta(seconds=10 * self.tick)
        for server in self.servers.values():
            before = (server.status, server.task_state)
            if server.deleted_at_tick is not None and self.tick >= server.deleted_at_tick:
                server.status, server.task_state = "DELETED", None
            elif self.tick >= server.ready_tick:
                server.status = "ERROR" if server.fails else "ACTIVE"
                server.task_state = None
            else:
                step = min(self.tick, len(BUILD_STEPS) - 1)
                server.task_state = BUILD_STEPS[step]
            if (server.status, server.task_state) != before:
                server.updated = now

    def handle(self, request: httpx.Request) -> httpx.Response:
        query = parse_qs(request.url.query.decode())
        self.list_calls += 1
        self.listed.append(query)
        if "marker" not in query:
            self.advance()
        rows = sorted(self.servers.values(), key=lambda s: s.id)
        if "changes-since" in query:
            since = datetime.fromisoformat(query["changes-since"][0].replace("Z", "+00:00"))
            rows = [s for s in rows if s.updated >= since]
        else:
            rows = [s for s in rows if s.status != "DELETED"]
        if "marker" in query:
            ids = [s.id for s in rows]
            rows = rows[ids.index(query["marker"][0]) + 1 :]
        limit = int(query.get("limit", [self.page_size])[0])
        page, more = rows[:limit], len(rows) > limit
        body: dict[str, Any] = {"servers": [s.body() for s in page]}
        if more:
            href = f"{COMPUTE}servers/detail?limit={limit}&marker={page[-1].id}"
            body["servers_links"] = [{"rel": "next", "href": href}]
        return httpx.Response(200, json=body)


class Cloud(FakeCloud):
    """FakeCloud's keystone, with servers/detail answered by a `FakeNova`."""

    def __init__(self, nova: FakeNova) -> None:
        super().__init__()
        self.nova = nova

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/servers/detail"):
            self.calls.append(request)
            return self.nova.handle(request)
        return super().handle(request)


def session(cloud: Cloud, config: CloudConfig) -> Session:
    return Session(config, transport=cloud.transport())
