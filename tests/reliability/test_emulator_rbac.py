"""The emulator's RBAC matrix: every write route (tests/fuzz/world.py lists them from the route
tables, so a new route is in the matrix the day it is added) asked by four callers:

- a reader of the target's project (tempest's reader role): 403 in the service's policy
  wording (nova and cinder "Policy doesn't allow X to be performed.", neutron "(rule:X) is
  disallowed by policy", glance "You are not authorized to complete X action.", keystone and
  the emulator's admin API "You are not authorized to perform the requested action: X.");
- a member of another project, on a route naming a resource of the target's project: 404, as
  if the resource did not exist (on admin-only routes: the policy's 403);
- no token: 401; an expired token: 401 (identity's time moved past the token's expiry: its
  tokens follow wall time, not the emulator's clock).

The valid bodies are the fuzzer's templates (tests/fuzz/strategies.py): a refusal is the
policy's, not a body's. The requests go to the emulator's ASGI app through httpx, as the
fuzzer's do: the same app uvicorn serves, without a socket per request.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from powerbridge.emulator.config import DEFAULT_TOKEN_TTL
from tests.fuzz.strategies import body_templates
from tests.fuzz.world import (
    ABSENT_ID,
    GROUP_VERSION,
    Account,
    Operation,
    World,
    _login,
    write_operations,
)

pytestmark = pytest.mark.reliability

OPERATIONS = write_operations()
PUBLIC = {"identity POST /v3/auth/tokens"}  # signing in needs no token
# a user revokes their own tokens whatever their role (keystone's identity:revoke_token), and
# changes their own password with the old one as the proof (keystone enforces no policy there:
# a wrong original password is its 401)
NOT_POLICED_FOR_READERS = {
    "identity DELETE /v3/auth/tokens",
    "identity POST /v3/users/{user_id}/password",
}
POLICY = r"Policy doesn't allow [\w:.-]+ to be performed\."
GLANCE = r"You are not authorized to complete \w+ action\.|Not allowed to [\w ]+ for image \S+"
KEYSTONE = r"You are not authorized to perform the requested action: [\w:.-]+\."
WORDING = {
    "compute": re.compile(POLICY),
    "volume": re.compile(POLICY),
    "network": re.compile(r"\(rule:\w+\) is disallowed by policy"),
    "image": re.compile(GLANCE),
    "identity": re.compile(KEYSTONE),
    "emulator": re.compile(KEYSTONE),
}
# the image-member routes name the other project as the image's member (it was shared with
# it): the member accepts the share (200); only the image's owner removes a member (403)
SHARED_WITH_OTHER = {
    "image PUT /v2/images/{image_id}/members/{member_id}": 200,
    "image DELETE /v2/images/{image_id}/members/{member_id}": 403,
}
# path parameters naming a resource some project owns: another project's member gets a 404
OWNED = {"server_id", "volume_id", "snapshot_id", "image_id", "resource_id", "group_id", "name"}


class IdentityTime:
    """The identity backend's time source, which a test may move past every token's expiry."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


class Matrix:
    def __init__(self, world: World, reader: Account, expired: str, now: IdentityTime) -> None:
        self.world, self.reader, self.expired, self.now = world, reader, expired, now

    def ask(
        self, operation: Operation, token: str | None, project_id: str, *, late: bool = False
    ) -> httpx.Response:
        """The operation on the world's targets (made afresh) with a valid body; `late`: sent
        once identity's time is past every token's expiry."""
        world = self.world
        world.ensure(operation)
        self._prepare(operation)
        path = operation.path
        for param in operation.params:
            pool = world.pools.get(param) or [ABSENT_ID]  # no maker (user messages): absent
            value = project_id if param == "project_id" else pool[0]
            path = path.replace("{" + param + "}", value)
        headers, content = self._body(operation)
        if operation.path.endswith("/os-keypairs"):
            headers["OpenStack-API-Version"] = "compute 2.2"  # the template's key "type"
        if "/messages/" in operation.path:
            headers["OpenStack-API-Version"] = "volume 3.3"  # user messages start at 3.3
        if "/servers/{server_id}/tags" in operation.path:
            headers["OpenStack-API-Version"] = "compute 2.26"  # server tags start at 2.26
        if "/volume-transfers" in operation.path:
            headers["OpenStack-API-Version"] = "volume 3.55"  # the new transfer API's first
        if operation.service == "volume" and "/group" in operation.path:
            headers["OpenStack-API-Version"] = GROUP_VERSION  # generic volume groups
        if token is not None:
            headers["X-Auth-Token"] = token
        url = world.url(operation.service, path)
        self.now.ahead = DEFAULT_TOKEN_TTL + 60 if late else 0.0
        try:
            return world.client.request(operation.method, url, content=content, headers=headers)
        finally:
            self.now.ahead = 0.0

    def _body(self, operation: Operation) -> tuple[dict[str, str], bytes | None]:
        if operation.method == "DELETE":
            return {}, None
        if operation.path.endswith("/file"):
            return {"Content-Type": "application/octet-stream"}, b"image data"
        body: Any = body_templates(operation, self.world)[0]
        kind = "application/json"
        if operation.service == "image" and operation.method == "PATCH":
            kind = "application/openstack-images-v2.1-json-patch"
        return {"Content-Type": kind}, json.dumps(body).encode()

    def _prepare(self, operation: Operation) -> None:
        """What the route acts on must exist for the policy to be what refuses it."""
        world, pools = self.world, self.world.pools
        if "{message_id}" in operation.path:
            pools["message_id"] = [self._user_message()]
        if "{member_id}" in operation.path:  # the image shared with that project first
            image, member = pools["image_id"][0], pools["member_id"][0]
            body = {"member": member}
            world.call("POST", "image", f"/v2/images/{image}/members", body)
        if operation.path.endswith("/metadata/{key}") and operation.method == "DELETE":
            owner = next(
                p for p in ("server_id", "image_id", "volume_id", "snapshot_id") if p in pools
            )
            base = operation.path.rsplit("/{key}", 1)[0]
            base = base.replace("{project_id}", world.admin.project_id)
            base = base.replace("{" + owner + "}", pools[owner][0])
            key = pools["key"][0]
            world.call("PUT", operation.service, f"{base}/{key}", {"meta": {key: "v"}})

    def _user_message(self) -> str:
        """A volume create that fails (no provider has the room) leaves a user message."""
        world, project = self.world, self.world.admin.project_id
        kind = world.essentials["volume_type"]
        body = {"volume": {"size": 90_000, "name": "rbac-too-big", "volume_type": kind}}
        answer = world.call("POST", "volume", f"/v3/{project}/volumes", body)
        assert answer.status_code == 202, answer.text
        made = answer.json()["volume"]
        world.call("GET", "volume", f"/v3/{project}/volumes/{made['id']}")  # the create ends
        url = world.url("volume", f"/v3/{project}/messages")
        headers = {"X-Auth-Token": world.admin.token, "OpenStack-API-Version": "volume 3.3"}
        listed = world.client.request("GET", url, headers=headers).json()["messages"]
        return str(next(m["id"] for m in listed if m["resource_uuid"] == made["id"]))


@pytest.fixture(scope="module", name="matrix")
def matrix_fixture() -> Iterator[Matrix]:
    with asyncio.Runner() as runner:
        world = World.create(runner)
        now = IdentityTime()
        world.emulator.identity._time_source = now  # the backend's documented test seam
        try:
            yield Matrix(world, _reader_of_the_admin_project(world), _admin_token(world), now)
        finally:
            world.close()


def _reader_of_the_admin_project(world: World) -> Account:
    body = {"user": {"name": "rbac-reader", "password": "rbac-reader-pw"}}
    user_id = world.call("POST", "identity", "/v3/users", body).json()["user"]["id"]
    role = world._role_id("reader")
    grant = f"/v3/projects/{world.admin.project_id}/users/{user_id}/roles/{role}"
    assert world.call("PUT", "identity", grant).status_code == 204
    return _login(world.client, "rbac-reader", "rbac-reader-pw", "ibm-default")


def _admin_token(world: World) -> str:
    return world.fresh_token()


def message(operation: Operation, response: httpx.Response) -> str:
    body = response.json()
    if operation.service == "network":
        return str(body["NeutronError"]["message"])
    if operation.service == "image" or (
        operation.service == "compute" and "/images/" in operation.path  # nova's image proxy
    ):
        found = body.get("message") or next(iter(body.values()))["message"]
        return str(found)
    if operation.service == "identity":
        return str(body["error"]["message"])
    ((_, fault),) = body.items()
    return str(fault["message"])


def wording(operation: Operation) -> re.Pattern[str]:
    if operation.service == "compute" and "/images/" in operation.path:
        return WORDING["image"]  # nova's image proxy passes glance's refusal on
    return WORDING[operation.service]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.id)
def test_a_reader_is_refused_in_the_services_policy_wording(
    matrix: Matrix, operation: Operation
) -> None:
    if operation.id in PUBLIC | NOT_POLICED_FOR_READERS:
        pytest.skip("not a policed write: " + operation.id)
    answer = matrix.ask(operation, matrix.reader.token, matrix.reader.project_id)
    assert answer.status_code == 403, f"{operation.id}: {answer.status_code} {answer.text[:300]}"
    said = message(operation, answer)
    assert wording(operation).fullmatch(said), f"{operation.id}: {said!r}"


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.id)
def test_another_projects_member_sees_no_resource_of_this_one(
    matrix: Matrix, operation: Operation
) -> None:
    if operation.id in PUBLIC | NOT_POLICED_FOR_READERS:
        pytest.skip("not a policed write: " + operation.id)
    other = matrix.world.member  # a member of the project "fuzz"
    answer = matrix.ask(operation, other.token, other.project_id)
    owned = OWNED & set(operation.params)
    if operation.service in ("identity", "emulator"):
        expected = {403}  # admin-only: the policy refuses before any lookup
    elif operation.id in SHARED_WITH_OTHER:
        expected = {SHARED_WITH_OTHER[operation.id]}
    elif owned:
        expected = {404}
    else:  # a create in the caller's own project (404 when the body names one of this
        # project's resources), or an admin-only route of the service (403)
        expected = {200, 201, 202, 403, 404}
    assert answer.status_code in expected, (
        f"{operation.id}: {answer.status_code} {answer.text[:300]}"
    )


def test_the_expired_token_is_refused_only_for_its_age(matrix: Matrix) -> None:
    """The token that expires below is the admin's and good until its time: its 401s are
    the expiry's."""
    url = matrix.world.url("compute", "/v2.1/servers")
    headers = {"X-Auth-Token": matrix.expired}
    assert matrix.world.client.request("GET", url, headers=headers).status_code == 200
    matrix.now.ahead = DEFAULT_TOKEN_TTL + 60
    try:
        assert matrix.world.client.request("GET", url, headers=headers).status_code == 401
    finally:
        matrix.now.ahead = 0.0


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.id)
def test_no_token_and_an_expired_token_are_401(matrix: Matrix, operation: Operation) -> None:
    if operation.id in PUBLIC:
        pytest.skip("public: " + operation.id)
    anonymous = matrix.ask(operation, None, matrix.world.admin.project_id)
    assert anonymous.status_code == 401, f"{operation.id}: {anonymous.text[:300]}"
    expired = matrix.ask(operation, matrix.expired, matrix.world.admin.project_id, late=True)
    assert expired.status_code == 401, f"{operation.id}: {expired.text[:300]}"
