"""Helpers for the emulator's in-process HTTP tests: service URLs, Keystone auth bodies, test
accounts, a default deploy and the estate's host names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.testclient import TestClient

from powerbridge.emulator.api.routing import ServiceInfo

IDENTITY = "/powervc/openstack/identity/v3"
COMPUTE = "/powervc/openstack/compute/v2.1"
IMAGE = "/powervc/openstack/image/v2"
NETWORK = "/powervc/openstack/network/v2.0"
VOLUME = "/powervc/openstack/volume/v3"


def password_auth(
    user: str = "root", password: str = "passw0rd", project: str = "ibm-default"
) -> dict[str, Any]:
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "domain": {"name": "Default"}, "password": password}
                },
            },
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}},
        }
    }


@dataclass(frozen=True)
class Account:
    user_id: str
    project_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Auth-Token": self.token}


def provision(
    client: TestClient, admin_token: str, project: str, user: str, role: str = "member"
) -> Account:
    """Create `project` (if new) and `user` with `role` on it; log the user in."""
    admin = {"X-Auth-Token": admin_token}
    found = client.get(f"{IDENTITY}/projects?name={project}", headers=admin).json()["projects"]
    if found:
        project_id = found[0]["id"]
    else:
        created = client.post(
            f"{IDENTITY}/projects", json={"project": {"name": project}}, headers=admin
        )
        assert created.status_code == 201, created.text
        project_id = created.json()["project"]["id"]
    response = client.post(
        f"{IDENTITY}/users", json={"user": {"name": user, "password": "pw-" + user}}, headers=admin
    )
    assert response.status_code == 201, response.text
    user_id = response.json()["user"]["id"]
    role_id = client.get(f"{IDENTITY}/roles?name={role}", headers=admin).json()["roles"][0]["id"]
    granted = client.put(
        f"{IDENTITY}/projects/{project_id}/users/{user_id}/roles/{role_id}", headers=admin
    )
    assert granted.status_code == 204, granted.text
    login = client.post(f"{IDENTITY}/auth/tokens", json=password_auth(user, "pw-" + user, project))
    assert login.status_code == 201, login.text
    return Account(user_id, project_id, login.headers["x-subject-token"])


def find(client: TestClient, url: str, collection: str, name: str) -> dict[str, Any]:
    rows = client.get(url).json()[collection]
    return next(row for row in rows if row["name"] == name)


def inventory(client: TestClient) -> dict[str, str]:
    image = client.get("/powervc/openstack/image/v2/images?name=PowerHA713").json()["images"][0]
    return {
        "image": image["id"],
        "flavor": find(client, f"{COMPUTE}/flavors", "flavors", "powervm.small")["id"],
        "network": find(client, f"{NETWORK}/networks", "networks", "cmbnet1")["id"],
    }


def server_body(ids: dict[str, str], name: str, **extra: Any) -> dict[str, Any]:
    server = {
        "name": name,
        "imageRef": ids["image"],
        "flavorRef": ids["flavor"],
        "networks": [{"uuid": ids["network"]}],
    }
    server.update(extra)
    return {"server": server}


def deploy(client: TestClient, ids: dict[str, str], name: str, **extra: Any) -> str:
    response = client.post(f"{COMPUTE}/servers", json=server_body(ids, name, **extra))
    assert response.status_code == 202, response.text
    return str(response.json()["server"]["id"])


def show(client: TestClient, server_id: str, **headers: str) -> dict[str, Any]:
    response = client.get(f"{COMPUTE}/servers/{server_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json()["server"])


P8A, P8B, P9 = "8286-42A_215A0BV", "8286-42A_215A0CV", "9009-42A_7838F0W"


def hypervisor(client: TestClient, name: str, **headers: str) -> dict[str, Any]:
    rows = client.get(f"{COMPUTE}/os-hypervisors/detail", headers=headers).json()["hypervisors"]
    return next(row for row in rows if row["hypervisor_hostname"] == name)


def make_group(client: TestClient, name: str, zone: str, *hosts: str, policy: str = "") -> int:
    created = client.post(
        f"{COMPUTE}/os-aggregates", json={"aggregate": {"name": name, "availability_zone": zone}}
    )
    assert created.status_code == 200, created.text
    group_id = int(created.json()["aggregate"]["id"])
    action = f"{COMPUTE}/os-aggregates/{group_id}/action"
    for host in hosts:
        added = client.post(action, json={"add_host": {"host": host}})
        assert added.status_code == 200, added.text
    if policy:
        meta = {"set_metadata": {"metadata": {"placement_policy": policy}}}
        assert client.post(action, json=meta).status_code == 200
    return group_id


# a service of the routing tests' probe tables: nova's log files and request-id headers
PROBE = ServiceInfo("compute", "nova-api", "nova.api.openstack.requestlog", "x-compute-request-id")
