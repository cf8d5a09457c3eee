"""cinder's administrator views and changes: `PUT /os-services/<action>` (enable, disable,
disable-log-reason, freeze, thaw), `os-hosts` and `capabilities/<host>`."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import path_caller, timestamp, volumes_of
from powerbridge.emulator.backend.volume_records import AVAILABILITY_ZONE, require_volume_admin
from powerbridge.emulator.backend.volume_services import VolumeServices
from powerbridge.emulator.errors import bad_request, not_found

MAX_REASON = 255


def _services(call: Call, policy: str) -> VolumeServices:
    require_volume_admin(path_caller(call), f"volume_extension:{policy}")
    return call.emulator.volume_services


def update_service(call: Call) -> Reply:
    action = call.params["action"]
    services = _services(call, "services:update")
    body: dict[str, Any] = call.body if isinstance(call.body, dict) else {}
    host, binary = body.get("host"), body.get("binary", "cinder-volume")
    if action in ("freeze", "thaw"):
        services.set_frozen(host, action == "freeze")
        return Reply(status=200)
    if action not in ("enable", "disable", "disable-log-reason"):
        raise not_found(f"Unknown action {action}")
    reason = body.get("disabled_reason")
    if action == "disable-log-reason" and (
        not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON
    ):
        raise bad_request(
            "Invalid input received: Disabled reason contains invalid characters or is too long"
        )
    disabled = action != "enable"
    services.set_disabled(binary, host, disabled, reason if disabled else None)
    reply: dict[str, Any] = {"host": host, "binary": binary, "disabled": disabled}
    reply["status"] = "disabled" if disabled else "enabled"
    if action == "disable-log-reason":
        reply["disabled_reason"] = reason
    return Reply(reply)


def list_hosts(call: Call) -> Reply:
    services = _services(call, "hosts")
    now = timestamp(call.emulator.clock.now())
    rows = []
    for binary, host in services.services():
        disabled, _ = services.disabled_reason(binary, host)
        rows.append(
            {
                "zone": AVAILABILITY_ZONE,
                "service": binary,
                "service-state": "disabled" if disabled else "enabled",
                "host_name": host,
                "service-status": "available",
                "last-update": now,
            }
        )
    return Reply({"hosts": rows})


def show_host(call: Call) -> Reply:
    _services(call, "hosts")
    host = call.params["host_name"]
    backend = volumes_of(call)
    volumes = [v for v in backend.volumes.values() if (v.host or "").split("#")[0] == host]
    if not volumes and host not in [h for _, h in call.emulator.volume_services.services()]:
        raise not_found(f"Host {host} could not be found.")
    projects: dict[str, list[Any]] = {}
    for volume in volumes:
        projects.setdefault(volume.project_id, []).append(volume)
    rows = [_resource(host, "(total)", volumes, backend)]
    rows += [_resource(host, project, owned, backend) for project, owned in projects.items()]
    return Reply({"host": rows})


def _resource(host: str, project: str, volumes: list[Any], backend: Any) -> dict[str, Any]:
    snapshots = [s for v in volumes for s in backend.snapshots.of_volume(v.id)]
    return {
        "resource": {
            "volume_count": str(len(volumes)),
            "total_volume_gb": str(sum(v.size for v in volumes)),
            "total_snapshot_gb": str(sum(s.size for s in snapshots)),
            "project": project,
            "host": host,
            "snapshot_count": str(len(snapshots)),
        }
    }


_CAPABILITY_PROPERTIES = {
    "thin_provisioning": {
        "title": "Thin Provisioning",
        "description": "Sets thin provisioning.",
        "type": "boolean",
    },
    "compression": {
        "title": "Compression",
        "description": "Enables compression.",
        "type": "boolean",
    },
    "multiattach": {
        "title": "Multi-attach",
        "description": "Volumes can be attached to several servers at once.",
        "type": "boolean",
    },
}


def show_capabilities(call: Call) -> Reply:
    _services(call, "capabilities")
    host = call.params["host"]
    provider = host.split("@", 1)[0]
    if provider not in volumes_of(call).providers:
        raise not_found(f"Host {host} could not be found.")
    return Reply(
        {
            "namespace": f"OS::Storage::Capabilities::{host}",
            "vendor_name": "IBM",
            "volume_backend_name": provider,
            "pool_name": None,
            "driver_version": "2.0",
            "storage_protocol": "FC",
            "display_name": None,
            "description": None,
            "visibility": None,
            "replication_targets": [],
            "properties": _CAPABILITY_PROPERTIES,
        }
    )
