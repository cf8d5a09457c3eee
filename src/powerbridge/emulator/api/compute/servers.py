"""`/servers`: create (flavorRef or PowerVC's inline flavor), list with filters and pages,
show, update, delete, actions, addresses, instance actions (metadata and volume attachments
have their own modules)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

from powerbridge.emulator.api.compute.actions import MOBILITY_ACTIONS
from powerbridge.emulator.api.compute.admin_actions import ADMIN_ACTIONS
from powerbridge.emulator.api.compute.common import last_segment, paginate, parse_time
from powerbridge.emulator.api.compute.powervc_actions import POWERVC_ACTIONS
from powerbridge.emulator.api.compute.server_metadata import METADATA
from powerbridge.emulator.api.compute.server_pages import server_pages
from powerbridge.emulator.api.compute.views import (
    action_body,
    server_changed,
    server_detail,
    server_summary,
)
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.validation import Schema
from powerbridge.emulator.backend.server_records import (
    NetworkRequest,
    Server,
    ServerRequest,
    VolumeRequest,
)
from powerbridge.emulator.errors import bad_request, conflict, not_found

_COUNT = {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1}
_BDM = {
    "type": "object",
    "properties": {
        "boot_index": {"type": ["integer", "string", "null"]},
        "uuid": {"type": "string"},
        "source_type": {"type": "string", "enum": ["volume", "image", "blank", "snapshot"]},
        "destination_type": {"type": "string", "enum": ["volume", "local"]},
        "volume_size": {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1},
        "delete_on_termination": {"type": ["boolean", "string"]},
        "volume_type": {"type": ["string", "null"]},
        "device_name": {"type": ["string", "null"]},
        "disk_bus": {"type": "string"},
        "device_type": {"type": "string"},
        "guest_format": {"type": "string"},
        "tag": {"type": "string"},
        "no_device": {},
    },
    "additionalProperties": False,
}
CREATE_SERVER = Schema(
    "server",
    {
        "type": "object",
        "properties": {
            "server": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 255},
                    "imageRef": {"type": "string"},
                    "flavorRef": {"type": ["string", "integer"], "minLength": 1},
                    "flavor": {
                        "type": "object",
                        "properties": {
                            "ram": {"type": "integer", "minimum": 1},
                            "vcpus": {"type": "integer", "minimum": 1},
                            "disk": {"type": "integer", "minimum": 0},
                            "extra_specs": {
                                "type": "object",
                                "additionalProperties": {"type": ["string", "number", "boolean"]},
                            },
                        },
                        "required": ["ram", "vcpus"],
                        "additionalProperties": False,
                    },
                    "networks": {
                        "oneOf": [
                            {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "uuid": {"type": "string"},
                                        "fixed_ip": {"type": "string"},
                                        "port": {"type": ["string", "null"]},
                                        "tag": {"type": "string"},
                                    },
                                    "additionalProperties": False,
                                },
                            },
                            {"type": "string", "enum": ["auto", "none"]},
                        ]
                    },
                    "block_device_mapping_v2": {"type": "array", "items": _BDM},
                    "availability_zone": {"type": "string", "maxLength": 255},
                    "metadata": METADATA,
                    "user_data": {"type": "string", "maxLength": 65535},
                    "key_name": {"type": "string", "minLength": 1, "maxLength": 255},
                    "min_count": _COUNT,
                    "max_count": _COUNT,
                    "return_reservation_id": {"type": ["boolean", "string"]},
                    "security_groups": {"type": "array"},
                    "config_drive": {"type": ["boolean", "string"]},
                    "adminPass": {"type": "string"},
                    "description": {"type": ["string", "null"], "maxLength": 255},
                    "tags": {
                        "type": "array",
                        "items": {"type": "string", "maxLength": 60},
                        "maxItems": 50,
                    },
                    "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
                    "accessIPv4": {"type": "string"},
                    "accessIPv6": {"type": "string"},
                    "personality": {"type": "array"},
                },
                "required": ["name"],
                "additionalProperties": False,
            },
            "os:scheduler_hints": {"type": "object"},
            "OS-SCH-HNT:scheduler_hints": {"type": "object"},
        },
        "required": ["server"],
        "additionalProperties": False,
    },
)
UPDATE_SERVER = Schema(
    "server",
    {
        "type": "object",
        "properties": {
            "server": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 255},
                    "description": {"type": ["string", "null"], "maxLength": 255},
                    "accessIPv4": {"type": "string"},
                    "accessIPv6": {"type": "string"},
                    "OS-DCF:diskConfig": {"type": "string"},
                },
                "additionalProperties": False,
            }
        },
        "required": ["server"],
        "additionalProperties": False,
    },
)
ActionHandler = Callable[[Call, Any], Reply]
SERVER_STATUSES = {
    "ACTIVE",
    "BUILD",
    "DELETED",
    "ERROR",
    "HARD_REBOOT",
    "MIGRATING",
    "PAUSED",
    "REBOOT",
    "REBUILD",
    "RESCUE",
    "RESIZE",
    "SHELVED",
    "SHELVED_OFFLOADED",
    "SHUTOFF",
    "SOFT_DELETED",
    "SUSPENDED",
    "UNKNOWN",
    "VERIFY_RESIZE",
    "REVERT_RESIZE",
    "PASSWORD",
}


# -- create -----------------------------------------------------------------------------
def create_server(call: Call) -> Reply:
    CREATE_SERVER.check(call.body)
    request = _server_request(call)
    servers = call.emulator.compute.create_servers(call.auth, request, call.request_id)
    if _truthy(call.body["server"].get("return_reservation_id")):
        return Reply({"reservation_id": servers[0].reservation_id}, status=202)
    first = servers[0]
    body = {
        "id": first.id,
        "links": server_summary(call, first)["links"],
        "OS-DCF:diskConfig": "MANUAL",
        "security_groups": [{"name": "default"}],
        "adminPass": call.body["server"].get("adminPass") or secrets.token_urlsafe(9),
    }
    return Reply(
        {"server": body},
        status=202,
        headers={"location": server_summary(call, first)["links"][0]["href"]},
    )


def _server_request(call: Call) -> ServerRequest:
    body: dict[str, Any] = call.body["server"]
    flavor_ref, inline = body.get("flavorRef"), body.get("flavor")
    if flavor_ref is None and inline is None:
        raise bad_request(
            "Missing flavorRef attribute: give flavorRef (a compute template) or "
            "an inline flavor {ram, vcpus, disk, extra_specs}."
        )
    if flavor_ref is not None and inline is not None:
        raise bad_request("Give either flavorRef or an inline flavor, not both.")
    flavor = None
    if flavor_ref is not None:
        flavor = call.emulator.flavors.find(last_segment(str(flavor_ref)))
        caller = call.auth
        if flavor is None or not call.emulator.flavors.usable_by(
            flavor, caller.project_id, caller.is_admin
        ):
            raise bad_request(f"Flavor {flavor_ref} could not be found.")
    min_count = int(body.get("min_count", 1))
    max_count = int(body.get("max_count", min_count))  # nova: max_count defaults to min_count
    if min_count > max_count:
        raise bad_request("min_count must be <= max_count")
    hints = call.body.get("os:scheduler_hints") or call.body.get("OS-SCH-HNT:scheduler_hints")
    return ServerRequest(
        name=body["name"],
        image_id=last_segment(body["imageRef"]) if body.get("imageRef") else None,
        flavor=flavor,
        inline_flavor=inline,
        networks=_networks(call, body.get("networks")),
        volumes=[_volume_request(item) for item in body.get("block_device_mapping_v2") or []],
        metadata=dict(body.get("metadata") or {}),
        availability_zone=body.get("availability_zone"),
        key_name=body.get("key_name"),
        user_data=body.get("user_data"),
        config_drive=_truthy(body.get("config_drive")),
        description=body.get("description"),
        tags=list(body.get("tags") or []),
        min_count=min_count,
        max_count=max_count,
        scheduler_hints=dict(hints or {}),
        access_ip_v4=body.get("accessIPv4", ""),
        access_ip_v6=body.get("accessIPv6", ""),
    )


def _networks(call: Call, requested: Any) -> list[NetworkRequest]:
    if requested == "none":
        return []
    if requested is None or requested == "auto":
        return _default_network(call, requested)
    networks = []
    for item in requested:
        if not item.get("uuid") and not item.get("port"):
            raise bad_request("Bad networks format: network uuid is not in proper format.")
        networks.append(NetworkRequest(item.get("uuid"), item.get("fixed_ip"), item.get("port")))
    return networks


def _default_network(call: Call, requested: Any) -> list[NetworkRequest]:
    """No `networks` (before 2.37) or `auto`: the one network the project can use."""
    if requested is None and call.at_least("2.37"):
        raise bad_request(
            "Invalid input for field/attribute server. 'networks' is a required property"
        )
    visible = call.emulator.networks.visible_networks(call.auth)
    if len(visible) == 1:
        return [NetworkRequest(visible[0].id)]
    if not visible:
        return []
    raise conflict("Multiple possible networks found, use a Network ID to be more specific.")


def _volume_request(item: dict[str, Any]) -> VolumeRequest:
    source = item.get("source_type", "volume")
    destination = item.get("destination_type", "volume")
    if destination == "local" and source != "image":
        raise bad_request("Block Device Mapping is Invalid: only images map to local disks.")
    if source in ("volume", "image", "snapshot") and not item.get("uuid"):
        raise bad_request(
            f"Block Device Mapping is Invalid: uuid is required for source_type {source}."
        )
    boot = item.get("boot_index")
    try:
        boot_index = None if boot in (None, "", "none") else int(boot)
    except (TypeError, ValueError):
        raise bad_request(
            f"Block Device Mapping is Invalid: boot_index {boot!r} is not an integer."
        ) from None
    size = item.get("volume_size")
    return VolumeRequest(
        source_type=source,
        uuid=item.get("uuid"),
        boot_index=boot_index,
        volume_size=int(size) if size is not None else None,
        delete_on_termination=_truthy(item.get("delete_on_termination")),
        volume_type=item.get("volume_type"),
        device_name=item.get("device_name"),
    )


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "t", "true", "y", "yes", "on")
    return bool(value)


# -- list and show ----------------------------------------------------------------------
def list_servers(call: Call) -> Reply:
    page, next_links = _filtered_page(call, "servers")
    body: dict[str, Any] = {"servers": [server_summary(call, s) for s in page]}
    if next_links:
        body["servers_links"] = next_links
    return Reply(body)


def list_servers_detail(call: Call) -> Reply:
    """The servers' bodies as server show renders them, kept serialised between pages."""
    page, next_links = _filtered_page(call, "servers/detail")
    return Reply(raw=server_pages(call.emulator).body(call, page, next_links))


def _filtered_page(call: Call, collection: str) -> tuple[list[Server], list[dict[str, str]]]:
    query = call.query
    since_text = query.get("changes-since") or query.get("changes_since")
    since = parse_time(since_text, "changes-since") if since_text else None
    all_tenants = call.auth.is_admin and _flag(query.get("all_tenants"))
    servers = call.emulator.compute.list_servers(
        call.auth, all_tenants=all_tenants, include_deleted=since is not None
    )
    if since is not None:
        servers = [s for s in servers if s.updated >= since]
    if tests := _server_filters(call):
        servers = [s for s in servers if all(test(s) for test in tests)]
    if _sort_dir(call) == "desc":  # they come by (created, id) ascending, each key unique
        servers.reverse()
    return paginate(call, servers, collection, lambda s: s.id)


def _flag(value: str | None) -> bool:
    return value is not None and value.lower() not in ("0", "false", "f", "no", "off")


def _sort_dir(call: Call) -> str:
    direction = str(call.query.get("sort_dir", "desc"))
    if direction not in ("asc", "desc"):
        raise bad_request(
            f"Invalid input for query parameters sort_dir. Value: {direction}. "
            f"'{direction}' is not one of ['asc', 'desc']"
        )
    return direction


def _server_filters(call: Call) -> list[Callable[[Server], bool]]:
    """A test per filter the query names, read once (a page may filter 10,000 servers)."""
    query = dict(call.query)
    admin = call.auth.is_admin
    tests: list[Callable[[Server], bool]] = []
    if name := query.get("name"):
        tests.append(lambda s: _regex_search(name, s.name))
    if reservation := query.get("reservation_id"):  # the servers of one multi-create
        tests.append(lambda s: s.reservation_id == reservation)
    if status := query.get("status"):
        wanted_status = status.upper()
        tests.append(lambda s: s.status == wanted_status)
    if image := query.get("image"):
        image_id = last_segment(image)
        tests.append(lambda s: s.image_id == image_id)
    if flavor := query.get("flavor"):
        flavor_id = last_segment(flavor)
        tests.append(lambda s: s.flavor.get("id") == flavor_id)
    if (host := query.get("host")) and admin:
        tests.append(lambda s: s.host == host)
    if (project := query.get("tenant_id") or query.get("project_id")) and admin:
        tests.append(lambda s: s.project_id == project)
    if ip := query.get("ip"):
        tests.append(lambda s: _has_address(call, s, ip))
    return tests


def _has_address(call: Call, server: Server, pattern: str) -> bool:
    addresses = call.emulator.networks.server_addresses(server.id)
    return any(_regex_search(pattern, a["addr"]) for rows in addresses.values() for a in rows)


def _regex_search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return pattern in text


def show_server(call: Call) -> Reply:
    server = call.emulator.compute.server(call.params["server_id"], call.auth)
    return Reply({"server": server_detail(call, server)})


def update_server(call: Call) -> Reply:
    UPDATE_SERVER.check(call.body)
    changes = {_UPDATE_FIELDS.get(k, k): v for k, v in call.body["server"].items()}
    server = call.emulator.compute.update(call.params["server_id"], call.auth, changes)
    return Reply({"server": server_changed(call, server)})


_UPDATE_FIELDS = {"accessIPv4": "access_ip_v4", "accessIPv6": "access_ip_v6"}


def delete_server(call: Call) -> Reply:
    call.emulator.compute.delete(call.params["server_id"], call.auth, call.request_id)
    return Reply(status=204)


# -- actions ----------------------------------------------------------------------------
def server_action(call: Call) -> Reply:
    body = call.body
    if not isinstance(body, dict) or len(body) != 1:
        raise bad_request(
            'Malformed request body: give exactly one action, e.g. {"os-stop": null}.'
        )
    action, argument = next(iter(body.items()))
    handler = _ACTIONS.get(action)
    if handler is None:
        if action in NOT_OFFERED:  # nova's own action: the server is looked up first
            call.emulator.compute.server(call.params["server_id"], call.auth)
        raise bad_request(f"There is no such action: {action}")
    return handler(call, argument)


# nova's actions the PowerVM driver and PowerVC do not offer (conformance/tempest-full.conf's
# flags say why): an absent server is still nova's 404 before the action's refusal
NOT_OFFERED = frozenset(
    (
        "migrate",
        "pause",
        "unpause",
        "suspend",
        "resume",
        "shelve",
        "shelveOffload",
        "unshelve",
        "rescue",
        "unrescue",
        "changePassword",
    )
)


def _power(name: str) -> ActionHandler:
    def act(call: Call, argument: Any) -> Reply:
        call.emulator.power.act(call.params["server_id"], name, call.auth, call.request_id)
        return Reply(status=202)

    return act


def _reboot(call: Call, argument: Any) -> Reply:
    kind = argument.get("type") if isinstance(argument, dict) else None
    if kind not in ("SOFT", "HARD"):
        raise bad_request(
            "Invalid input for field/attribute type. Value: "
            f"{kind}. {kind!r} is not one of ['SOFT', 'HARD', 'soft', 'hard']"
        )
    call.emulator.power.act(
        call.params["server_id"], "reboot", call.auth, call.request_id, reboot_type=kind.upper()
    )
    return Reply(status=202)


def _lock(locked: bool) -> ActionHandler:
    def act(call: Call, argument: Any) -> Reply:
        call.emulator.compute.set_locked(
            call.params["server_id"], call.auth, locked, call.request_id
        )
        return Reply(status=202)

    return act


def _console_output(call: Call, argument: Any) -> Reply:
    server = call.emulator.compute.server(call.params["server_id"], call.auth)
    length = argument.get("length") if isinstance(argument, dict) else None
    lines = _boot_log(server)
    if length is not None:
        try:
            count = int(length)
        except (TypeError, ValueError):
            raise bad_request(
                f"Invalid input for field/attribute length. Value: {length}."
            ) from None
        lines = lines[-count:] if count >= 0 else lines
    return Reply({"output": "\n".join(lines)})


def _boot_log(server: Server) -> list[str]:
    if server.status == "BUILD":
        return []
    return [
        "Elapsed time since release of system processors: 2 mins 1 secs",
        f"AIX Version 7.2 - partition {server.instance_name}",
        "Starting Multi-user Initialization",
        " Performing auto-varyon of Volume Groups",
        " Activating all paging spaces",
        "Configuring network interfaces....",
        f"{server.name} login:",
    ]


_ACTIONS: dict[str, ActionHandler] = {
    "os-start": _power("start"),
    "os-stop": _power("stop"),
    "reboot": _reboot,
    "lock": _lock(True),
    "unlock": _lock(False),
    "os-getConsoleOutput": _console_output,
    **MOBILITY_ACTIONS,
    **POWERVC_ACTIONS,
    **ADMIN_ACTIONS,
}


# -- addresses --------------------------------------------------------------------------
def _basic_addresses(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """nova's ips views show each address's version and addr only (the OS-EXT-IPS fields
    are the server body's extension)."""
    return [{"version": a["version"], "addr": a["addr"]} for a in rows]


def list_addresses(call: Call) -> Reply:
    server = call.emulator.compute.server(call.params["server_id"], call.auth)
    addresses = call.emulator.networks.server_addresses(server.id)
    return Reply({"addresses": {name: _basic_addresses(rows) for name, rows in addresses.items()}})


def list_addresses_by_network(call: Call) -> Reply:
    server = call.emulator.compute.server(call.params["server_id"], call.auth)
    addresses = call.emulator.networks.server_addresses(server.id)
    network = call.params["network"]
    if network not in addresses:
        raise not_found("There is no such network in this instance.")
    return Reply({network: _basic_addresses(addresses[network])})


# -- instance actions -------------------------------------------------------------------
def list_instance_actions(call: Call) -> Reply:
    actions = call.emulator.compute.instance_actions(call.params["server_id"], call.auth)
    rows = [action_body(call, a, events=False) for a in reversed(actions)]
    return Reply({"instanceActions": rows})


def show_instance_action(call: Call) -> Reply:
    actions = call.emulator.compute.instance_actions(call.params["server_id"], call.auth)
    for action in actions:
        if action.request_id == call.params["request_id"]:
            return Reply({"instanceAction": action_body(call, action, events=True)})
    raise not_found(
        f"Action for request_id {call.params['request_id']} on instance "
        f"{call.params['server_id']} not found"
    )
