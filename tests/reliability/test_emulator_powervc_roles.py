"""PowerVC's roles over every write route (tests/fuzz/world.py lists them from the route
tables): a user holding one PowerVC role in the target's project asks each route; the answer
expected is IBM's "Managing roles" table
(https://www.ibm.com/docs/en/powervc/2.1.0?topic=security-managing-roles), written here as
the tasks each role may do, not read from the emulator's policy module:

- a task the role may do is not refused by the policy (whatever else the body or the
  target's state then says: 202, 409, ...);
- a task it may not do is a 403 in the service's policy wording, as for keystone's reader.

The route -> task mapping below is this test's reading of each route; the operations'
bodies are the fuzzer's templates (a server action is os-stop, a volume action os-extend, a
snapshot action os-reset_status, an aggregate action set_metadata).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.fuzz.world import Account, Operation, World, _login, write_operations
from tests.reliability.test_emulator_rbac import (
    PUBLIC,
    IdentityTime,
    Matrix,
    message,
    wording,
)

pytestmark = pytest.mark.reliability

OPERATIONS = write_operations()
VM_TASKS = {"deploy", "deploy_remove", "power", "vm_edit", "vm_remove"}
# IBM's table: what each role may do (admin: everything; every role reads everything)
IBM_TASKS: dict[str, set[str]] = {
    "viewer": set(),
    "vm_user": {"power"},  # start, stop, restart
    "deployer": {"deploy", "deploy_remove"},  # deploy (and the key pairs a deploy takes)
    "deployer_restricted": {"deploy", "deploy_remove"},
    "vm_manager": VM_TASKS,  # deploy, delete, resize, start, stop, attach and detach
    "image_manager": {"image_edit", "image_remove", "capture"},
    "storage_manager": {"volume_edit", "volume_remove", "consistency_group"},
    # create and edit everything (hosts, templates, networks too), remove or delete nothing
    "admin_assist": {"deploy", "power", "vm_edit", "capture", "image_edit", "volume_edit"}
    | {"admin_edit"},
    # PowerVC for Private Cloud: a project's own VMs; its manager also images and volumes
    "self_service": VM_TASKS | {"capture"},
    "project_manager": VM_TASKS
    | {"capture", "image_edit", "image_remove", "volume_edit", "volume_remove"},
}
# the cloud's administration, admin's alone (no role's task): nova's and cinder's services,
# default quotas (quota classes), hosts, the events neutron and cinder send nova, PowerVC's
# onboarding and unmanaging, remote restart of a failed host, glance's metadefs catalog
CLOUD_ADMIN = (
    "/os-services/",
    "/os-quota-class-sets/",
    "/os-hosts/",
    "/os-server-external-events",
    "/metadefs/",
)
# not a role's question: the member's side of an image share is the member project's
NOT_A_ROLES_QUESTION = {"image PUT /v2/images/{image_id}/members/{member_id}"}


def task(operation: Operation) -> str:
    """The task a write route does, in IBM's terms."""
    service, path = operation.service, operation.path
    removal = operation.method == "DELETE"
    if service in ("identity", "emulator"):
        return "identity"  # users, projects, roles, the catalog: keystone's admin's
    if any(marker in path for marker in CLOUD_ADMIN):
        return "cloud_admin"
    if service == "compute":
        return _compute_task(path, operation.method)
    if service == "image" and "/actions/" in path:
        return "admin_edit"  # (de)activating an image: glance's admin's edit
    if service == "image":
        return "image_remove" if removal and path.endswith("{image_id}") else "image_edit"
    if service == "volume":
        return _volume_task(path, removal)
    kind = path.split("/")[2]  # networks, subnets or ports
    whole = removal and path.endswith("{resource_id}")
    if kind == "ports":  # a VM's interfaces: made by its deploy, attached and detached
        return "vm_remove" if whole else "deploy" if operation.method == "POST" else "vm_edit"
    return "admin_remove" if whole else "admin_edit"


def _compute_task(path: str, method: str) -> str:
    removal = method == "DELETE"
    if "/images/" in path:  # nova's image proxy
        return "image_remove" if removal and path.endswith("{image_id}") else "image_edit"
    if method == "PUT" and "/os-volume_attachments/" in path:
        return "admin_only"  # nova's swap volume: an administrator's
    if path.endswith("/servers"):
        return "deploy"
    if path.endswith("/servers/{server_id}/action"):
        return "power"  # the template's os-stop
    if "/servers/{server_id}" in path:
        return "vm_remove" if removal and path.endswith("{server_id}") else "vm_edit"
    if "/os-volumes" in path or "/os-snapshots" in path:  # nova's proxies to cinder
        whole = path.endswith(("{volume_id}", "{snapshot_id}"))
        return "volume_remove" if removal and whole else "volume_edit"
    if "/os-keypairs" in path:
        return "deploy_remove" if removal else "deploy"
    if "/os-server-groups" in path:
        return "vm_remove" if removal else "vm_edit"
    # compute templates (their access lists too), host groups, quotas, storage connectivity
    # groups, maintenance
    return "admin_remove" if removal else "admin_edit"


def _volume_task(path: str, removal: bool) -> str:
    if "/group_types" in path or path.endswith("/group_snapshots/{group_snapshot_id}/action"):
        return "admin_only"  # group types and a group snapshot's reset_status: cinder's admin's
    if "/group" in path:
        return "consistency_group"  # "Administrator or Storage manager" (PowerVC 2.1.1)
    if "/types" in path:  # storage templates (their access lists too)
        return "admin_remove" if removal and "extra_specs" not in path else "admin_edit"
    if "/qos-specs" in path:  # a storage template's QoS: a key off it an edit
        return "admin_remove" if removal else "admin_edit"
    if "/os-quota-sets/" in path:  # a project's quotas (a delete resets them)
        return "admin_remove" if removal else "admin_edit"
    if "transfer" in path:  # a volume offered to another project: cancelling removes the offer
        return "volume_remove" if removal else "volume_edit"
    if path.endswith("/snapshots/{snapshot_id}/action"):
        return "admin_edit"  # the template's os-reset_status
    if "/messages/" in path:
        return "volume_remove"
    whole = path.endswith(("{volume_id}", "{snapshot_id}", "{instance_snapshot_id}"))
    return "volume_remove" if removal and whole else "volume_edit"


class Holders:
    def __init__(self, matrix: Matrix, accounts: dict[str, Account]) -> None:
        self.matrix, self.accounts = matrix, accounts


@pytest.fixture(scope="module", name="holders")
def holders_fixture() -> Iterator[Holders]:
    with asyncio.Runner() as runner:
        world = World.create(runner)
        try:
            matrix = Matrix(world, world.admin, world.fresh_token(), IdentityTime())
            accounts = {role: _holder(world, role) for role in IBM_TASKS}
            yield Holders(matrix, accounts)
        finally:
            world.close()


def _holder(world: World, role: str) -> Account:
    """A user with only `role`, on the project the world's targets belong to."""
    name, password = f"pvc-{role}", f"pvc-{role}-pw"
    body = {"user": {"name": name, "password": password}}
    user_id = world.call("POST", "identity", "/v3/users", body).json()["user"]["id"]
    grant = f"/v3/projects/{world.admin.project_id}/users/{user_id}/roles/{world._role_id(role)}"
    assert world.call("PUT", "identity", grant).status_code == 204
    return _login(world.client, name, password, "ibm-default")


def refused_by_policy(operation: Operation, answer: httpx.Response) -> bool:
    return answer.status_code == 403 and bool(
        wording(operation).fullmatch(message(operation, answer))
    )


# one's own tokens and one's own password (the old one the proof): any role
ONES_OWN = {"identity DELETE /v3/auth/tokens", "identity POST /v3/users/{user_id}/password"}
CASES = [
    pytest.param(role, operation, id=f"{role}: {operation.id}")
    for role in IBM_TASKS
    for operation in OPERATIONS
    if operation.id not in PUBLIC | NOT_A_ROLES_QUESTION | ONES_OWN
]


@pytest.mark.parametrize(("role", "operation"), CASES)
def test_each_powervc_role_may_do_what_ibm_lists_and_nothing_else(
    holders: Holders, role: str, operation: Operation
) -> None:
    account = holders.accounts[role]
    answer = holders.matrix.ask(operation, account.token, account.project_id)
    may = task(operation) in IBM_TASKS[role]
    said = f"{role} {operation.id} ({task(operation)}): {answer.status_code} {answer.text[:300]}"
    assert answer.status_code != 401, said
    if may:
        assert not refused_by_policy(operation, answer), said
    else:
        assert refused_by_policy(operation, answer), said
