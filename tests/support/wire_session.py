"""In-process emulators for the wire recording, and the `Wire` that keeps every exchange.

Each emulator is fresh and in memory (the packaged estate, behaviours seed 0, an instant or
manual clock), its apps mounted through httpx's ASGI transport in this thread: the proxied
single-port app and PowerVC's per-port apps. What an exchange keeps is what clients read.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
from starlette.types import ASGIApp

from powerbridge.emulator.app import create_app, create_port_apps
from powerbridge.emulator.config import DEFAULT_SERVICE_PORTS, EmulatorConfig
from powerbridge.emulator.state import Emulator

# the response headers clients act on (request ids are checked through the masks' numbering)
READ_HEADERS = (
    "content-type",
    "location",
    "allow",
    "openstack-api-version",
    "x-openstack-nova-api-version",
    "vary",
    "x-subject-token",
    "www-authenticate",
    "x-openstack-request-id",
    "x-compute-request-id",
    "content-md5",
)
JSON_TYPE = "application/json"
RANDOM_ID_CANDIDATE = re.compile(
    r"(?<![0-9a-f])[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}(?![0-9a-f])"
)
ASCENDING_HEAD = "0" * 12  # the counter never reaches the top 48 bits; a random id does


class Wire:
    """Sends requests to one or more in-process apps and keeps every exchange, raw."""

    def __init__(self, runner: asyncio.Runner) -> None:
        self._runner = runner
        self._clients: dict[str, httpx.AsyncClient] = {}
        self.exchanges: list[dict[str, Any]] = []
        self.token = ""

    def mount(self, name: str, app: ASGIApp, base_url: str) -> None:
        transport = httpx.ASGITransport(app=app)
        self._clients[name] = httpx.AsyncClient(transport=transport, base_url=base_url)

    def close(self) -> None:
        for client in self._clients.values():
            self._runner.run(client.aclose())

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        app: str = "proxied",
        token: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> httpx.Response:
        """`body` goes as JSON (dict order kept); `raw` as is; `token=""` sends none."""
        sent = {"x-auth-token": self.token if token is None else token, **(headers or {})}
        sent = {k: v for k, v in sent.items() if v}
        content = raw
        if body is not None:
            content = json.dumps(body).encode()
            sent.setdefault("content-type", JSON_TYPE)
        request = self._clients[app].request(method, path, content=content, headers=sent)
        response = self._runner.run(request)
        _refuse_random_ids(response)
        self.exchanges.append(_exchange(app, method, path, sent, content, response))
        return response


def _refuse_random_ids(response: httpx.Response) -> None:
    """A random uuid4 on the wire means an id drawn past `ascending_uuids` (say after a
    `from uuid import uuid4`): listings ordered by id would then change from run to run."""
    for text in RANDOM_ID_CANDIDATE.findall(response.text):
        if not uuid.UUID(text).hex.startswith(ASCENDING_HEAD):
            raise AssertionError(
                f"{response.request.method} {response.request.url.path} answered the random "
                f"uuid {text}: patch its source in tests/support/wire_session.ascending_uuids"
            )


def _exchange(
    app: str,
    method: str,
    path: str,
    sent: dict[str, str],
    content: bytes | None,
    response: httpx.Response,
) -> dict[str, Any]:
    exchange: dict[str, Any] = {"app": app, "method": method, "path": path}
    request_type = sent.get("content-type")
    if request_type and request_type != JSON_TYPE:
        exchange["request_content_type"] = request_type
    if content is not None:
        exchange["request"] = _decoded(content, request_type or "")
    exchange["status"] = response.status_code
    exchange["headers"] = {k: response.headers[k] for k in READ_HEADERS if k in response.headers}
    if method == "HEAD":
        exchange["headers"]["content-length"] = response.headers.get("content-length")
    if response.content:
        exchange["body"] = _decoded(response.content, response.headers.get("content-type", ""))
    return exchange


def _decoded(content: bytes, content_type: str) -> Any:
    if "json" in content_type:
        try:
            return json.loads(content)
        except ValueError:
            pass  # a malformed body the scenario sent on purpose
    try:
        return content.decode()
    except UnicodeDecodeError:
        return {"bytes": len(content)}


@contextmanager
def ascending_uuids() -> Iterator[None]:
    """uuid4 answers 00000000-0000-4000-8000-000000000001, ...002 and so on: listings the
    emulator orders by id (flavors, roles) then come in creation order, run after run. The
    masks still number ids by first appearance, so an extra uuid drawn inside the emulator
    shifts nothing on the recorded wire."""
    counter = itertools.count(1)

    def ascending() -> uuid.UUID:
        return uuid.UUID(int=next(counter), version=4)

    with mock.patch.object(uuid, "uuid4", ascending):
        yield


@contextmanager
def emulator_wire(**config: Any) -> Iterator[Wire]:
    """A fresh in-memory emulator served through both URL styles, in this thread."""
    with (
        ascending_uuids(),
        tempfile.TemporaryDirectory(prefix="wire-logs-") as logs,
        asyncio.Runner() as runner,
    ):
        settings = EmulatorConfig(data_dir=None, log_dir=Path(logs), seed=0, **config)
        settings.service_ports = dict(DEFAULT_SERVICE_PORTS)
        emulator = Emulator(settings)
        wire = Wire(runner)
        wire.mount("proxied", create_app(emulator), "http://powervc.test")
        for name, app in create_port_apps(emulator).items():
            port = DEFAULT_SERVICE_PORTS.get(name, settings.port)
            wire.mount(name, app, f"http://powervc.test:{port}")
        try:
            yield wire
        finally:
            wire.close()
            emulator.close()
