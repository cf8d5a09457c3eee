"""Neutron v2.0 over HTTP: networks, subnets, ports, their tags, extensions and discovery.

Request bodies go through neutron's attribute map (`Attr`): unknown attributes, attributes not
allowed in POST/PUT, missing required ones and invalid values are 400s with neutron's own
messages. Lists honour neutron's query language: a filter per attribute (repeated values OR'ed),
`fields=`, `sort_key`/`sort_dir`, `limit`/`marker`/`page_reverse` with `<collection>_links`, and
the tag filters `tags`, `tags-any`, `not-tags`, `not-tags-any`.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from powerbridge.emulator.api.routing import Call, Reply, RouteTable, ServiceInfo
from powerbridge.emulator.backend.identity import Caller
from powerbridge.emulator.backend.network import (
    Network,
    NetworkBackend,
    Port,
    Record,
    Subnet,
    invalid_input,
    network_not_found,
    neutron_error,
    port_not_found,
    subnet_not_found,
    tag_not_found,
)
from powerbridge.emulator.errors import ApiError

SERVICE = ServiceInfo("network", "neutron-server", "neutron.wsgi")
routes = RouteTable(SERVICE)

MAX_LEN = 255
Check = Callable[[str, Any], Any]


# -- errors -----------------------------------------------------------------------------
def http_bad_request(message: str) -> ApiError:
    return neutron_error(400, "HTTPBadRequest", message)


def invalid_attr(attr: str, reason: str) -> ApiError:
    return http_bad_request(f"Invalid input for {attr}. Reason: {reason}.")


# -- validators: (attribute name, value) -> converted value, or a neutron 400 ---------------
def string(max_len: int = MAX_LEN) -> Check:
    def check(attr: str, value: Any) -> str:
        if not isinstance(value, str):
            raise invalid_attr(attr, f"'{value}' is not a valid string")
        if len(value) > max_len:
            raise invalid_attr(attr, f"'{value}' exceeds maximum length of {max_len}")
        return value

    return check


def string_or_none(attr: str, value: Any) -> str | None:
    return None if value is None else string()(attr, value)


def boolean(attr: str, value: Any) -> bool:
    """neutron's convert_to_boolean: booleans, 0/1 and 'true'/'false' in any case."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "false", "0"):
        return value.lower() in ("true", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise invalid_input(f"'{value}' cannot be converted to boolean")


def integer(attr: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid_input(f"'{value}' is not an integer") from None


def integer_or_none(attr: str, value: Any) -> int | None:
    return None if value is None else integer(attr, value)


def non_negative(attr: str, value: Any) -> int:
    number = integer(attr, value)
    if number < 0:
        raise invalid_attr(attr, f"'{number}' should be non-negative")
    return number


def one_of(*allowed: Any, none: bool = False) -> Check:
    def check(attr: str, value: Any) -> Any:
        if value is None and none:
            return None
        if value not in allowed:
            raise invalid_attr(attr, f"'{value}' is not in {list(allowed)}")
        return value

    return check


def ip_version(attr: str, value: Any) -> int:
    return int(one_of(4, 6)(attr, integer(attr, value)))


def is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    return value.lower().replace("-", "") == parsed.hex


def uuid_value(attr: str, value: Any) -> str:
    if not is_uuid(value):
        raise invalid_attr(attr, f"'{value}' is not a valid UUID")
    return str(value)


def uuid_list(attr: str, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise invalid_attr(attr, f"'{value}' is not a list")
    return [uuid_value(attr, item) for item in value]


def ip_problem(value: Any) -> str | None:
    if isinstance(value, str):
        try:
            ipaddress.ip_address(value)
            return None
        except ValueError:
            pass
    return f"'{value}' is not a valid IP address"


def ip_address(attr: str, value: Any) -> str:
    problem = ip_problem(value)
    if problem:
        raise invalid_attr(attr, problem)
    return str(ipaddress.ip_address(value))


def ip_or_none(attr: str, value: Any) -> str | None:
    return None if value is None else ip_address(attr, value)


def cidr_problem(value: Any) -> str | None:
    if isinstance(value, str) and "/" in value:
        try:
            ipaddress.ip_network(value, strict=False)
            return None
        except ValueError:
            pass
    return f"'{value}' is not a valid IP subnet"


def cidr(attr: str, value: Any) -> str:
    problem = cidr_problem(value)
    if problem:
        raise invalid_attr(attr, problem)
    return str(ipaddress.ip_network(value, strict=False))


def dict_keys(attr: str, value: Any, required: Sequence[str], optional: Sequence[str] = ()) -> None:
    if not isinstance(value, dict):
        raise invalid_attr(
            attr, f"Invalid input. '{value}' must be a dictionary with keys: {list(required)}"
        )
    keys = set(value)
    if not set(required) <= keys or not keys <= {*required, *optional}:
        raise invalid_attr(
            attr,
            f"Validation of dictionary's keys failed. Expected keys: {set(required)} "
            f"Provided keys: {keys}",
        )


def ip_pools(attr: str, value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise invalid_attr(attr, f"Invalid data format for IP pool: '{value}'")
    pools = []
    for pool in value:
        dict_keys(attr, pool, ("start", "end"))
        pools.append(
            {"start": ip_address(attr, pool["start"]), "end": ip_address(attr, pool["end"])}
        )
    return pools


def nameservers(attr: str, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise invalid_attr(attr, f"Invalid data format for nameserver: '{value}'")
    seen: list[str] = []
    for host in value:
        problem = ip_problem(host)
        if problem:
            raise invalid_attr(attr, f"'{host}' is not a valid nameserver. {problem}")
        if host in seen:
            raise invalid_attr(attr, f"Duplicate nameserver '{host}'")
        seen.append(host)
    return seen


def host_routes(attr: str, value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise invalid_attr(attr, f"Invalid data format for hostroute: '{value}'")
    routes_seen: list[dict[str, str]] = []
    for route in value:
        dict_keys(attr, route, ("destination", "nexthop"))
        checked = {
            "destination": cidr(attr, route["destination"]),
            "nexthop": ip_address(attr, route["nexthop"]),
        }
        if checked in routes_seen:
            raise invalid_attr(attr, f"Duplicate hostroute '{route}'")
        routes_seen.append(checked)
    return routes_seen


def fixed_ips(attr: str, value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise invalid_attr(attr, f"Invalid data format for fixed IP: '{value}'")
    checked: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in value:
        if not isinstance(item, dict) or not set(item) <= {"ip_address", "subnet_id"}:
            raise invalid_attr(attr, f"Invalid data format for fixed IP: '{item}'")
        entry: dict[str, str] = {}
        if "ip_address" in item:
            address = ip_address(attr, item["ip_address"])  # a non-string is refused first
            if address in seen:
                raise invalid_attr(attr, f"Duplicate IP address '{address}'")
            entry["ip_address"] = address
            seen.add(address)
        if "subnet_id" in item:
            entry["subnet_id"] = uuid_value(attr, item["subnet_id"])
        checked.append(entry)
    return checked


MAC_PATTERN = re.compile(r"^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$")


def mac_address(attr: str, value: Any) -> str:
    if not isinstance(value, str) or not MAC_PATTERN.match(value):
        raise invalid_attr(attr, f"'{value}' is not a valid MAC address")
    if value == "00:00:00:00:00:00" or int(value[:2], 16) & 1:
        raise invalid_attr(attr, f"'{value}' is not a valid MAC address")
    return value.lower()


def dict_or_none(attr: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_attr(attr, f"'{value}' is not a dictionary")
    return value


def unique_strings(attr: str, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise invalid_attr(attr, f"'{value}' is not a list")
    for item in value:
        string()(attr, item)
    duplicates = sorted({item for item in value if value.count(item) > 1})
    if duplicates:
        raise invalid_attr(attr, f"Duplicate items in the list: '{', '.join(duplicates)}'")
    return list(value)


def az_hints(attr: str, value: Any) -> list[str]:
    hints = unique_strings(attr, value)
    for hint in hints:
        if hint != "nova":
            raise neutron_error(
                404, "AvailabilityZoneNotFound", f"AvailabilityZone {hint} could not be found."
            )
    return hints


def address_pairs(attr: str, value: Any) -> list[dict[str, str | None]]:
    if not isinstance(value, list):
        raise http_bad_request("Allowed address pairs must be a list.")
    pairs: list[dict[str, str | None]] = []
    for pair in value:
        if not isinstance(pair, dict):
            raise invalid_attr(attr, f"'{pair}' is not a dictionary")
        if "ip_address" not in pair:
            raise neutron_error(
                400, "AllowedAddressPairsMissingIP", "AllowedAddressPair must contain ip_address"
            )
        unknown = set(pair) - {"ip_address", "mac_address"}
        if unknown:
            raise http_bad_request(f"Unrecognized attribute(s) '{', '.join(sorted(unknown))}'")
        address = pair["ip_address"]
        problem = cidr_problem(address) if "/" in str(address) else ip_problem(address)
        if problem:
            raise invalid_attr(attr, problem)
        mac = pair.get("mac_address")
        checked = {
            "ip_address": str(address),
            "mac_address": mac_address(attr, mac) if mac else None,
        }
        if checked in pairs:
            raise neutron_error(
                400,
                "DuplicateAddressPairInRequest",
                f"Request contains duplicate address pair: mac_address {mac} ip_address {address}.",
            )
        pairs.append(checked)
    return pairs


def dhcp_options(attr: str, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise invalid_attr(attr, f"'{value}' is not a list")
    options: list[dict[str, Any]] = []
    for option in value:
        dict_keys(attr, option, ("opt_name",), ("opt_value", "ip_version"))
        entry = {
            "opt_name": string()(attr, option["opt_name"]),
            "opt_value": string_or_none(attr, option.get("opt_value")),
            "ip_version": ip_version(attr, option.get("ip_version", 4)),
        }
        options.append(entry)
    return options


def not_supported(kind: str, label: str) -> Check:
    """An id attribute of a resource type the emulator has none of (QoS, subnet pools)."""

    def check(attr: str, value: Any) -> None:
        if value is None:
            return
        uuid_value(attr, value)
        raise neutron_error(404, f"{kind}NotFound", f"{label} {value} could not be found.")

    return check


VNIC_TYPES = (
    "normal",
    "direct",
    "macvtap",
    "baremetal",
    "direct-physical",
    "virtio-forwarder",
    "smart-nic",
    "vdpa",
    "remote-managed",
)
IPV6_MODES = ("dhcpv6-stateful", "dhcpv6-stateless", "slaac")


# -- attribute maps ---------------------------------------------------------------------
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


# -- wire shapes ------------------------------------------------------------------------
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


# -- resources --------------------------------------------------------------------------
@dataclass(frozen=True)
class Resource:
    name: str
    collection: str
    attrs: dict[str, Attr]
    view: Callable[[Any], dict[str, Any]]
    not_found: Callable[[str], ApiError]
    admin_only: frozenset[str] = field(default_factory=frozenset)  # hidden from others

    def records(self, backend: NetworkBackend, caller: Caller) -> Sequence[Record]:
        listing: dict[str, Callable[[Caller], Sequence[Record]]] = {
            "networks": backend.visible_networks,
            "subnets": backend.visible_subnets,
            "ports": backend.visible_ports,
        }
        return listing[self.collection](caller)

    def shape(self, row: Mapping[str, Any], caller: Caller, fields: Sequence[str]) -> Any:
        hidden = () if caller.is_admin else self.admin_only
        return {
            key: value
            for key, value in row.items()
            if key not in hidden and (not fields or key in fields)
        }


NETWORKS = Resource(
    "network",
    "networks",
    NETWORK_ATTRS,
    network_view,
    network_not_found,
    frozenset({"provider:network_type", "provider:physical_network", "provider:segmentation_id"}),
)
SUBNETS = Resource("subnet", "subnets", SUBNET_ATTRS, subnet_view, subnet_not_found)
PORTS = Resource(
    "port",
    "ports",
    PORT_ATTRS,
    port_view,
    port_not_found,
    frozenset({"binding:host_id", "binding:profile", "binding:vif_type", "binding:vif_details"}),
)
RESOURCES = (NETWORKS, SUBNETS, PORTS)


# -- request bodies (neutron's prepare_request_body) ------------------------------------
def create_items(call: Call, resource: Resource) -> tuple[list[dict[str, Any]], bool]:
    """The validated attributes of each resource to create, and whether it was a bulk body."""
    body = _body(call)
    if resource.collection in body:
        items = body[resource.collection]
        if not isinstance(items, list):
            raise http_bad_request("Body contains invalid data")
        if not items:
            raise http_bad_request("Resources required")
        wrapped = [
            i if isinstance(i, dict) and resource.name in i else {resource.name: i} for i in items
        ]
        return [_prepare(w, resource, create=True) for w in wrapped], True
    return [_prepare(body, resource, create=True)], False


def update_changes(call: Call, resource: Resource) -> dict[str, Any]:
    body = _body(call)
    if resource.collection in body:
        raise http_bad_request("Bulk operation not supported")
    return _prepare(body, resource, create=False)


def _body(call: Call) -> dict[str, Any]:
    if not call.body:
        raise http_bad_request("Resource body required")
    if not isinstance(call.body, dict):
        raise http_bad_request("Body contains invalid data")
    return call.body


def _prepare(body: Mapping[str, Any], resource: Resource, *, create: bool) -> dict[str, Any]:
    attrs = body.get(resource.name)
    if attrs is None:
        raise http_bad_request(f"Unable to find '{resource.name}' in request body")
    if not isinstance(attrs, dict):
        raise http_bad_request(f"Object '{resource.name}' contains invalid data")
    unknown = [key for key in attrs if key not in resource.attrs]
    if unknown:
        raise http_bad_request(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    for name, spec in resource.attrs.items():
        if create and spec.required and name not in attrs:
            raise http_bad_request(
                f"Failed to parse request. Required attribute '{name}' not specified"
            )
        if name in attrs and create and not spec.post:
            raise http_bad_request(f"Attribute '{name}' not allowed in POST")
        if name in attrs and not create and not spec.put:
            raise http_bad_request(f"Cannot update read-only attribute {name}")
    if {"tenant_id", "project_id"} <= set(attrs) and attrs["tenant_id"] != attrs["project_id"]:
        raise http_bad_request("'project_id' and 'tenant_id' do not match")
    checked = {}
    for name, value in attrs.items():
        check = resource.attrs[name].check
        checked[name] = check(name, value) if check else value
    return checked


# -- listing: filters, sorting, pagination, fields --------------------------------------
QUERY_CONTROLS = frozenset(
    {"fields", "limit", "marker", "page_reverse", "sort_key", "sort_dir"}
    | {"tags", "tags-any", "not-tags", "not-tags-any"}
)
Row = tuple[Record, dict[str, Any]]


def list_reply(call: Call, resource: Resource) -> Reply:
    caller = call.auth
    query = call.query
    records = resource.records(call.emulator.networks, caller)
    rows: list[Row] = [(record, resource.view(record)) for record in records]
    matchers = _filters(query, resource)
    rows = [row for row in rows if all(match(row[1]) for match in matchers)]
    rows = [row for row in rows if _tags_match(query, row[0].tags)]
    limit, marker, reverse = _page_params(query)
    sorts = _sorts(query, resource)
    if limit and "id" not in (key for key, _ in sorts):
        sorts.append(("id", True))  # neutron pages in a total order, by id last
    if sorts:

        def by_sorts(a: Row, b: Row) -> int:
            return _compare(a[1], b[1], sorts)

        rows.sort(key=functools.cmp_to_key(by_sorts))
    links: list[dict[str, str]] = []
    if limit:
        rows = _page(rows, records, resource, sorts, limit, marker, reverse)
        links = _links(call, resource, [row[1] for row in rows], limit, reverse)
    fields = _fields(query)
    body: dict[str, Any] = {
        resource.collection: [resource.shape(row[1], caller, fields) for row in rows]
    }
    if links:
        body[f"{resource.collection}_links"] = links
    return Reply(body)


def _fields(query: Any) -> list[str]:
    return [f for f in query.getlist("fields") if f]


def _filters(query: Any, resource: Resource) -> list[Callable[[Mapping[str, Any]], bool]]:
    matchers = []
    for key in dict.fromkeys(query.keys()):
        if key in QUERY_CONTROLS:
            continue
        values = [v for v in query.getlist(key) if v]
        spec = resource.attrs.get(key)
        if spec is None or spec.filter is None:
            raise http_bad_request(f"[{key}] is invalid attribute for filtering")
        if values:
            matchers.append(_matcher(key, spec.filter, values))
    return matchers


def _matcher(key: str, kind: str, values: list[str]) -> Callable[[Mapping[str, Any]], bool]:
    if kind == "fixed_ips":
        wanted = _kvp(values)
        return lambda row: any(_fixed_ip_matches(f, wanted) for f in row[key])
    if kind == "list":
        return lambda row: any(v in row[key] for v in values)
    converted: set[Any] = set(values)
    if kind == "bool":
        converted = {boolean(key, v) for v in values}
    elif kind == "int":
        converted = {integer(key, v) for v in values}
    return lambda row: row[key] in converted


def _kvp(values: list[str]) -> dict[str, set[str]]:
    """neutron's convert_kvp_list_to_dict: ['ip_address=10.0.0.3'] -> {'ip_address': {...}}."""
    wanted: dict[str, set[str]] = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key:
            raise invalid_input(f"'{value}' is not of the form <key>=[value]")
        wanted.setdefault(key, set()).add(item)
    return wanted


def _fixed_ip_matches(fixed: Mapping[str, str], wanted: Mapping[str, set[str]]) -> bool:
    for key, accepted in wanted.items():
        if key == "ip_address_substr":
            if not any(part in fixed["ip_address"] for part in accepted):
                return False
        elif fixed.get(key) not in accepted:
            return False
    return True


def _tags_match(query: Any, tags: Sequence[str]) -> bool:
    def wanted(param: str) -> set[str]:
        return {t for value in query.getlist(param) for t in value.split(",") if t}

    present = set(tags)
    all_of, any_of = wanted("tags"), wanted("tags-any")
    none_of_all, none_of_any = wanted("not-tags"), wanted("not-tags-any")
    if all_of and not all_of <= present:
        return False
    if any_of and not any_of & present:
        return False
    if none_of_all and none_of_all <= present:
        return False
    return not (none_of_any and none_of_any & present)


def _page_params(query: Any) -> tuple[int, str | None, bool]:
    raw = query.get("limit", "0")
    try:
        limit = int(raw)
    except ValueError:
        limit = -1
    if limit < 0:
        raise neutron_error(
            400,
            "BadRequest",
            f"Bad limit request: Limit must be an integer 0 or greater and not '{raw}'.",
        )
    reverse = query.get("page_reverse", "False").lower() == "true"
    return limit, query.get("marker") if limit else None, reverse


def _sorts(query: Any, resource: Resource) -> list[tuple[str, bool]]:
    keys = [k for k in query.getlist("sort_key") if k]
    directions = [d for d in query.getlist("sort_dir") if d]
    if len(keys) != len(directions):
        raise http_bad_request("The number of sort_keys and sort_dirs must be same")
    absent = [k for k in keys if k not in resource.attrs]
    if absent:
        raise http_bad_request(f"{absent} is invalid attribute for sort_keys")
    invalid = [d for d in directions if d not in ("asc", "desc")]
    if invalid:
        raise http_bad_request(
            f"{invalid} is invalid value for sort_dirs, valid value is 'asc' and 'desc'"
        )
    return [(key, direction == "asc") for key, direction in zip(keys, directions, strict=True)]


def _compare(a: Mapping[str, Any], b: Mapping[str, Any], sorts: Sequence[tuple[str, bool]]) -> int:
    """neutron's emulated sorting: None first, then natural order, per key and direction."""
    for key, ascending in sorts:
        left, right = _sortable(a.get(key)), _sortable(b.get(key))
        if left is None and right is None:
            result = 0
        elif left is None:
            result = -1
        elif right is None:
            result = 1
        else:
            result = (left > right) - (left < right)
        if result:
            return result if ascending else -result
    return 0


def _sortable(value: Any) -> Any:
    return str(value) if isinstance(value, dict | list) else value


def _page(
    rows: list[Row],
    records: Sequence[Record],
    resource: Resource,
    sorts: Sequence[tuple[str, bool]],
    limit: int,
    marker: str | None,
    reverse: bool,
) -> list[Row]:
    """neutron's native pagination: the rows after (or before) the marker in sort order."""
    if marker is not None:
        anchor = next((r for r in records if r.id == marker), None)
        if anchor is None:
            raise resource.not_found(marker)
        anchor_row = resource.view(anchor)
        if reverse:
            rows = [row for row in rows if _compare(row[1], anchor_row, sorts) < 0]
        else:
            rows = [row for row in rows if _compare(row[1], anchor_row, sorts) > 0]
    return rows[-limit:] if reverse else rows[:limit]


def _links(
    call: Call, resource: Resource, items: list[dict[str, Any]], limit: int, reverse: bool
) -> list[dict[str, str]]:
    """neutron's get_pagination_links: `next` unless a short forward page, `previous` unless
    a short reverse page, each carrying the query with a new marker."""
    links = []
    if not (len(items) < limit and not reverse):
        links.append({"rel": "next", "href": _page_href(call, resource, items, last=True)})
    if not (len(items) < limit and reverse):
        links.append({"rel": "previous", "href": _page_href(call, resource, items, last=False)})
    return links


def _page_href(call: Call, resource: Resource, items: list[dict[str, Any]], *, last: bool) -> str:
    params = [(k, v) for k, v in call.query.multi_items() if k != "marker"]
    if items:
        params.append(("marker", items[-1 if last else 0]["id"]))
    params = [(k, v) for k, v in params if k != "page_reverse"]
    if not last:
        params.append(("page_reverse", "True"))
    return f"{call.base_url()}/v2.0/{resource.collection}?{urlencode(params)}"


# -- discovery --------------------------------------------------------------------------
@routes.get("/", public=True)
def versions(call: Call) -> Reply:
    link = {"href": f"{call.base_url()}/v2.0/", "rel": "self"}
    return Reply({"versions": [{"id": "v2.0", "status": "CURRENT", "links": [link]}]})


@routes.get("/v2.0")
def resources(call: Call) -> Reply:
    base = call.base_url()
    listing = [
        {
            "links": [{"href": f"{base}/v2.0/{r.collection}", "rel": "self"}],
            "name": r.name,
            "collection": r.collection,
        }
        for r in RESOURCES
    ]
    return Reply({"resources": listing})


def _extension(alias: str, name: str, description: str, updated: str) -> dict[str, Any]:
    return {
        "alias": alias,
        "name": name,
        "description": description,
        "updated": updated,
        "links": [],
    }


EXTENSIONS = (
    _extension(
        "allowed-address-pairs",
        "Allowed Address Pairs",
        "Provides allowed address pairs",
        "2013-07-23T10:00:00-00:00",
    ),
    _extension(
        "availability_zone",
        "Availability Zone",
        "The availability zone extension.",
        "2015-01-01T10:00:00-00:00",
    ),
    _extension(
        "binding",
        "Port Binding",
        "Expose port bindings of a virtual port to external application",
        "2014-02-03T10:00:00-00:00",
    ),
    _extension(
        "dns-integration",
        "DNS Integration",
        "Provides integration with DNS.",
        "2015-08-15T18:00:00-00:00",
    ),
    _extension(
        "external-net",
        "Neutron external network",
        "Adds external network attribute to network resource.",
        "2013-01-14T10:00:00-00:00",
    ),
    _extension(
        "extra_dhcp_opt",
        "Neutron Extra DHCP options",
        "Extra options configuration for DHCP. For example PXE boot options to DHCP clients "
        "can be specified (e.g. tftp-server, server-ip-address, bootfile-name)",
        "2013-03-17T12:00:00-00:00",
    ),
    _extension(
        "filter-validation",
        "Filter parameters validation",
        "Provides validation on filter parameters.",
        "2018-03-21T10:00:00-00:00",
    ),
    _extension(
        "ip_allocation", "IP Allocation", "IP allocation extension.", "2016-06-10T23:00:00-00:00"
    ),
    _extension(
        "l2_adjacency",
        "L2 Adjacency",
        "Display L2 Adjacency for Neutron Networks.",
        "2016-04-12T16:00:00-00:00",
    ),
    _extension(
        "net-mtu-writable",
        "Network MTU (writable)",
        "Provides a writable MTU attribute for a network resource.",
        "2017-07-12T00:00:00-00:00",
    ),
    _extension(
        "network-mtu",
        "Network MTU",
        "Provides MTU attribute for a network resource.",
        "2015-03-25T10:00:00-00:00",
    ),
    _extension(
        "network_availability_zone",
        "Network Availability Zone",
        "Availability zone support for network.",
        "2015-01-01T10:00:00-00:00",
    ),
    _extension(
        "pagination",
        "Pagination support",
        "Extension that indicates that pagination is enabled.",
        "2016-06-12T00:00:00-00:00",
    ),
    _extension(
        "port-security", "Port Security", "Provides port security", "2012-07-23T10:00:00-00:00"
    ),
    _extension(
        "project-id",
        "project_id field enabled",
        "Extension that indicates that project_id field is enabled.",
        "2016-09-09T09:09:09-09:09",
    ),
    _extension(
        "provider",
        "Provider Network",
        "Expose mapping of virtual networks to physical networks",
        "2012-09-07T10:00:00-00:00",
    ),
    _extension(
        "sorting",
        "Sorting support",
        "Extension that indicates that sorting is enabled.",
        "2016-06-12T00:00:00-00:00",
    ),
    _extension(
        "standard-attr-description",
        "standard-attr-description",
        "Extension to add descriptions to standard attributes",
        "2016-02-10T10:00:00-00:00",
    ),
    _extension(
        "standard-attr-revisions",
        "Resource revision numbers",
        "This extension will display the revision number of neutron resources.",
        "2016-04-11T10:00:00-00:00",
    ),
    _extension(
        "standard-attr-tag",
        "Tag support for resources with standard attribute: subnet, network, port",
        "Enables to set tag on resources with standard attribute.",
        "2017-01-01T00:00:00-00:00",
    ),
    _extension(
        "standard-attr-timestamp",
        "Resource timestamps",
        "Adds created_at and updated_at fields to all Neutron resources that have Neutron "
        "standard attributes.",
        "2016-09-12T10:00:00-00:00",
    ),
    _extension(
        "subnet-service-types",
        "Subnet service types",
        "Provides ability to set the subnet service_types field",
        "2016-03-15T18:00:00-00:00",
    ),
)


@routes.get("/v2.0/extensions")
def list_extensions(call: Call) -> Reply:
    return Reply({"extensions": list(EXTENSIONS)})


@routes.get("/v2.0/extensions/{alias}")
def show_extension(call: Call) -> Reply:
    alias = call.params["alias"]
    for extension in EXTENSIONS:
        if extension["alias"] == alias:
            return Reply({"extension": extension})
    raise neutron_error(404, "HTTPNotFound", f"Extension with alias {alias} does not exist")


# -- CRUD, one set of routes per resource ------------------------------------------------
def _lookup(call: Call, resource: Resource, resource_id: str) -> Record:
    return call.emulator.networks.record(resource.collection, resource_id, call.auth)


def _creator(call: Call, resource: Resource) -> Callable[[Mapping[str, Any]], Record]:
    backend = call.emulator.networks
    context = call.log_context()
    if resource is NETWORKS:
        return lambda attrs: backend.create_network(call.auth, attrs)
    if resource is SUBNETS:
        return lambda attrs: backend.create_subnet(call.auth, attrs)
    return lambda attrs: backend.create_port(call.auth, attrs, context)


def _updater(call: Call, resource: Resource) -> Callable[[str, Mapping[str, Any]], Record]:
    backend = call.emulator.networks
    if resource is NETWORKS:
        return lambda rid, changes: backend.update_network(rid, call.auth, changes)
    if resource is SUBNETS:
        return lambda rid, changes: backend.update_subnet(rid, call.auth, changes)
    return lambda rid, changes: backend.update_port(rid, call.auth, changes, call.log_context())


def _delete(call: Call, resource: Resource, resource_id: str) -> None:
    backend = call.emulator.networks
    if resource is NETWORKS:
        backend.delete_network(resource_id, call.auth, call.log_context())
    elif resource is SUBNETS:
        backend.delete_subnet(resource_id, call.auth)
    else:
        backend.delete_port(resource_id, call.auth, call.log_context())


def _register(resource: Resource) -> None:
    collection = f"/v2.0/{resource.collection}"
    member = f"{collection}/{{resource_id}}"

    @routes.get(collection)
    def list_items(call: Call) -> Reply:
        return list_reply(call, resource)

    @routes.post(collection)
    def create_items_route(call: Call) -> Reply:
        items, bulk = create_items(call, resource)
        backend = call.emulator.networks
        created = backend.create_many(_creator(call, resource), items)
        views = [resource.shape(resource.view(r), call.auth, ()) for r in created]
        if bulk:
            return Reply({resource.collection: views}, status=201)
        return Reply({resource.name: views[0]}, status=201)

    @routes.get(member)
    def show_item(call: Call) -> Reply:
        record = _lookup(call, resource, call.params["resource_id"])
        row = resource.shape(resource.view(record), call.auth, _fields(call.query))
        return Reply({resource.name: row})

    @routes.put(member)
    def update_item(call: Call) -> Reply:
        changes = update_changes(call, resource)
        record = _updater(call, resource)(call.params["resource_id"], changes)
        return Reply({resource.name: resource.shape(resource.view(record), call.auth, ())})

    @routes.delete(member)
    def delete_item(call: Call) -> Reply:
        _delete(call, resource, call.params["resource_id"])
        return Reply(status=204)

    _register_tags(resource, member)


def _register_tags(resource: Resource, member: str) -> None:
    tags_path = f"{member}/tags"
    tag_path = f"{tags_path}/{{tag}}"
    collection = resource.collection

    @routes.get(tags_path)
    def list_tags(call: Call) -> Reply:
        return Reply({"tags": list(_lookup(call, resource, call.params["resource_id"]).tags)})

    @routes.put(tags_path)
    def replace_tags(call: Call) -> Reply:
        body = call.body
        if not isinstance(body, dict) or "tags" not in body:
            raise http_bad_request("Invalid tags body")
        tags = _tag_list(body["tags"])
        backend = call.emulator.networks
        rid = call.params["resource_id"]
        result = backend.replace_tags(collection, rid, call.auth, tags, f"update_{collection}_tags")
        return Reply({"tags": result})

    @routes.delete(tags_path)
    def clear_tags(call: Call) -> Reply:
        backend = call.emulator.networks
        rid = call.params["resource_id"]
        backend.replace_tags(collection, rid, call.auth, [], f"delete_{collection}_tags")
        return Reply(status=204)

    @routes.get(tag_path)
    def check_tag(call: Call) -> Reply:
        record = _lookup(call, resource, call.params["resource_id"])
        if call.params["tag"] not in record.tags:
            raise tag_not_found(call.params["tag"], collection, record.id)
        return Reply(status=204)

    @routes.put(tag_path)
    def add_tag(call: Call) -> Reply:
        tag = _tag_list([call.params["tag"]])[0]
        rid = call.params["resource_id"]
        call.emulator.networks.add_tag(collection, rid, call.auth, tag)
        return Reply(status=201)

    @routes.delete(tag_path)
    def remove_tag(call: Call) -> Reply:
        backend = call.emulator.networks
        backend.remove_tag(collection, call.params["resource_id"], call.auth, call.params["tag"])
        return Reply(status=204)


def _tag_list(value: Any) -> list[str]:
    """neutron's tag validation: a list of unique strings of at most 255 characters."""
    if not isinstance(value, list):
        raise http_bad_request(f"'{value}' is not a list")
    for tag in value:
        if not isinstance(tag, str):
            raise http_bad_request(f"'{tag}' is not a valid string")
        if len(tag) > MAX_LEN:
            raise http_bad_request(f"'{tag}' exceeds maximum length of {MAX_LEN}")
    duplicates = sorted({t for t in value if value.count(t) > 1})
    if duplicates:
        raise http_bad_request(f"Duplicate items in the list: '{', '.join(duplicates)}'")
    return list(value)


for _resource in RESOURCES:
    _register(_resource)
