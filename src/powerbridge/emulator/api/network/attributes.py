"""neutron's attribute maps: per attribute, whether POST and PUT may set it, whether it is
required, its validator and how a list query filters on it."""

from __future__ import annotations

from dataclasses import dataclass

from powerbridge.emulator.api.network.validators import (
    IPV6_MODES,
    VNIC_TYPES,
    Check,
    address_pairs,
    az_hints,
    boolean,
    cidr,
    dhcp_options,
    dict_or_none,
    fixed_ips,
    host_routes,
    integer_or_none,
    ip_or_none,
    ip_pools,
    ip_version,
    mac_address,
    nameservers,
    non_negative,
    not_supported,
    one_of,
    string,
    string_or_none,
    unique_strings,
    uuid_list,
    uuid_value,
)


@dataclass(frozen=True)
class Attr:
    post: bool = True
    put: bool = True
    required: bool = False
    check: Check | None = None
    filter: str | None = None  # how a query value matches: str, bool, int, list, fixed_ips


READ_ONLY = Attr(post=False, put=False)
READ_ONLY_STR = Attr(post=False, put=False, filter="str")
READ_ONLY_INT = Attr(post=False, put=False, filter="int")
NAME = Attr(check=string(), filter="str")
DESCRIPTION = Attr(check=string(), filter="str")
PROJECT = Attr(put=False, check=string(), filter="str")
FLAG = Attr(check=boolean, filter="bool")
TAGS = Attr(put=False, check=unique_strings)
STANDARD = {
    "tenant_id": PROJECT,
    "project_id": PROJECT,
    "description": DESCRIPTION,
    "tags": TAGS,
    "revision_number": READ_ONLY_INT,
    "created_at": READ_ONLY,
    "updated_at": READ_ONLY,
}
NETWORK_ATTRS: dict[str, Attr] = {
    "id": READ_ONLY_STR,
    "name": NAME,
    "subnets": Attr(post=False, put=False, filter="list"),
    "admin_state_up": FLAG,
    "status": READ_ONLY_STR,
    "shared": FLAG,
    "mtu": Attr(check=non_negative, filter="int"),
    "availability_zone_hints": Attr(put=False, check=az_hints),
    "availability_zones": READ_ONLY,
    "ipv4_address_scope": READ_ONLY,
    "ipv6_address_scope": READ_ONLY,
    "router:external": FLAG,
    "port_security_enabled": FLAG,
    "qos_policy_id": Attr(check=not_supported("QosPolicy", "QoS policy")),
    "provider:network_type": Attr(check=string_or_none, filter="str"),
    "provider:physical_network": Attr(check=string_or_none, filter="str"),
    "provider:segmentation_id": Attr(check=integer_or_none, filter="int"),
    "is_default": FLAG,
    "l2_adjacency": READ_ONLY,
    "dns_domain": Attr(check=string(), filter="str"),
    **STANDARD,
}
SUBNET_ATTRS: dict[str, Attr] = {
    "id": READ_ONLY_STR,
    "name": NAME,
    "network_id": Attr(put=False, required=True, check=uuid_value, filter="str"),
    "ip_version": Attr(put=False, required=True, check=ip_version, filter="int"),
    "cidr": Attr(put=False, check=cidr, filter="str"),
    "gateway_ip": Attr(check=ip_or_none, filter="str"),
    "allocation_pools": Attr(check=ip_pools),
    "dns_nameservers": Attr(check=nameservers),
    "host_routes": Attr(check=host_routes),
    "enable_dhcp": FLAG,
    "ipv6_ra_mode": Attr(put=False, check=one_of(*IPV6_MODES, none=True), filter="str"),
    "ipv6_address_mode": Attr(put=False, check=one_of(*IPV6_MODES, none=True), filter="str"),
    "subnetpool_id": Attr(
        put=False, check=not_supported("SubnetPool", "Subnet pool"), filter="str"
    ),
    "segment_id": Attr(put=False, check=not_supported("Segment", "Segment"), filter="str"),
    "service_types": Attr(check=unique_strings),
    **STANDARD,
}
PORT_ATTRS: dict[str, Attr] = {
    "id": READ_ONLY_STR,
    "name": NAME,
    "network_id": Attr(put=False, required=True, check=uuid_value, filter="str"),
    "admin_state_up": FLAG,
    "mac_address": Attr(check=mac_address, filter="str"),
    "fixed_ips": Attr(check=fixed_ips, filter="fixed_ips"),
    "device_id": Attr(check=string(), filter="str"),
    "device_owner": Attr(check=string(), filter="str"),
    "status": READ_ONLY_STR,
    "binding:host_id": Attr(check=string(), filter="str"),
    "binding:profile": Attr(check=dict_or_none),
    "binding:vnic_type": Attr(check=one_of(*VNIC_TYPES), filter="str"),
    "binding:vif_type": READ_ONLY_STR,
    "binding:vif_details": READ_ONLY,
    "allowed_address_pairs": Attr(check=address_pairs),
    "extra_dhcp_opts": Attr(check=dhcp_options),
    "port_security_enabled": FLAG,
    "security_groups": Attr(check=uuid_list, filter="list"),
    "dns_name": Attr(check=string(), filter="str"),
    "dns_assignment": READ_ONLY,
    "qos_policy_id": Attr(check=not_supported("QosPolicy", "QoS policy")),
    "qos_network_policy_id": READ_ONLY,
    "resource_request": READ_ONLY,
    "ip_allocation": READ_ONLY_STR,
    **STANDARD,
}
