"""Neutron v2.0 through the in-process app: discovery, CRUD, queries, errors, isolation."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from powerbridge.emulator.logs import LogContext
from powerbridge.emulator.state import Emulator
from tests.support.emulator_http import IDENTITY, NETWORK, password_auth

ROOT = NETWORK.removesuffix("/v2.0")
NETWORK_FIELDS = {
    "id",
    "name",
    "tenant_id",
    "project_id",
    "admin_state_up",
    "mtu",
    "status",
    "subnets",
    "shared",
    "availability_zone_hints",
    "availability_zones",
    "ipv4_address_scope",
    "ipv6_address_scope",
    "router:external",
    "description",
    "port_security_enabled",
    "qos_policy_id",
    "revision_number",
    "tags",
    "created_at",
    "updated_at",
    "provider:network_type",
    "provider:physical_network",
    "provider:segmentation_id",
    "is_default",
    "l2_adjacency",
    "dns_domain",
}
SUBNET_FIELDS = {
    "id",
    "name",
    "tenant_id",
    "project_id",
    "network_id",
    "ip_version",
    "subnetpool_id",
    "enable_dhcp",
    "ipv6_ra_mode",
    "ipv6_address_mode",
    "gateway_ip",
    "cidr",
    "allocation_pools",
    "host_routes",
    "dns_nameservers",
    "description",
    "service_types",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
    "segment_id",
}
PORT_FIELDS = {
    "id",
    "name",
    "network_id",
    "tenant_id",
    "project_id",
    "mac_address",
    "admin_state_up",
    "status",
    "device_id",
    "device_owner",
    "fixed_ips",
    "allowed_address_pairs",
    "extra_dhcp_opts",
    "security_groups",
    "description",
    "binding:vnic_type",
    "binding:profile",
    "binding:host_id",
    "binding:vif_type",
    "binding:vif_details",
    "port_security_enabled",
    "dns_name",
    "dns_assignment",
    "qos_policy_id",
    "qos_network_policy_id",
    "resource_request",
    "ip_allocation",
    "tags",
    "created_at",
    "updated_at",
    "revision_number",
}
ADMIN_ONLY = {
    "provider:network_type",
    "provider:physical_network",
    "provider:segmentation_id",
    "binding:host_id",
    "binding:profile",
    "binding:vif_type",
    "binding:vif_details",
}


def neutron_error(response: Any, status: int, kind: str, message: str | None = None) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"NeutronError"}
    assert body["NeutronError"]["type"] == kind
    assert body["NeutronError"]["detail"] == ""
    if message is not None:
        assert body["NeutronError"]["message"] == message
    return str(body["NeutronError"]["message"])


def network_named(admin: TestClient, name: str) -> dict[str, Any]:
    [network] = admin.get(f"{NETWORK}/networks", params={"name": name}).json()["networks"]
    return dict(network)


def create(client: TestClient, kind: str, token: str | None = None, **attrs: Any) -> Any:
    headers = {"X-Auth-Token": token} if token else {}
    response = client.post(f"{NETWORK}/{kind}s", json={kind: attrs}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()[kind]


def user_token(admin: TestClient, role: str, *, new_project: str | None = None) -> tuple[str, str]:
    """A user with `role` on a project (a new one, or ibm-default); its token and project."""
    if new_project:
        project = admin.post(f"{IDENTITY}/projects", json={"project": {"name": new_project}})
        assert project.status_code == 201, project.text
        project_id, project_name = project.json()["project"]["id"], new_project
    else:
        project_id = admin.get(f"{IDENTITY}/auth/projects").json()["projects"][0]["id"]
        project_name = "ibm-default"
    name = f"{role}-of-{project_name}"
    user = admin.post(f"{IDENTITY}/users", json={"user": {"name": name, "password": "secret"}})
    assert user.status_code == 201, user.text
    user_id = user.json()["user"]["id"]
    [role_body] = admin.get(f"{IDENTITY}/roles", params={"name": role}).json()["roles"]
    grant = admin.put(f"{IDENTITY}/projects/{project_id}/users/{user_id}/roles/{role_body['id']}")
    assert grant.status_code == 204, grant.text
    token = admin.post(
        f"{IDENTITY}/auth/tokens", json=password_auth(name, "secret", project_name)
    ).headers["x-subject-token"]
    return str(token), str(project_id)


# -- discovery --------------------------------------------------------------------------
def test_versions_are_public(client: TestClient) -> None:
    response = client.get(ROOT)
    assert response.status_code == 200
    assert response.json() == {
        "versions": [
            {
                "id": "v2.0",
                "status": "CURRENT",
                "links": [{"href": f"http://testserver{ROOT}/v2.0/", "rel": "self"}],
            }
        ]
    }


def test_resources_and_extensions(admin: TestClient) -> None:
    resources = admin.get(NETWORK).json()["resources"]
    assert {r["collection"] for r in resources} == {"networks", "subnets", "ports"}
    assert resources[0]["links"][0]["href"].startswith(f"http://testserver{NETWORK}/")
    extensions = admin.get(f"{NETWORK}/extensions").json()["extensions"]
    aliases = {e["alias"] for e in extensions}
    assert {"provider", "binding", "external-net", "standard-attr-tag", "project-id"} <= aliases
    assert not {"security-group", "router", "quotas"} & aliases
    assert all(set(e) == {"alias", "name", "description", "updated", "links"} for e in extensions)
    shown = admin.get(f"{NETWORK}/extensions/provider").json()["extension"]
    assert shown["name"] == "Provider Network"
    missing = admin.get(f"{NETWORK}/extensions/nope")
    neutron_error(missing, 404, "HTTPNotFound", "Extension with alias nope does not exist")


def test_a_token_is_required(client: TestClient) -> None:
    response = client.get(f"{NETWORK}/networks")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == 401


# -- networks ---------------------------------------------------------------------------
def test_estate_networks_have_neutrons_exact_fields(admin: TestClient) -> None:
    network = network_named(admin, "cmbnet1")
    assert set(network) == NETWORK_FIELDS
    assert network["shared"] is True
    assert network["provider:network_type"] == "vlan"
    assert network["provider:segmentation_id"] == 1001
    assert network["tenant_id"] == network["project_id"]
    assert network["created_at"].endswith("Z")
    assert len(network["created_at"]) == 20
    [subnet_id] = network["subnets"]
    subnet = admin.get(f"{NETWORK}/subnets/{subnet_id}").json()["subnet"]
    assert set(subnet) == SUBNET_FIELDS
    assert subnet["enable_dhcp"] is False
    assert subnet["cidr"] == "192.168.100.0/24"


def test_network_crud(admin: TestClient) -> None:
    created = create(admin, "network", name="app-net", description="for apps", mtu=1400)
    assert set(created) == NETWORK_FIELDS
    assert created["status"] == "ACTIVE"
    assert created["subnets"] == []
    assert (created["mtu"], created["shared"], created["revision_number"]) == (1400, False, 1)
    assert created["provider:network_type"] == "vlan"
    url = f"{NETWORK}/networks/{created['id']}"
    assert admin.get(url).json()["network"] == created
    updated = admin.put(url, json={"network": {"name": "renamed", "admin_state_up": False}})
    assert updated.status_code == 200
    body = updated.json()["network"]
    assert (body["name"], body["admin_state_up"], body["revision_number"]) == ("renamed", False, 2)
    assert admin.delete(url).status_code == 204
    neutron_error(
        admin.get(url), 404, "NetworkNotFound", f"Network {created['id']} could not be found."
    )
    neutron_error(admin.delete(url), 404, "NetworkNotFound")


def test_bulk_create_returns_the_collection(admin: TestClient) -> None:
    response = admin.post(
        f"{NETWORK}/networks", json={"networks": [{"name": "bulk-a"}, {"name": "bulk-b"}]}
    )
    assert response.status_code == 201
    names = [n["name"] for n in response.json()["networks"]]
    assert names == ["bulk-a", "bulk-b"]


def test_bulk_create_is_all_or_nothing(admin: TestClient) -> None:
    net = network_named(admin, "cmbnet1")["id"]
    ports = [
        {"network_id": net, "name": "one", "fixed_ips": [{"ip_address": "192.168.100.200"}]},
        {"network_id": net, "name": "two", "fixed_ips": [{"ip_address": "192.168.100.200"}]},
    ]
    response = admin.post(f"{NETWORK}/ports", json={"ports": ports})
    neutron_error(response, 409, "IpAddressAlreadyAllocated")
    assert admin.get(f"{NETWORK}/ports").json()["ports"] == []
    # the address the rolled-back port held is free again
    again = create(admin, "port", network_id=net, fixed_ips=[{"ip_address": "192.168.100.200"}])
    assert again["fixed_ips"][0]["ip_address"] == "192.168.100.200"


def test_network_in_use_cannot_be_deleted(admin: TestClient) -> None:
    net = create(admin, "network", name="busy")
    create(admin, "subnet", network_id=net["id"], ip_version=4, cidr="10.50.0.0/24")
    create(admin, "port", network_id=net["id"])
    neutron_error(
        admin.delete(f"{NETWORK}/networks/{net['id']}"),
        409,
        "NetworkInUse",
        f"Unable to complete operation on network {net['id']}. There are one or more ports "
        "still in use on the network.",
    )


# -- subnets ----------------------------------------------------------------------------
def test_subnet_defaults_and_validation(admin: TestClient) -> None:
    net = create(admin, "network", name="sub-net")
    subnet = create(admin, "subnet", network_id=net["id"], ip_version=4, cidr="10.20.0.0/24")
    assert set(subnet) == SUBNET_FIELDS
    assert subnet["gateway_ip"] == "10.20.0.1"
    assert subnet["allocation_pools"] == [{"start": "10.20.0.2", "end": "10.20.0.254"}]
    assert subnet["enable_dhcp"] is True
    assert subnet["revision_number"] == 0
    shown = admin.get(f"{NETWORK}/networks/{net['id']}").json()["network"]
    assert shown["subnets"] == [subnet["id"]]
    overlap = admin.post(
        f"{NETWORK}/subnets",
        json={"subnet": {"network_id": net["id"], "ip_version": 4, "cidr": "10.20.0.128/25"}},
    )
    neutron_error(
        overlap,
        400,
        "InvalidInput",
        f"Invalid input for operation: Requested subnet with cidr: 10.20.0.128/25 for network: "
        f"{net['id']} overlaps with another subnet.",
    )
    missing = admin.post(f"{NETWORK}/subnets", json={"subnet": {"network_id": net["id"]}})
    neutron_error(
        missing,
        400,
        "HTTPBadRequest",
        "Failed to parse request. Required attribute 'ip_version' not specified",
    )
    bad_cidr = admin.post(
        f"{NETWORK}/subnets",
        json={"subnet": {"network_id": net["id"], "ip_version": 4, "cidr": "10.0.0.300/24"}},
    )
    neutron_error(
        bad_cidr,
        400,
        "HTTPBadRequest",
        "Invalid input for cidr. Reason: '10.0.0.300/24' is not a valid IP subnet.",
    )


def test_allocation_pool_outside_the_cidr_is_rejected(admin: TestClient) -> None:
    net = create(admin, "network", name="pool-net")
    response = admin.post(
        f"{NETWORK}/subnets",
        json={
            "subnet": {
                "network_id": net["id"],
                "ip_version": 4,
                "cidr": "10.30.0.0/24",
                "allocation_pools": [{"start": "10.30.0.10", "end": "10.30.1.10"}],
            }
        },
    )
    neutron_error(
        response,
        400,
        "OutOfBoundsAllocationPool",
        "The allocation pool 10.30.0.10-10.30.1.10 spans beyond the subnet cidr 10.30.0.0/24.",
    )


# -- ports ------------------------------------------------------------------------------
def test_port_create_with_fixed_ip_and_conflicts(admin: TestClient) -> None:
    network = network_named(admin, "cmbnet1")
    subnet_id = network["subnets"][0]
    port = create(
        admin,
        "port",
        network_id=network["id"],
        name="vip",
        fixed_ips=[{"ip_address": "192.168.100.10"}],
    )
    assert set(port) == PORT_FIELDS
    assert port["fixed_ips"] == [{"subnet_id": subnet_id, "ip_address": "192.168.100.10"}]
    assert port["mac_address"].startswith("fa:16:3e:")
    assert (port["status"], port["binding:vif_type"], port["device_owner"]) == (
        "DOWN",
        "unbound",
        "",
    )
    taken = admin.post(
        f"{NETWORK}/ports",
        json={
            "port": {"network_id": network["id"], "fixed_ips": [{"ip_address": "192.168.100.10"}]}
        },
    )
    neutron_error(
        taken,
        409,
        "IpAddressAlreadyAllocated",
        f"IP address 192.168.100.10 already allocated in subnet {subnet_id}.",
    )
    outside = admin.post(
        f"{NETWORK}/ports",
        json={"port": {"network_id": network["id"], "fixed_ips": [{"ip_address": "10.1.1.1"}]}},
    )
    neutron_error(
        outside,
        400,
        "InvalidIpForNetwork",
        "IP address 10.1.1.1 is not a valid IP for any of the subnets on the specified network.",
    )
    auto = create(admin, "port", network_id=network["id"])
    assert auto["fixed_ips"][0]["ip_address"] == "192.168.100.11"


def test_port_update_moves_its_address(admin: TestClient) -> None:
    network = network_named(admin, "cmbnet1")
    port = create(admin, "port", network_id=network["id"])
    url = f"{NETWORK}/ports/{port['id']}"
    moved = admin.put(url, json={"port": {"fixed_ips": [{"ip_address": "192.168.100.99"}]}})
    assert moved.status_code == 200, moved.text
    assert moved.json()["port"]["fixed_ips"][0]["ip_address"] == "192.168.100.99"
    reused = create(admin, "port", network_id=network["id"])
    assert reused["fixed_ips"][0]["ip_address"] == "192.168.100.10"
    readonly = admin.put(url, json={"port": {"network_id": network["id"]}})
    neutron_error(readonly, 400, "HTTPBadRequest", "Cannot update read-only attribute network_id")


def test_port_on_unknown_network_is_404(admin: TestClient) -> None:
    missing = "8b6fd2a3-9f7d-4c67-8e3b-8a0c0c1c2d3e"
    response = admin.post(f"{NETWORK}/ports", json={"port": {"network_id": missing}})
    neutron_error(response, 404, "NetworkNotFound", f"Network {missing} could not be found.")


def test_server_ports_show_through_the_api(admin: TestClient, emulator: Emulator) -> None:
    network = network_named(admin, "cmbnet1")
    caller = emulator.identity.authenticate(admin.headers["X-Auth-Token"])
    context = LogContext("req-test")
    port = emulator.networks.allocate_server_port(
        network_id=network["id"],
        fixed_ip=None,
        port_id=None,
        server_id="server-1",
        project_id=caller.project_id,
        caller=caller,
        context=context,
    )
    emulator.networks.bind_server_ports("server-1", "8286-42A_215A0BV", context)
    listed = admin.get(f"{NETWORK}/ports", params={"device_id": "server-1"}).json()["ports"]
    assert [p["id"] for p in listed] == [port.id]
    assert listed[0]["status"] == "ACTIVE"
    assert listed[0]["binding:host_id"] == "8286-42A_215A0BV"
    assert listed[0]["device_owner"] == "compute:nova"


# -- queries ----------------------------------------------------------------------------
@pytest.fixture
def three_ports(admin: TestClient) -> list[dict[str, Any]]:
    net = network_named(admin, "cmbnet1")["id"]
    return [create(admin, "port", network_id=net, name=name) for name in ("b", "a", "c")]


def test_filters_fields_and_repeated_values(
    admin: TestClient, three_ports: list[dict[str, Any]]
) -> None:
    by_name = admin.get(f"{NETWORK}/ports", params={"name": "a"}).json()["ports"]
    assert [p["name"] for p in by_name] == ["a"]
    ids = [three_ports[0]["id"], three_ports[2]["id"]]
    either = admin.get(f"{NETWORK}/ports", params=[("id", i) for i in ids]).json()["ports"]
    assert {p["id"] for p in either} == set(ids)
    by_ip = admin.get(
        f"{NETWORK}/ports",
        params={"fixed_ips": f"ip_address={three_ports[1]['fixed_ips'][0]['ip_address']}"},
    ).json()["ports"]
    assert [p["name"] for p in by_ip] == ["a"]
    shared = admin.get(f"{NETWORK}/networks", params={"shared": "true"}).json()["networks"]
    assert {n["name"] for n in shared} == {"cmbnet1", "mgmtnet"}
    assert admin.get(f"{NETWORK}/networks", params={"shared": "False"}).json()["networks"] == []
    only = admin.get(f"{NETWORK}/ports", params=[("fields", "id"), ("fields", "name")])
    assert all(set(p) == {"id", "name"} for p in only.json()["ports"])
    shown = admin.get(f"{NETWORK}/ports/{three_ports[0]['id']}", params={"fields": "status"})
    assert shown.json() == {"port": {"status": "DOWN"}}


def test_unknown_filter_is_a_400(admin: TestClient) -> None:
    response = admin.get(f"{NETWORK}/networks", params={"colour": "blue"})
    neutron_error(response, 400, "HTTPBadRequest", "[colour] is invalid attribute for filtering")


def test_sorting(admin: TestClient, three_ports: list[dict[str, Any]]) -> None:
    names = admin.get(f"{NETWORK}/ports", params={"sort_key": "name", "sort_dir": "desc"})
    assert [p["name"] for p in names.json()["ports"]] == ["c", "b", "a"]
    lonely = admin.get(f"{NETWORK}/ports", params={"sort_key": "name"})
    neutron_error(
        lonely, 400, "HTTPBadRequest", "The number of sort_keys and sort_dirs must be same"
    )
    bad_key = admin.get(f"{NETWORK}/ports", params={"sort_key": "colour", "sort_dir": "asc"})
    neutron_error(bad_key, 400, "HTTPBadRequest", "['colour'] is invalid attribute for sort_keys")


def test_pagination_links(admin: TestClient, three_ports: list[dict[str, Any]]) -> None:
    ordered = sorted(p["id"] for p in three_ports)
    first = admin.get(f"{NETWORK}/ports", params={"limit": 2}).json()
    assert [p["id"] for p in first["ports"]] == ordered[:2]
    rels = {link["rel"]: link["href"] for link in first["ports_links"]}
    assert set(rels) == {"next", "previous"}
    next_url = urlsplit(rels["next"])
    assert next_url.path == f"{NETWORK}/ports"
    assert parse_qs(next_url.query) == {"limit": ["2"], "marker": [ordered[1]]}
    second = admin.get(f"{next_url.path}?{next_url.query}").json()
    assert [p["id"] for p in second["ports"]] == ordered[2:]
    assert [link["rel"] for link in second["ports_links"]] == ["previous"]
    previous = urlsplit(second["ports_links"][0]["href"])
    assert parse_qs(previous.query) == {
        "limit": ["2"],
        "marker": [ordered[2]],
        "page_reverse": ["True"],
    }
    back = admin.get(f"{previous.path}?{previous.query}").json()
    assert [p["id"] for p in back["ports"]] == ordered[:2]
    unpaged = admin.get(f"{NETWORK}/ports").json()
    assert "ports_links" not in unpaged
    bad_marker = admin.get(f"{NETWORK}/ports", params={"limit": 1, "marker": "nope"})
    neutron_error(bad_marker, 404, "PortNotFound", "Port nope could not be found.")


# -- body errors ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "kind", "message"),
    [
        ({"network": {"foo": 1}}, "HTTPBadRequest", "Unrecognized attribute(s) 'foo'"),
        ({"network": {"id": "x"}}, "HTTPBadRequest", "Attribute 'id' not allowed in POST"),
        ({"net": {}}, "HTTPBadRequest", "Unable to find 'network' in request body"),
        ({"network": []}, "HTTPBadRequest", "Object 'network' contains invalid data"),
        (
            {"network": {"name": 5}},
            "HTTPBadRequest",
            "Invalid input for name. Reason: '5' is not a valid string.",
        ),
        (
            {"network": {"name": "x" * 256}},
            "HTTPBadRequest",
            f"Invalid input for name. Reason: '{'x' * 256}' exceeds maximum length of 255.",
        ),
        (
            {"network": {"admin_state_up": "maybe"}},
            "InvalidInput",
            "Invalid input for operation: 'maybe' cannot be converted to boolean.",
        ),
        ({"networks": []}, "HTTPBadRequest", "Resources required"),
    ],
)
def test_body_errors(admin: TestClient, body: Any, kind: str, message: str) -> None:
    neutron_error(admin.post(f"{NETWORK}/networks", json=body), 400, kind, message)


def test_empty_body_is_a_400(admin: TestClient) -> None:
    neutron_error(
        admin.post(f"{NETWORK}/networks"), 400, "HTTPBadRequest", "Resource body required"
    )


def test_malformed_json_uses_neutrons_envelope(admin: TestClient) -> None:
    response = admin.post(
        f"{NETWORK}/networks", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "NeutronError" in response.json()


# -- policy and isolation ---------------------------------------------------------------
def test_a_reader_can_look_but_not_write(admin: TestClient) -> None:
    token, _ = user_token(admin, "reader")
    headers = {"X-Auth-Token": token}
    listed = admin.get(f"{NETWORK}/networks", headers=headers)
    assert listed.status_code == 200
    assert {n["name"] for n in listed.json()["networks"]} == {"cmbnet1", "mgmtnet"}
    net = network_named(admin, "cmbnet1")["id"]
    denied = admin.post(f"{NETWORK}/ports", json={"port": {"network_id": net}}, headers=headers)
    neutron_error(denied, 403, "PolicyNotAuthorized", "(rule:create_port) is disallowed by policy")
    denied = admin.post(f"{NETWORK}/networks", json={"network": {}}, headers=headers)
    neutron_error(
        denied, 403, "PolicyNotAuthorized", "(rule:create_network) is disallowed by policy"
    )


def test_another_projects_user_cannot_see_anothers_ports(admin: TestClient) -> None:
    net = network_named(admin, "cmbnet1")["id"]
    admins_port = create(admin, "port", network_id=net, name="admins")
    token, project_id = user_token(admin, "member", new_project="tenant-b")
    headers = {"X-Auth-Token": token}
    theirs = create(admin, "port", token, network_id=net, name="theirs")
    assert theirs["project_id"] == project_id
    assert not ADMIN_ONLY & set(theirs)  # binding details are admin-only
    listed = admin.get(f"{NETWORK}/ports", headers=headers).json()["ports"]
    assert [p["id"] for p in listed] == [theirs["id"]]
    hidden = admin.get(f"{NETWORK}/ports/{admins_port['id']}", headers=headers)
    neutron_error(hidden, 404, "PortNotFound", f"Port {admins_port['id']} could not be found.")
    neutron_error(
        admin.delete(f"{NETWORK}/ports/{admins_port['id']}", headers=headers), 404, "PortNotFound"
    )
    everything = admin.get(f"{NETWORK}/ports").json()["ports"]
    assert {p["id"] for p in everything} == {admins_port["id"], theirs["id"]}
    networks = admin.get(f"{NETWORK}/networks", headers=headers).json()["networks"]
    assert networks
    assert all(not ADMIN_ONLY & set(n) for n in networks)


def test_a_private_network_is_invisible_to_other_projects(admin: TestClient) -> None:
    private = create(admin, "network", name="admins-only")
    token, _ = user_token(admin, "member", new_project="tenant-c")
    headers = {"X-Auth-Token": token}
    names = {
        n["name"] for n in admin.get(f"{NETWORK}/networks", headers=headers).json()["networks"]
    }
    assert "admins-only" not in names
    neutron_error(
        admin.get(f"{NETWORK}/networks/{private['id']}", headers=headers), 404, "NetworkNotFound"
    )
    shared = admin.post(
        f"{NETWORK}/networks", json={"network": {"name": "s", "shared": True}}, headers=headers
    )
    neutron_error(
        shared, 403, "PolicyNotAuthorized", "(rule:create_network:shared) is disallowed by policy"
    )
    foreign = admin.post(
        f"{NETWORK}/networks",
        json={"network": {"name": "n", "project_id": "someone-else"}},
        headers=headers,
    )
    neutron_error(foreign, 400, "HTTPBadRequest")


# -- tags -------------------------------------------------------------------------------
def test_tags(admin: TestClient) -> None:
    net = create(admin, "network", name="tagged")
    url = f"{NETWORK}/networks/{net['id']}/tags"
    replaced = admin.put(url, json={"tags": ["red", "blue"]})
    assert replaced.status_code == 200
    assert replaced.json() == {"tags": ["red", "blue"]}
    assert admin.put(f"{url}/green").status_code == 201
    assert admin.get(url).json() == {"tags": ["red", "blue", "green"]}
    assert admin.get(f"{url}/red").status_code == 204
    assert admin.delete(f"{url}/red").status_code == 204
    neutron_error(
        admin.get(f"{url}/red"),
        404,
        "TagNotFound",
        f"Tag red could not be found for network {net['id']}.",
    )
    found = admin.get(f"{NETWORK}/networks", params={"tags": "blue,green"}).json()["networks"]
    assert [n["id"] for n in found] == [net["id"]]
    assert admin.get(f"{NETWORK}/networks", params={"tags": "blue,red"}).json()["networks"] == []
    not_tagged = admin.get(f"{NETWORK}/networks", params={"not-tags-any": "blue"}).json()
    assert net["id"] not in {n["id"] for n in not_tagged["networks"]}
    assert admin.delete(url).status_code == 204
    assert admin.get(f"{NETWORK}/networks/{net['id']}").json()["network"]["tags"] == []
    neutron_error(
        admin.put(url, json={"tags": "red"}), 400, "HTTPBadRequest", "'red' is not a list"
    )
