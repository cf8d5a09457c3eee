"""neutron's attribute validators: (attribute name, value) -> the converted value, or a
neutron 400."""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from powerbridge.emulator.api.network.common import MAX_LEN, http_bad_request, invalid_attr
from powerbridge.emulator.backend.ipam import invalid_input, neutron_error

Check = Callable[[str, Any], Any]


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
