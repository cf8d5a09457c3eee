"""Neutron's rules for attributes of new and changed records: owner, MTU, gateway, ports."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.ipam import (
    IpNetwork,
    invalid_input,
    is_host_address,
    neutron_error,
)
from powerbridge.emulator.backend.network_records import BOUND_VIF_DETAILS, DEFAULT_MTU, Port


def owner_of(caller: Caller, attrs: Mapping[str, Any]) -> str:
    """The project a new record belongs to: the caller's, or another one only for admins."""
    requested = attrs.get("project_id") or attrs.get("tenant_id")
    if requested and requested != caller.project_id:
        if not caller.is_admin:
            raise neutron_error(
                400,
                "HTTPBadRequest",
                "Specifying 'project_id' or 'tenant_id' other than the authenticated project "
                "in request requires admin privileges",
            )
        return str(requested)
    return caller.project_id or ""


def valid_mtu(value: Any) -> int:
    if value is None:
        return DEFAULT_MTU
    if value > DEFAULT_MTU:
        raise invalid_input(f"Requested MTU is too big, maximum is {DEFAULT_MTU}")
    if value < 68:
        raise invalid_input("Requested MTU is too small, minimum is 68")
    return int(value)


def gateway_of(ip_net: IpNetwork, attrs: Mapping[str, Any]) -> str | None:
    """The requested gateway (None: none), or by default the CIDR's first host address."""
    if "gateway_ip" not in attrs:
        if ip_net.num_addresses < 2:
            return None
        return str(ip_net.network_address + 1)
    gateway = attrs["gateway_ip"]
    if gateway is None:
        return None
    address = ipaddress.ip_address(gateway)
    if not is_host_address(ip_net, address):
        raise invalid_input("Gateway is not valid on subnet")
    return str(address)


_PORT_ATTRS = {
    "name": "name",
    "admin_state_up": "admin_state_up",
    "device_id": "device_id",
    "device_owner": "device_owner",
    "description": "description",
    "binding:host_id": "binding_host_id",
    "binding:profile": "binding_profile",
    "binding:vnic_type": "binding_vnic_type",
    "allowed_address_pairs": "allowed_address_pairs",
    "extra_dhcp_opts": "extra_dhcp_opts",
    "port_security_enabled": "port_security_enabled",
    "security_groups": "security_groups",
    "dns_name": "dns_name",
    "tags": "tags",
}


def apply_port_attrs(port: Port, attrs: Mapping[str, Any]) -> None:
    for wire, attribute in _PORT_ATTRS.items():
        if wire in attrs:
            value = attrs[wire]
            setattr(port, attribute, value if value is not None else _PORT_EMPTY[attribute])
    if "allowed_address_pairs" in attrs:
        # a pair without a MAC address takes the port's own
        port.allowed_address_pairs = [
            {
                "ip_address": str(pair["ip_address"]),
                "mac_address": str(pair.get("mac_address") or port.mac_address),
            }
            for pair in port.allowed_address_pairs
        ]


_PORT_EMPTY: dict[str, Any] = {
    "name": "",
    "device_id": "",
    "device_owner": "",
    "description": "",
    "binding_host_id": "",
    "binding_profile": {},
    "binding_vnic_type": "normal",
    "allowed_address_pairs": [],
    "extra_dhcp_opts": [],
    "security_groups": [],
    "dns_name": "",
    "tags": [],
    "admin_state_up": True,
    "port_security_enabled": True,
}


def refresh_binding(port: Port) -> None:
    """ML2 binds a port once it has a host; a bound port with a device is ACTIVE."""
    if port.binding_host_id:
        port.binding_vif_type = "ovs"
        port.binding_vif_details = dict(BOUND_VIF_DETAILS)
    else:
        port.binding_vif_type = "unbound"
        port.binding_vif_details = {}
    active = bool(port.binding_host_id and port.device_id and port.admin_state_up)
    port.status = "ACTIVE" if active else "DOWN"
