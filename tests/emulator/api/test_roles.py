"""PowerVC's roles through the emulator's HTTP API, for the examples IBM's "Managing roles"
page gives (https://www.ibm.com/docs/en/powervc/2.1.0?topic=security-managing-roles): a
vm_user starts and stops a VM but deploys and deletes none; a viewer reads everything and
changes nothing; admin_assist deploys but deletes nothing; and the client names the roles a
refusal needs."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from powerbridge.client.errors import Forbidden, http_error
from tests.support.emulator_http import (
    COMPUTE,
    IMAGE,
    NETWORK,
    VOLUME,
    Account,
    deploy,
    inventory,
    provision,
    server_body,
    show,
)

NOVA_REFUSAL = "Policy doesn't allow {} to be performed."


@pytest.fixture
def ids(admin: TestClient) -> dict[str, str]:
    return inventory(admin)


def holder(client: TestClient, admin_token: str, role: str) -> Account:
    """A user with only `role` on ibm-default, where the admin's servers are."""
    return provision(client, admin_token, "ibm-default", f"pvc-{role}", role)


def nova_refusal(response: Any, action: str) -> None:
    assert response.status_code == 403, response.text
    assert response.json() == {"forbidden": {"code": 403, "message": NOVA_REFUSAL.format(action)}}


def test_a_vm_user_stops_and_starts_a_vm_but_cannot_deploy_or_delete(
    admin: TestClient, admin_token: str, ids: dict[str, str]
) -> None:
    server_id = deploy(admin, ids, "powered")
    user = holder(admin, admin_token, "vm_user")
    action = f"{COMPUTE}/servers/{server_id}/action"
    stopped = admin.post(action, json={"os-stop": None}, headers=user.headers)
    assert stopped.status_code == 202, stopped.text
    assert show(admin, server_id)["status"] == "SHUTOFF"
    started = admin.post(action, json={"os-start": None}, headers=user.headers)
    assert started.status_code == 202, started.text
    assert show(admin, server_id)["status"] == "ACTIVE"
    created = admin.post(
        f"{COMPUTE}/servers", json=server_body(ids, "not-mine"), headers=user.headers
    )
    nova_refusal(created, "os_compute_api:servers:create")
    deleted = admin.delete(f"{COMPUTE}/servers/{server_id}", headers=user.headers)
    nova_refusal(deleted, "os_compute_api:servers:delete")
    assert show(admin, server_id)["status"] == "ACTIVE"


def test_a_viewer_reads_everything_and_changes_nothing(
    admin: TestClient, admin_token: str, ids: dict[str, str]
) -> None:
    server_id = deploy(admin, ids, "watched")
    viewer = holder(admin, admin_token, "viewer")
    project = viewer.project_id
    reads = [
        f"{COMPUTE}/servers/detail",
        f"{COMPUTE}/servers/{server_id}",
        f"{COMPUTE}/flavors/detail",
        f"{COMPUTE}/os-hypervisors/detail",
        f"{COMPUTE}/os-aggregates",
        f"{IMAGE}/images",
        f"{NETWORK}/networks",
        f"{NETWORK}/ports",
        f"{VOLUME}/{project}/volumes/detail",
        f"{VOLUME}/{project}/types",
    ]
    for url in reads:
        answer = admin.get(url, headers=viewer.headers)
        assert answer.status_code == 200, f"{url}: {answer.text[:200]}"
    stop = admin.post(
        f"{COMPUTE}/servers/{server_id}/action", json={"os-stop": None}, headers=viewer.headers
    )
    nova_refusal(stop, "os_compute_api:servers:stop")
    volume = {"volume": {"size": 1, "name": "viewer-volume"}}
    made = admin.post(f"{VOLUME}/{project}/volumes", json=volume, headers=viewer.headers)
    assert made.status_code == 403, made.text
    assert made.json()["forbidden"]["message"] == NOVA_REFUSAL.format("volume:create")
    image = admin.post(f"{IMAGE}/images", json={"name": "viewer-image"}, headers=viewer.headers)
    assert image.status_code == 403, image.text
    assert "You are not authorized to complete add_image action." in image.text
    network = {"network": {"name": "viewer-net"}}
    refused = admin.post(f"{NETWORK}/networks", json=network, headers=viewer.headers)
    assert refused.status_code == 403, refused.text
    assert refused.json()["NeutronError"]["message"] == (
        "(rule:create_network) is disallowed by policy"
    )


def test_admin_assist_deploys_but_deletes_nothing(
    admin: TestClient, admin_token: str, ids: dict[str, str]
) -> None:
    assistant = holder(admin, admin_token, "admin_assist")
    created = admin.post(
        f"{COMPUTE}/servers", json=server_body(ids, "assisted"), headers=assistant.headers
    )
    assert created.status_code == 202, created.text
    server_id = created.json()["server"]["id"]
    deleted = admin.delete(f"{COMPUTE}/servers/{server_id}", headers=assistant.headers)
    nova_refusal(deleted, "os_compute_api:servers:delete")
    assert admin.delete(f"{COMPUTE}/servers/{server_id}").status_code == 204


def test_admin_assist_reads_the_qos_specs_it_makes(admin: TestClient, admin_token: str) -> None:
    assistant = holder(admin, admin_token, "admin_assist")
    url = f"{VOLUME}/{assistant.project_id}/qos-specs"
    made = admin.post(url, json={"qos_specs": {"name": "gold"}}, headers=assistant.headers)
    assert made.status_code == 200, made.text
    listed = admin.get(url, headers=assistant.headers)
    assert listed.status_code == 200, listed.text
    assert "gold" in [spec["name"] for spec in listed.json()["qos_specs"]]
    spec_id = made.json()["qos_specs"]["id"]
    assert admin.get(f"{url}/{spec_id}", headers=assistant.headers).status_code == 200


def test_the_storage_manager_makes_volumes_and_the_vm_manager_none(
    admin: TestClient, admin_token: str
) -> None:
    storage = holder(admin, admin_token, "storage_manager")
    vms = holder(admin, admin_token, "vm_manager")
    url = f"{VOLUME}/{storage.project_id}/volumes"
    body = {"volume": {"size": 1, "name": "managed"}}
    assert admin.post(url, json=body, headers=storage.headers).status_code == 202
    refused = admin.post(url, json=body, headers=vms.headers)
    assert refused.status_code == 403, refused.text


def test_the_client_names_the_roles_a_refusal_needs(
    admin: TestClient, admin_token: str, ids: dict[str, str]
) -> None:
    """The emulator's answer is what PowerVC says (the policy action); the client's hint adds
    the roles IBM's table gives that action."""
    user = holder(admin, admin_token, "vm_user")
    response = admin.post(
        f"{COMPUTE}/servers", json=server_body(ids, "refused"), headers=user.headers
    )
    problem = http_error(response, "compute")
    assert isinstance(problem, Forbidden)
    assert "403 Forbidden: Policy doesn't allow os_compute_api:servers:create" in str(problem)
    assert problem.hint is not None
    assert problem.hint.startswith("os_compute_api:servers:create needs one of PowerVC's roles")
    for role in ("admin", "admin_assist", "deployer", "vm_manager"):
        assert role in problem.hint
    assert "vm_user" not in problem.hint
    assert "viewer" not in problem.hint
