"""Wire shapes of networks, subnets and ports, with neutron's standard attributes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from powerbridge.emulator.backend.network_records import Network, Port, Record, Subnet


def stamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _standard(record: Record) -> dict[str, Any]:
    return {
        "tenant_id": record.project_id,
        "project_id": record.project_id,
        "description": record.description,
        "tags": list(record.tags),
        "created_at": stamp(record.created_at),
        "updated_at": stamp(record.updated_at),
        "revision_number": record.revision_number,
    }


def network_view(network: Network) -> dict[str, Any]:
    return {
        "id": network.id,
        "name": network.name,
        "admin_state_up": network.admin_state_up,
        "mtu": network.mtu,
        "status": network.status,
        "subnets": list(network.subnet_ids),
        "shared": network.shared,
        "availability_zone_hints": list(network.availability_zone_hints),
        "availability_zones": [],  # a network's zones are its DHCP agents' and PowerVC has none
        "ipv4_address_scope": None,
        "ipv6_address_scope": None,
        "router:external": network.router_external,
        "port_security_enabled": network.port_security_enabled,
        "qos_policy_id": None,
        "provider:network_type": network.network_type,
        "provider:physical_network": network.physical_network,
        "provider:segmentation_id": network.segmentation_id,
        "is_default": network.is_default,
        "l2_adjacency": True,
        "dns_domain": network.dns_domain,
        **_standard(network),
    }


def subnet_view(subnet: Subnet) -> dict[str, Any]:
    return {
        "id": subnet.id,
        "name": subnet.name,
        "network_id": subnet.network_id,
        "ip_version": subnet.ip_version,
        "subnetpool_id": None,
        "enable_dhcp": subnet.enable_dhcp,
        "ipv6_ra_mode": subnet.ipv6_ra_mode,
        "ipv6_address_mode": subnet.ipv6_address_mode,
        "gateway_ip": subnet.gateway_ip,
        "cidr": subnet.cidr,
        "allocation_pools": [dict(p) for p in subnet.allocation_pools],
        "host_routes": [dict(r) for r in subnet.host_routes],
        "dns_nameservers": list(subnet.dns_nameservers),
        "service_types": list(subnet.service_types),
        "segment_id": None,
        **_standard(subnet),
    }


def port_view(port: Port) -> dict[str, Any]:
    return {
        "id": port.id,
        "name": port.name,
        "network_id": port.network_id,
        "mac_address": port.mac_address,
        "admin_state_up": port.admin_state_up,
        "status": port.status,
        "device_id": port.device_id,
        "device_owner": port.device_owner,
        "fixed_ips": [dict(f) for f in port.fixed_ips],
        "allowed_address_pairs": [dict(p) for p in port.allowed_address_pairs],
        "extra_dhcp_opts": [dict(o) for o in port.extra_dhcp_opts],
        "security_groups": list(port.security_groups),
        "binding:vnic_type": port.binding_vnic_type,
        "binding:profile": dict(port.binding_profile),
        "binding:host_id": port.binding_host_id,
        "binding:vif_type": port.binding_vif_type,
        "binding:vif_details": dict(port.binding_vif_details),
        "port_security_enabled": port.port_security_enabled,
        "dns_name": port.dns_name,
        "dns_assignment": _dns_assignment(port),
        "qos_policy_id": None,
        "qos_network_policy_id": None,
        "resource_request": None,
        "ip_allocation": "immediate",
        **_standard(port),
    }


def _dns_assignment(port: Port) -> list[dict[str, str]]:
    assignments = []
    for fixed in port.fixed_ips:
        address = fixed["ip_address"]
        hostname = port.dns_name or "host-" + re.sub(r"[.:]", "-", address)
        assignments.append(
            {"ip_address": address, "hostname": hostname, "fqdn": f"{hostname}.openstacklocal."}
        )
    return assignments
