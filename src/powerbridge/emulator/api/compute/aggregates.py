"""`os-aggregates`: PowerVC host groups (admin only). Each has one availability zone; its
placement policy is the `placement_policy` metadata key (striping, packing, cpu_balanced,
memory_balanced). The default host group ("Default Group", zone `nova`) lists every host not
in another group and cannot be deleted."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.compute.common import iso_micro
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.validation import Schema
from powerbridge.emulator.backend.host_groups import HostGroup, HostGroupBackend
from powerbridge.emulator.backend.identity_records import require_policy_admin
from powerbridge.emulator.errors import bad_request

_NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^\\s].*[^\\s]$|^[^\\s]$"}
_ZONE = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}
CREATE = Schema(
    "aggregate",
    {
        "type": "object",
        "properties": {
            "aggregate": {
                "type": "object",
                "properties": {"name": _NAME, "availability_zone": _ZONE},
                "required": ["name"],
                "additionalProperties": False,
            }
        },
        "required": ["aggregate"],
        "additionalProperties": False,
    },
)
UPDATE = Schema(
    "aggregate",
    {
        "type": "object",
        "properties": {
            "aggregate": {
                "type": "object",
                "properties": {"name": _NAME, "availability_zone": _ZONE},
                "minProperties": 1,
                "additionalProperties": False,
            }
        },
        "required": ["aggregate"],
        "additionalProperties": False,
    },
)
_HOST = {
    "type": "object",
    "properties": {"host": {"type": "string", "minLength": 1, "maxLength": 255}},
    "required": ["host"],
    "additionalProperties": False,
}
_METADATA = {
    "type": "object",
    "properties": {
        "metadata": {
            "type": "object",
            "patternProperties": {
                "^[a-zA-Z0-9-_:. ]{1,255}$": {"type": ["string", "null"], "maxLength": 255}
            },
            "additionalProperties": False,
        }
    },
    "required": ["metadata"],
    "additionalProperties": False,
}
ACTIONS = {
    "add_host": Schema("add_host", {"type": "object", "properties": {"add_host": _HOST}}),
    "remove_host": Schema("remove_host", {"type": "object", "properties": {"remove_host": _HOST}}),
    "set_metadata": Schema(
        "set_metadata", {"type": "object", "properties": {"set_metadata": _METADATA}}
    ),
}


def _groups(call: Call, action: str) -> HostGroupBackend:
    require_policy_admin(call.auth, f"os_compute_api:os-aggregates:{action}")
    return call.emulator.host_groups


def aggregate_body(call: Call, group: HostGroup, *, full: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "availability_zone": group.availability_zone,
        "created_at": iso_micro(group.created_at),
        "updated_at": iso_micro(group.updated_at),
        "deleted_at": None,
        "deleted": False,
    }
    if full:
        body["hosts"] = call.emulator.host_groups.hosts_of(group)
        metadata = dict(group.metadata)
        if group.availability_zone:
            metadata["availability_zone"] = group.availability_zone
        body["metadata"] = metadata
    if call.at_least("2.41"):
        body["uuid"] = group.uuid
    return body


def list_aggregates(call: Call) -> Reply:
    groups = _groups(call, "index")
    rows = [aggregate_body(call, g) for g in sorted(groups.groups.values(), key=lambda g: g.id)]
    return Reply({"aggregates": rows})


def create_aggregate(call: Call) -> Reply:
    groups = _groups(call, "create")
    CREATE.check(call.body)
    spec = call.body["aggregate"]
    group = groups.create(spec["name"], spec.get("availability_zone"))
    return Reply({"aggregate": aggregate_body(call, group, full=False)})


def show_aggregate(call: Call) -> Reply:
    group = _groups(call, "show").get(call.params["aggregate_id"])
    return Reply({"aggregate": aggregate_body(call, group)})


def update_aggregate(call: Call) -> Reply:
    groups = _groups(call, "update")
    UPDATE.check(call.body)
    spec = call.body["aggregate"]
    group = groups.update(
        call.params["aggregate_id"],
        name=spec.get("name"),
        zone=spec.get("availability_zone"),
        zone_given="availability_zone" in spec,
    )
    return Reply({"aggregate": aggregate_body(call, group)})


def delete_aggregate(call: Call) -> Reply:
    _groups(call, "delete").delete(call.params["aggregate_id"])
    return Reply()


def aggregate_action(call: Call) -> Reply:
    body = call.body
    if not isinstance(body, dict) or len(body) != 1 or next(iter(body)) not in ACTIONS:
        raise bad_request(
            "Invalid request body: give one of add_host, remove_host or set_metadata."
        )
    action = next(iter(body))
    groups = _groups(call, action)
    ACTIONS[action].check(body)
    ref = call.params["aggregate_id"]
    if action == "add_host":
        group = groups.add_host(ref, body[action]["host"])
    elif action == "remove_host":
        group = groups.remove_host(ref, body[action]["host"])
    else:
        group = groups.set_metadata(ref, body[action]["metadata"])
    return Reply({"aggregate": aggregate_body(call, group)})
