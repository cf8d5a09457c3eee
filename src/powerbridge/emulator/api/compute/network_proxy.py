"""nova's network proxies to neutron, `os-networks` and `os-tenant-networks` (deprecated at
2.36, where nova answers 404), as nova shapes them since nova-network's removal: each neutron
network as `id` and `label` (its name); every nova-network field null in `os-networks` (and
the administrator's fields too, for an admin); `cidr` the string "None" in
`os-tenant-networks` (nova's str() of the absent attribute)."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.network_records import Network
from powerbridge.emulator.errors import ApiError, not_found

_FIELDS = (
    "id",
    "cidr",
    "netmask",
    "gateway",
    "broadcast",
    "dns1",
    "dns2",
    "cidr_v6",
    "gateway_v6",
    "label",
    "netmask_v6",
)
_ADMIN_FIELDS = (
    "created_at",
    "updated_at",
    "deleted_at",
    "deleted",
    "injected",
    "bridge",
    "vlan",
    "vpn_public_address",
    "vpn_public_port",
    "vpn_private_address",
    "dhcp_start",
    "project_id",
    "host",
    "bridge_interface",
    "multi_host",
    "priority",
    "rxtx_base",
    "mtu",
    "dhcp_server",
    "enable_dhcp",
    "share_address",
)


def _proxied(call: Call) -> None:
    if call.at_least("2.36"):
        raise not_found("The resource could not be found.")


def _network_body(call: Call, network: Network) -> dict[str, Any]:
    fields = _FIELDS + (_ADMIN_FIELDS if call.auth.is_admin else ())
    body: dict[str, Any] = dict.fromkeys(fields)
    body.update(id=network.id, label=network.name)
    return body


def _tenant_body(network: Network) -> dict[str, Any]:
    return {"id": network.id, "cidr": "None", "label": network.name}


def _one(call: Call) -> Network:
    _proxied(call)
    ref = call.params["network_id"]
    try:
        return call.emulator.networks.network(ref, call.auth)
    except ApiError:
        raise not_found(f"Network {ref} could not be found.") from None


def list_networks(call: Call) -> Reply:
    _proxied(call)
    networks = call.emulator.networks.visible_networks(call.auth)
    return Reply({"networks": [_network_body(call, n) for n in networks]})


def show_network(call: Call) -> Reply:
    return Reply({"network": _network_body(call, _one(call))})


def list_tenant_networks(call: Call) -> Reply:
    _proxied(call)
    networks = call.emulator.networks.visible_networks(call.auth)
    return Reply({"networks": [_tenant_body(n) for n in networks]})


def show_tenant_network(call: Call) -> Reply:
    return Reply({"network": _tenant_body(_one(call))})
