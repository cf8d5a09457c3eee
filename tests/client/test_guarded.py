"""Guarded creates: a create is never blindly retried, it is looked up by name and token first.

A fake nova and cinder behind `httpx.MockTransport` (FakeCloud's keystone) really create what a
`POST` asks for, and a script says, per `POST`, whether the resource is made and what the
client gets back: the 202, an error status, or an exception in place of the answer (a lost
answer). Sleeps and jitter are injected, so the backoff is seen exactly and costs no time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs

import httpx
import pytest

from powerbridge.client import (
    BadRequest,
    Cloud,
    OverLimit,
    ServerCreate,
    ServerError,
    ServiceUnavailable,
    Session,
    TransportError,
    VolumeCreate,
)
from powerbridge.client._guarded import TOKEN_KEY, with_token
from tests.support.fake_cloud import CONFIG, PROJECT, PROXIED, FakeCloud, Sleeps

T = TypeVar("T")
SERVERS = f"{PROXIED}/compute/v2.1/{PROJECT}/servers"
VOLUMES = f"{PROXIED}/volume/v3/{PROJECT}/volumes"
LOST = httpx.RemoteProtocolError("Server disconnected without sending a response.")
REFUSED = httpx.ConnectError("[Errno 111] Connection refused")
TIMED_OUT = httpx.ReadTimeout("timed out")


@dataclass(frozen=True)
class Step:
    """What one `POST` does: whether the service makes the resource, and what the client gets
    (a status, or an exception raised in place of the answer)."""

    creates: bool
    answer: int | Exception = 202
    late: bool = False  # made only after the next lookup (a slow service)


OK = Step(True)
CREATED_THEN_LOST = Step(True, LOST)
CREATED_THEN_503 = Step(True, 503)
REFUSED_503 = Step(False, 503)


class Creating(FakeCloud):
    """Nova's `POST /servers` and `GET /servers/detail` (name: a regular expression) and
    cinder's `POST /volumes` and `GET /volumes/detail` (name, metadata filters)."""

    def __init__(self, *script: Step, lookup_status: int = 200) -> None:
        super().__init__()
        self.script = list(script)
        self.lookup_status = lookup_status
        self.made: dict[str, list[dict[str, Any]]] = {"servers": [], "volumes": []}
        self.posts: list[httpx.Request] = []
        self.lookups: list[httpx.Request] = []
        self.deletes: list[httpx.Request] = []
        self.pending: list[tuple[str, dict[str, Any]]] = []  # late creates
        self.delete_status = 204

    def handle(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url).split("?")[0]
        if request.method == "POST" and url in (SERVERS, VOLUMES):
            self.calls.append(request)
            return self.create(request, url.rsplit("/", 1)[-1])
        if request.method == "GET" and url in (f"{SERVERS}/detail", f"{VOLUMES}/detail"):
            self.calls.append(request)
            response = self.lookup(request, url.rsplit("/", 2)[-2])
            for collection, made in self.pending:  # visible from the next lookup on
                self.made[collection].append(made)
            self.pending.clear()
            return response
        parent = url.rsplit("/", 1)[0]
        if request.method == "DELETE" and parent in (SERVERS, VOLUMES):
            self.calls.append(request)
            self.deletes.append(request)
            if self.delete_status >= 400:
                fault = {"badRequest": {"code": 400, "message": "volume is creating"}}
                return httpx.Response(self.delete_status, json=fault)
            collection, item = parent.rsplit("/", 1)[-1], url.rsplit("/", 1)[-1]
            self.made[collection] = [r for r in self.made[collection] if r["id"] != item]
            return httpx.Response(204 if collection == "servers" else 202)
        return super().handle(request)

    def create(self, request: httpx.Request, collection: str) -> httpx.Response:
        self.posts.append(request)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        key = collection[:-1]
        spec = json.loads(request.content)[key]
        made = {
            "id": f"{key}-{len(self.made[collection]) + 1}",
            "name": spec.get("name") or "",
            "status": "BUILD" if key == "server" else "creating",
            "size": spec.get("size", 0),
            "metadata": dict(spec.get("metadata") or {}),
        }
        if step.creates and step.late:
            self.pending.append((collection, made))
        elif step.creates:
            self.made[collection].append(made)
        number = len(self.posts)
        if isinstance(step.answer, Exception):
            raise step.answer
        headers = {"x-openstack-request-id": f"req-post-{number}"}
        if step.answer >= 400:
            fault = {"computeFault": {"code": step.answer, "message": "try later"}}
            return httpx.Response(step.answer, json=fault, headers=headers)
        body = {key: {"id": made["id"], "adminPass": "s3cret"} if key == "server" else made}
        return httpx.Response(step.answer, json=body, headers=headers)

    def lookup(self, request: httpx.Request, collection: str) -> httpx.Response:
        self.lookups.append(request)
        headers = {"x-openstack-request-id": f"req-list-{len(self.lookups)}"}
        if self.lookup_status != 200:
            fault = {"computeFault": {"code": self.lookup_status, "message": "db down"}}
            return httpx.Response(self.lookup_status, json=fault, headers=headers)
        query = {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}
        rows = self.made[collection]
        if "name" in query:
            if collection == "servers":
                rows = [r for r in rows if re.search(query["name"], r["name"])]
            else:
                rows = [r for r in rows if r["name"] == query["name"]]
        if "metadata" in query:
            wanted = json.loads(query["metadata"])
            rows = [r for r in rows if all(r["metadata"].get(k) == v for k, v in wanted.items())]
        return httpx.Response(200, json={collection: rows}, headers=headers)


def with_cloud(fake: Creating, sleeps: Sleeps, use: Callable[[Cloud], Awaitable[T]]) -> T:
    async def main() -> T:
        session = Session(CONFIG, transport=fake.transport(), sleep=sleeps, uniform=lambda: 1.0)
        async with Cloud(session) as cloud:
            return await use(cloud)

    return asyncio.run(main())


def create_server(
    fake: Creating, sleeps: Sleeps, **fields: Any
) -> tuple[str, str | None, str | None]:
    async def use(cloud: Cloud) -> tuple[str, str | None, str | None]:
        request = ServerCreate(name="vm1", image_id="i", flavor_id="f", **fields)
        created = await cloud.compute.create_server(request)
        return created.id, created.request_id, created.admin_pass

    return with_cloud(fake, sleeps, use)


def tokens(fake: Creating) -> list[str]:
    return [json.loads(p.content)["server"]["metadata"][TOKEN_KEY] for p in fake.posts]


# -- the token ----------------------------------------------------------------------------------
def test_every_create_carries_a_token_and_keeps_the_callers_metadata() -> None:
    fake = Creating(OK)
    create_server(fake, Sleeps(), metadata={"tier": "db"})
    metadata = json.loads(fake.posts[0].content)["server"]["metadata"]
    assert metadata["tier"] == "db"
    assert re.fullmatch(r"[0-9a-f]{32}", metadata[TOKEN_KEY])
    assert fake.lookups == []  # a create that answers is not looked up


def test_a_token_the_caller_set_is_kept_and_the_callers_body_is_untouched() -> None:
    body = {"server": {"name": "vm1", "metadata": {TOKEN_KEY: "mine"}}}
    sent = with_token(body, "server")
    assert sent["server"]["metadata"] == {TOKEN_KEY: "mine"}
    plain = {"server": {"name": "vm1"}}
    assert TOKEN_KEY in with_token(plain, "server")["server"]["metadata"]
    assert plain == {"server": {"name": "vm1"}}
    with pytest.raises(ValueError, match="'volume' object"):
        with_token(plain, "volume")


# -- servers -----------------------------------------------------------------------------------
def test_answer_lost_after_the_server_was_made_is_found_not_sent_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake, sleeps = Creating(CREATED_THEN_LOST, OK), Sleeps()
    with caplog.at_level(logging.INFO, logger="powerbridge.client"):
        server_id, request_id, admin_pass = create_server(fake, sleeps)
    assert server_id == "server-1"
    assert request_id == "req-list-1"  # no answer, so the lookup's
    assert admin_pass is None
    assert len(fake.posts) == 1
    assert len(fake.made["servers"]) == 1
    lookup, duplicates = fake.lookups  # the second: any duplicate an earlier attempt made
    assert parse_qs(lookup.url.query.decode()) == {"name": ["^vm1$"]}
    assert duplicates.url == lookup.url
    assert sleeps.delays == [0.2]  # the backoff, waited before looking it up
    [warning] = [r for r in caplog.records if r.name == "powerbridge.client"]
    assert warning.levelno == logging.WARNING
    message = warning.getMessage()
    assert message.startswith(f"compute POST {SERVERS} -> no answer: ")
    assert "yet the server was created: server named 'vm1' (id server-1)" in message
    assert "lookup request req-list-1" in message


def test_503_after_the_server_was_made_keeps_the_creates_request_id() -> None:
    fake = Creating(CREATED_THEN_503, OK)
    server_id, request_id, _ = create_server(fake, Sleeps())
    assert (server_id, request_id) == ("server-1", "req-post-1")
    assert len(fake.posts) == 1


def test_503_that_made_nothing_is_looked_up_then_sent_again_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake, sleeps = Creating(REFUSED_503, OK), Sleeps()
    with caplog.at_level(logging.INFO, logger="powerbridge.client"):
        server_id, request_id, admin_pass = create_server(fake, sleeps)
    assert (server_id, request_id, admin_pass) == ("server-1", "req-post-2", "s3cret")
    assert len(fake.posts) == 2
    assert len(fake.lookups) == 2  # before sending it again, and for duplicates after
    assert [s["id"] for s in fake.made["servers"]] == ["server-1"]  # exactly one
    assert tokens(fake)[0] == tokens(fake)[1]  # the same create, sent again
    assert sleeps.delays == [0.2]  # the session's backoff, before the lookup
    [info] = [r for r in caplog.records if r.name == "powerbridge.client"]
    assert info.levelno == logging.INFO
    assert info.getMessage() == (
        f"compute POST {SERVERS} -> 503 Service Unavailable (request req-post-1); after "
        "0.20 s no server named 'vm1' carries its token, so none was created: sending it "
        "again (attempt 2 of 4)"
    )


@pytest.mark.parametrize("status", [429, 502, 504])
def test_other_retry_statuses_are_looked_up_and_sent_again(status: int) -> None:
    fake, sleeps = Creating(Step(False, status), OK), Sleeps()
    assert create_server(fake, sleeps)[0] == "server-1"
    assert (len(fake.posts), len(fake.lookups), sleeps.delays) == (2, 2, [0.2])


@pytest.mark.parametrize(
    ("status", "error"), [(400, BadRequest), (413, OverLimit), (500, ServerError)]
)
def test_other_errors_are_raised_at_once_without_a_lookup(
    status: int, error: type[Exception]
) -> None:
    fake, sleeps = Creating(Step(False, status), OK), Sleeps()
    with pytest.raises(error) as caught:
        create_server(fake, sleeps)
    assert "(request req-post-1)" in str(caught.value)
    assert "looked up" not in str(caught.value)
    assert (len(fake.posts), fake.lookups, sleeps.delays) == (1, [], [])


def test_when_the_budget_is_spent_the_last_error_says_it_is_safe_to_try_again() -> None:
    fake, sleeps = Creating(REFUSED_503), Sleeps()
    with pytest.raises(ServiceUnavailable) as caught:
        create_server(fake, sleeps)
    assert caught.value.request_id == "req-post-4"
    assert str(caught.value) == (
        f"compute POST {SERVERS}: 503 Service Unavailable: try later (request req-post-4); "
        "sent 4 times, looked up by name and token, not found: no server was created, "
        "it is safe to try again"
    )
    assert (len(fake.posts), len(fake.lookups)) == (4, 4)
    assert sleeps.delays == [0.2, 0.4, 0.8, 1.6]  # each before its lookup
    assert fake.made["servers"] == []


def test_a_refused_connection_is_sent_again_without_a_lookup() -> None:
    fake, sleeps = Creating(Step(False, REFUSED)), Sleeps()
    with pytest.raises(TransportError) as caught:
        create_server(fake, sleeps)
    assert str(caught.value).endswith(
        "cannot connect: [Errno 111] Connection refused; sent 4 times, never reached the "
        "service: no server was created, it is safe to try again"
    )
    assert (len(fake.posts), fake.lookups, sleeps.delays) == (4, [], [0.2, 0.4, 0.8])


def test_a_rejected_certificate_is_raised_at_once() -> None:
    rejected = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    fake, sleeps = Creating(Step(False, rejected)), Sleeps()
    with pytest.raises(TransportError) as caught:
        create_server(fake, sleeps)
    assert caught.value.tls_failure
    assert (len(fake.posts), fake.lookups, sleeps.delays) == (1, [], [])


def test_a_failed_lookup_says_whether_it_was_created_is_unknown() -> None:
    fake, sleeps = Creating(CREATED_THEN_LOST, lookup_status=500), Sleeps()
    with pytest.raises(TransportError) as caught:
        create_server(fake, sleeps)
    message = str(caught.value)
    assert "whether a server was created is unknown: looking it up failed" in message
    assert "500 Internal Server Error: db down (request req-list-1)" in message
    assert caught.value.hint == "list the servers named 'vm1' before trying again"
    assert len(fake.posts) == 1


def test_a_namesake_without_the_token_is_not_taken_for_the_create() -> None:
    fake, sleeps = Creating(REFUSED_503, OK), Sleeps()
    fake.made["servers"].append(
        {"id": "old", "name": "vm1", "status": "ACTIVE", "metadata": {TOKEN_KEY: "other"}}
    )
    assert create_server(fake, sleeps)[0] == "server-2"
    assert len(fake.posts) == 2


def test_a_timed_out_create_that_appears_late_leaves_one_server_the_duplicate_deleted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake, sleeps = Creating(Step(True, TIMED_OUT, late=True), OK), Sleeps()
    with caplog.at_level(logging.INFO, logger="powerbridge.client"):
        server_id, request_id, admin_pass = create_server(fake, sleeps)
    assert (server_id, request_id, admin_pass) == ("server-2", "req-post-2", "s3cret")
    assert len(fake.posts) == 2
    assert tokens(fake)[0] == tokens(fake)[1]
    assert len(fake.lookups) == 2  # empty before the resend; server-1 shows up after it
    assert sleeps.delays == [0.2]  # waited before the first lookup
    [deleted] = fake.deletes
    assert str(deleted.url) == f"{SERVERS}/server-1"
    assert [s["id"] for s in fake.made["servers"]] == ["server-2"]  # exactly one left
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.getMessage().startswith(
        f"deleted server named 'vm1' (id server-1), a duplicate of server-2 (same {TOKEN_KEY}="
    )


def test_a_create_that_answers_first_time_is_not_checked_for_duplicates() -> None:
    fake = Creating(OK)
    create_server(fake, Sleeps())
    assert (fake.lookups, fake.deletes) == ([], [])


def test_a_duplicate_volume_that_cannot_be_deleted_is_named_in_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake, sleeps = Creating(Step(True, TIMED_OUT, late=True), OK), Sleeps()
    fake.delete_status = 400
    with caplog.at_level(logging.WARNING, logger="powerbridge.client"):
        assert create_volume(fake, sleeps)[:2] == ("volume-2", "data1")
    [deleted] = fake.deletes
    assert str(deleted.url) == f"{VOLUMES}/volume-1"
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    message = warning.getMessage()
    assert message.startswith(
        "could not delete volume named 'data1' (id volume-1), a duplicate of volume-2"
    )
    assert "delete it by hand" in message


# -- volumes -----------------------------------------------------------------------------------
def create_volume(fake: Creating, sleeps: Sleeps, name: str | None = "data1") -> tuple[Any, ...]:
    async def use(cloud: Cloud) -> tuple[Any, ...]:
        volume, request_id = await cloud.volume.create_volume(VolumeCreate(size=2, name=name))
        return volume.id, volume.name, request_id

    return with_cloud(fake, sleeps, use)


def test_volume_answer_lost_after_it_was_made_is_found_by_name_and_token() -> None:
    fake, sleeps = Creating(CREATED_THEN_LOST, OK), Sleeps()
    assert create_volume(fake, sleeps) == ("volume-1", "data1", "req-list-1")
    lookup, _ = fake.lookups
    assert parse_qs(lookup.url.query.decode()) == {"name": ["data1"]}
    assert (len(fake.posts), len(fake.made["volumes"]), sleeps.delays) == (1, 1, [0.2])


def test_volume_503_that_made_nothing_is_sent_again_and_one_volume_exists() -> None:
    fake, sleeps = Creating(REFUSED_503, OK), Sleeps()
    assert create_volume(fake, sleeps) == ("volume-1", "data1", "req-post-2")
    assert (len(fake.posts), len(fake.lookups), len(fake.made["volumes"])) == (2, 2, 1)


def test_a_volume_without_a_name_is_looked_up_by_its_token() -> None:
    fake = Creating(CREATED_THEN_LOST)
    assert create_volume(fake, Sleeps(), name=None)[0] == "volume-1"
    token = json.loads(fake.posts[0].content)["volume"]["metadata"][TOKEN_KEY]
    lookup, _ = fake.lookups
    assert json.loads(parse_qs(lookup.url.query.decode())["metadata"][0]) == {TOKEN_KEY: token}


def test_volume_400_is_not_retried_and_budget_spent_is_safe_to_retry() -> None:
    fake = Creating(Step(False, 400))
    with pytest.raises(BadRequest):
        create_volume(fake, Sleeps())
    assert (len(fake.posts), fake.lookups) == (1, [])
    fake = Creating(Step(False, 504))
    with pytest.raises(ServerError) as caught:
        create_volume(fake, Sleeps())
    assert caught.value.status == 504
    assert caught.value.request_id == "req-post-4"
    assert str(caught.value).endswith(
        "(request req-post-4); sent 4 times, looked up by name and token, not found: no volume "
        "was created, it is safe to try again"
    )
    assert (len(fake.posts), len(fake.lookups), fake.made["volumes"]) == (4, 4, [])
