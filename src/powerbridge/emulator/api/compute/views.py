"""Server, flavor and action bodies exactly as nova renders them, per microversion."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.compute.common import iso, iso_micro, links
from powerbridge.emulator.api.routing import Call
from powerbridge.emulator.backend.flavors import Flavor
from powerbridge.emulator.backend.server_records import InstanceAction, Server

PROGRESS_STATUSES = ("ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE")
HEALTH = {"ACTIVE": "OK", "SHUTOFF": "OK", "BUILD": "PENDING", "ERROR": "CRITICAL"}


def server_summary(call: Call, server: Server) -> dict[str, Any]:
    return {"id": server.id, "name": server.name, "links": links(call, "servers", server.id)}


def server_detail(call: Call, server: Server) -> dict[str, Any]:
    """GET /servers/{id} and servers/detail: the core body and every extension nova shows."""
    body = server_detail_kept(call, server)
    status = host_status(call, server)
    if status is not None:
        body["host_status"] = status
    health = health_status(call, server)
    if health is not None:
        body["health_status"] = health
    return body


def server_detail_kept(call: Call, server: Server) -> dict[str, Any]:
    """All of `server_detail` before `host_status`: what only the server, its ports and the
    request's view (caller, URL, microversion) decide, so a list may keep it serialised."""
    emulator = call.emulator
    body = _server_core(call, server, emulator.networks.server_addresses(server.id))
    body.update(
        {
            "key_name": server.key_name,
            "config_drive": server.config_drive,
            "OS-EXT-AZ:availability_zone": _zone(server),
            "OS-EXT-STS:vm_state": server.vm_state,
            "OS-EXT-STS:task_state": server.task_state,
            "OS-EXT-STS:power_state": server.power_state,
            "OS-SRV-USG:launched_at": iso_micro(server.launched_at),
            "OS-SRV-USG:terminated_at": iso_micro(server.terminated_at),
            "os-extended-volumes:volumes_attached": _volumes(call, server),
            "security_groups": [{"name": "default"}],
        }
    )
    if call.auth.is_admin:
        body.update(_admin_attributes(call, server))
    return body


def host_status(call: Call, server: Server) -> str | None:
    """Nova's host_status (2.16, admins only; None when not shown): UP, DOWN, MAINTENANCE (a
    disabled compute service) or "". It follows the host, not the server."""
    if not (call.at_least("2.16") and call.auth.is_admin):
        return None
    host = call.emulator.hosts.host(server.host or "")
    if host is None:
        return ""
    if host.maintenance != "ok":
        return "MAINTENANCE"
    return "UP" if host.spec.state == "operating" else "DOWN"


def health_status(call: Call, server: Server) -> dict[str, str] | None:
    """PowerVC's health_status, when the estate shows it (None when not)."""
    if not call.emulator.estate.server_health_status:
        return None
    return {"health_value": HEALTH.get(server.status, "UNKNOWN"), "id": server.id}


def server_changed(call: Call, server: Server, *, rebuild: bool = False) -> dict[str, Any]:
    """The body of PUT /servers/{id} and of the rebuild action (before 2.75): nova's show
    with every extension off (no OS-EXT-*, OS-SRV-USG, key_name, config_drive, security
    groups, volumes; addresses without type and MAC), plus key_name (2.54) and user_data
    (2.57) for a rebuild."""
    addresses = {
        network: [{"version": row["version"], "addr": row["addr"]} for row in rows]
        for network, rows in call.emulator.networks.server_addresses(server.id).items()
    }
    body = _server_core(call, server, addresses)
    if rebuild and call.at_least("2.54"):
        body["key_name"] = server.key_name
    if rebuild and call.at_least("2.57"):
        body["user_data"] = server.user_data
    return body


def _server_core(
    call: Call, server: Server, addresses: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": server.id,
        "name": server.name,
        "status": server.status,
        "tenant_id": server.project_id,
        "user_id": server.user_id,
        "metadata": dict(server.metadata),
        "hostId": call.emulator.compute.host_id(server),
        "image": _image_ref(call, server),
        "flavor": flavor_ref(call, server),
        "created": iso(server.created),
        "updated": iso(server.updated),
        "addresses": addresses,
        "accessIPv4": server.access_ip_v4,
        "accessIPv6": server.access_ip_v6,
        "links": links(call, "servers", server.id),
        "OS-DCF:diskConfig": "MANUAL",
    }
    if server.status in PROGRESS_STATUSES:
        body["progress"] = 100 if server.status == "ACTIVE" else 0
    if server.fault and server.status in ("ERROR", "DELETED"):
        body["fault"] = _fault(server.fault, call.auth.is_admin)
    if call.at_least("2.9"):
        body["locked"] = server.locked
    if call.at_least("2.19"):
        body["description"] = server.description
    if call.at_least("2.26"):
        body["tags"] = list(server.tags)
    return body


def _admin_attributes(call: Call, server: Server) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "OS-EXT-SRV-ATTR:host": server.host,
        "OS-EXT-SRV-ATTR:hypervisor_hostname": server.host,
        "OS-EXT-SRV-ATTR:instance_name": server.instance_name,
    }
    if call.at_least("2.3"):
        attributes.update(
            {
                "OS-EXT-SRV-ATTR:reservation_id": server.reservation_id,
                "OS-EXT-SRV-ATTR:launch_index": server.launch_index,
                "OS-EXT-SRV-ATTR:hostname": _hostname(server.name),
                "OS-EXT-SRV-ATTR:kernel_id": "",
                "OS-EXT-SRV-ATTR:ramdisk_id": "",
                "OS-EXT-SRV-ATTR:root_device_name": "/dev/sda",
                "OS-EXT-SRV-ATTR:user_data": server.user_data,
            }
        )
    return attributes


def _hostname(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "-" else "-" for c in name.lower())
    return cleaned.strip("-")[:63] or "server"


def _zone(server: Server) -> str:
    zone = server.availability_zone or ""
    return zone.split(":", 1)[0] or "nova"


def _image_ref(call: Call, server: Server) -> dict[str, Any] | str:
    if not server.image_id:
        return ""
    root = call.base_url()
    project = call.auth.project_id or ""
    return {
        "id": server.image_id,
        "links": [{"rel": "bookmark", "href": f"{root}/{project}/images/{server.image_id}"}],
    }


def flavor_ref(call: Call, server: Server) -> dict[str, Any]:
    flavor = server.flavor
    if call.at_least("2.47"):
        return {
            "vcpus": flavor["vcpus"],
            "ram": flavor["ram"],
            "disk": flavor["disk"],
            "ephemeral": flavor["ephemeral"],
            "swap": flavor["swap"],
            "original_name": flavor["original_name"],
            "extra_specs": dict(flavor["extra_specs"]),
        }
    flavor_id = flavor["id"] or "inline"
    root = call.base_url()
    project = call.auth.project_id or ""
    return {
        "id": flavor_id,
        "links": [{"rel": "bookmark", "href": f"{root}/{project}/flavors/{flavor_id}"}],
    }


def _volumes(call: Call, server: Server) -> list[dict[str, Any]]:
    rows = []
    for mapping in server.mappings():
        row: dict[str, Any] = {"id": mapping.volume_id}
        if call.at_least("2.3"):
            row["delete_on_termination"] = mapping.delete_on_termination
        rows.append(row)
    return rows


def _fault(fault: dict[str, Any], admin: bool) -> dict[str, Any]:
    body = {"code": fault["code"], "created": iso(fault["created"]), "message": fault["message"]}
    if admin:
        body["details"] = fault["details"]
    return body


def flavor_body(call: Call, flavor: Flavor, *, detail: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": flavor.id,
        "name": flavor.name,
        "links": links(call, "flavors", flavor.id),
    }
    if call.at_least("2.55"):
        body["description"] = flavor.description
    if not detail:
        return body
    body.update(
        {
            "ram": flavor.ram,
            "vcpus": flavor.vcpus,
            "disk": flavor.disk,
            "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral,
            "swap": flavor.swap or "",
            "rxtx_factor": flavor.rxtx_factor,
            "OS-FLV-DISABLED:disabled": False,
            "os-flavor-access:is_public": flavor.is_public,
        }
    )
    if call.at_least("2.61"):
        body["extra_specs"] = dict(flavor.extra_specs)
    return body


def action_body(call: Call, action: InstanceAction, *, events: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "action": action.action,
        "instance_uuid": action.server_id,
        "request_id": action.request_id,
        "user_id": action.user_id,
        "project_id": action.project_id,
        "start_time": iso_micro(action.start_time),
        "message": action.message,
    }
    if call.at_least("2.58"):
        body["updated_at"] = iso_micro(action.updated_at or action.start_time)
    if events:
        body["events"] = [
            _event(call, e) for e in action.events if call.auth.is_admin or call.at_least("2.51")
        ]
    return body


def _event(call: Call, event: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "event": event["event"],
        "start_time": iso_micro(event["start_time"]),
        "finish_time": iso_micro(event["finish_time"]),
        "result": event["result"],
    }
    if call.auth.is_admin:
        row["traceback"] = event["traceback"]
    if call.at_least("2.50") and call.auth.is_admin:
        row["host"] = event.get("host") or ""
        row["hostId"] = ""
    return row
