"""servers/detail pages are joined from servers serialised once (`api.compute.server_pages`):
the bytes must stay those the standard `json` module gives for the bodies server show renders
(show builds and encodes each body afresh), for every caller and microversion, and a page must
follow each change to a server, its ports, its network and its host."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support.emulator_http import (
    COMPUTE,
    IDENTITY,
    NETWORK,
    P8A,
    VOLUME,
    deploy,
    inventory,
    provision,
    server_body,
    show,
)

MICROVERSIONS = [None, "2.3", "2.16", "2.47", "latest"]


def _headers(token: str, microversion: str | None) -> dict[str, str]:
    headers = {"X-Auth-Token": token}
    if microversion:
        headers["OpenStack-API-Version"] = f"compute {microversion}"
    return headers


def _standard(value: Any) -> bytes:
    """What the standard json module writes, in the compact form every route uses."""
    return json.dumps(value, separators=(",", ":")).encode()


def page_is_the_shows(client: TestClient, headers: dict[str, str], query: str = "") -> list[Any]:
    """The page's bytes are the standard encoding of each listed server's show body."""
    page = client.get(f"{COMPUTE}/servers/detail{query}", headers=headers)
    assert page.status_code == 200, page.text
    listed = page.json()
    expected: dict[str, Any] = {
        "servers": [show(client, s["id"], **headers) for s in listed["servers"]]
    }
    if "servers_links" in listed:
        expected["servers_links"] = listed["servers_links"]
    assert page.content == _standard(expected)
    assert page.headers["content-type"] == "application/json"
    assert page.headers["content-length"] == str(len(page.content))
    return list(listed["servers"])


@pytest.fixture
def ids(admin: TestClient) -> dict[str, str]:
    return inventory(admin)


@pytest.fixture
def servers(admin: TestClient, ids: dict[str, str]) -> list[str]:
    """Names and metadata json must escape (non-ASCII, quotes, control characters), a
    multi-create, and one server that failed (a fault in its body)."""
    made = [
        deploy(
            admin, ids, "café-☃", metadata={"note": 'a "quoted"\\ value\x7f\n', "lang": "Grüße, ß"}
        ),
        deploy(admin, ids, "batch", min_count=3, max_count=3),
        deploy(admin, ids, "plain", availability_zone=f":{P8A}"),
    ]
    flavor = {  # over its own maximum memory: the deploy fails at scheduling
        "ram": 10240,
        "vcpus": 2,
        "disk": 20,
        "extra_specs": {"powervm:max_mem": "8192", "powervm:min_mem": "2048"},
    }
    body = server_body(ids, "too-big", flavor=flavor)
    del body["server"]["flavorRef"]
    created = admin.post(f"{COMPUTE}/servers", json=body)
    assert created.status_code == 202, created.text
    failed = created.json()["server"]["id"]
    assert show(admin, failed)["status"] == "ERROR"
    return [*made, failed]


@pytest.mark.parametrize("microversion", MICROVERSIONS)
def test_a_page_is_the_standard_json_of_the_shows(
    admin: TestClient, admin_token: str, servers: list[str], microversion: str | None
) -> None:
    headers = _headers(admin_token, microversion)
    listed = page_is_the_shows(admin, headers)
    assert len(listed) == 6
    assert any(s["name"] == "café-☃" for s in listed)
    assert page_is_the_shows(admin, headers) == listed  # the second page comes from the kept
    # pages with next links, and all projects
    first = page_is_the_shows(admin, headers, "?limit=2")
    after = page_is_the_shows(admin, headers, f"?limit=2&marker={first[-1]['id']}")
    assert not {s["id"] for s in first} & {s["id"] for s in after}
    page_is_the_shows(admin, headers, "?all_tenants=1&sort_dir=asc&limit=4")
    assert page_is_the_shows(admin, headers, "?limit=0") == []


def test_each_caller_and_microversion_gets_its_own_view(
    admin: TestClient, admin_token: str, servers: list[str]
) -> None:
    """Links carry the caller's project, admins see more, host_status from 2.16: a view kept
    for one caller is never another's."""
    project = admin.get(f"{IDENTITY}/auth/projects").json()["projects"][0]["name"]
    member = provision(admin, admin_token, project, "pages-member").token
    other_admin = provision(admin, admin_token, "pages-other", "pages-admin", role="admin").token
    everyone = "?all_tenants=1"
    views = [
        (admin_token, "latest", ""),
        (member, "latest", ""),
        (other_admin, "latest", everyone),
        (admin_token, None, ""),
        (member, "2.16", ""),
        (admin_token, "2.16", everyone),
        (member, None, ""),
    ]
    bodies = {view: page_is_the_shows(admin, _headers(*view[:2]), view[2]) for view in views}
    mine, theirs = bodies[(admin_token, "latest", "")], bodies[(other_admin, "latest", everyone)]
    assert [s["id"] for s in mine] == [s["id"] for s in theirs]
    assert mine[0]["links"] != theirs[0]["links"]  # each in its caller's project
    assert "OS-EXT-SRV-ATTR:host" in mine[0]
    assert "OS-EXT-SRV-ATTR:host" not in bodies[(member, "latest", "")][0]
    assert "host_status" in bodies[(admin_token, "2.16", everyone)][0]
    assert "host_status" not in bodies[(member, "2.16", "")][0]
    assert "host_status" not in bodies[(admin_token, None, "")][0]
    for view in views:  # again, once every view is kept (more views than are kept at once)
        assert page_is_the_shows(admin, _headers(*view[:2]), view[2]) == bodies[view]


def test_a_page_follows_every_change(
    admin: TestClient, admin_token: str, ids: dict[str, str], servers: list[str], project_id: str
) -> None:
    headers = _headers(admin_token, "latest")
    server_id = servers[0]
    page_is_the_shows(admin, headers)  # everything kept

    def listed(server: str) -> dict[str, Any]:
        return next(s for s in page_is_the_shows(admin, headers) if s["id"] == server)

    renamed = admin.put(f"{COMPUTE}/servers/{server_id}", json={"server": {"name": "renamed"}})
    assert renamed.status_code == 200, renamed.text
    assert listed(server_id)["name"] == "renamed"
    item = admin.put(f"{COMPUTE}/servers/{server_id}/metadata/role", json={"meta": {"role": "db"}})
    assert item.status_code == 200, item.text
    assert listed(server_id)["metadata"]["role"] == "db"
    assert admin.put(f"{COMPUTE}/servers/{server_id}/tags/blue", headers=headers).status_code == 201
    assert listed(server_id)["tags"] == ["blue"]
    assert (
        admin.post(f"{COMPUTE}/servers/{server_id}/action", json={"lock": None}).status_code == 202
    )
    assert listed(server_id)["locked"] is True
    stop = admin.post(f"{COMPUTE}/servers/{servers[2]}/action", json={"os-stop": None})
    assert stop.status_code == 202, stop.text
    assert listed(servers[2])["status"] == "SHUTOFF"
    _attach_volume(admin, project_id, servers[2])
    assert len(listed(servers[2])["os-extended-volumes:volumes_attached"]) == 1
    _attach_port(admin, ids, servers[2])
    assert len(listed(servers[2])["addresses"]["cmbnet1"]) == 2
    network = admin.put(f"{NETWORK}/networks/{ids['network']}", json={"network": {"name": "net-b"}})
    assert network.status_code == 200, network.text
    assert set(listed(servers[2])["addresses"]) == {"net-b"}
    maintenance = {"status": "enable", "migrate": "none"}
    entered = admin.put(f"{COMPUTE}/ego/prs/hypervisor_maintenance/{P8A}", json=maintenance)
    assert entered.status_code == 200, entered.text
    assert listed(servers[2])["host_status"] == "MAINTENANCE"
    unlocked = admin.post(f"{COMPUTE}/servers/{server_id}/action", json={"unlock": None})
    assert unlocked.status_code == 202
    assert admin.delete(f"{COMPUTE}/servers/{server_id}").status_code == 204
    assert server_id not in {s["id"] for s in page_is_the_shows(admin, headers)}


def _attach_volume(client: TestClient, project_id: str, server_id: str) -> None:
    volume = client.post(
        f"{VOLUME}/{project_id}/volumes", json={"volume": {"size": 1, "name": "pages-data"}}
    )
    assert volume.status_code == 202, volume.text
    attached = client.post(
        f"{COMPUTE}/servers/{server_id}/os-volume_attachments",
        json={"volumeAttachment": {"volumeId": volume.json()["volume"]["id"]}},
    )
    assert attached.status_code == 200, attached.text


def _attach_port(client: TestClient, ids: dict[str, str], server_id: str) -> None:
    """A port neutron gives the server (device_id and a compute owner), as nova's
    interface-attach leaves it."""
    port = {"network_id": ids["network"], "device_id": server_id, "device_owner": "compute:nova"}
    created = client.post(f"{NETWORK}/ports", json={"port": port})
    assert created.status_code == 201, created.text
