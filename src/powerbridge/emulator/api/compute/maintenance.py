"""PowerVC's host maintenance mode: `PUT /v2.1/<project>/ego/prs/hypervisor_maintenance/<host>`
with `{"status": "enable"|"disable", "migrate": "none"|"active-only"|"all", "target_host": ...}`
(admin only), and `GET` on the same path for the current state. `<host>` is the hypervisor
hostname (MTM-SN), the display name or the hypervisor id."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.validation import Schema
from powerbridge.emulator.backend.hosts import Host
from powerbridge.emulator.backend.identity_records import require_policy_admin
from powerbridge.emulator.backend.maintenance import MIGRATE_CHOICES, MaintenanceRecord

BODY = Schema(
    "hypervisor_maintenance",
    {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["enable", "disable"]},
            "migrate": {"type": ["string", "null"], "enum": [*MIGRATE_CHOICES, None]},
            "target_host": {"type": ["string", "null"], "minLength": 1, "maxLength": 255},
        },
        "required": ["status"],
        "additionalProperties": False,
    },
)


def maintenance_body(host: Host, record: MaintenanceRecord) -> dict[str, Any]:
    return {
        "hypervisor_maintenance": {
            "hypervisor_hostname": host.name,
            "host_display_name": host.display_name,
            "maintenance_status": record.status,
            "maintenance_migration_action": record.migrate,
            "target_host": record.target_host,
            "migrating_servers": list(record.pending),
            "message": record.message,
        }
    }


def show_maintenance(call: Call) -> Reply:
    require_policy_admin(call.auth, "ego:prs:hypervisor_maintenance")
    maintenance = call.emulator.maintenance
    host = maintenance.host(call.params["host"])
    return Reply(maintenance_body(host, maintenance.record(host)))


def set_maintenance(call: Call) -> Reply:
    require_policy_admin(call.auth, "ego:prs:hypervisor_maintenance")
    BODY.check(call.body)
    body = call.body
    maintenance = call.emulator.maintenance
    record = maintenance.set(
        call.params["host"],
        call.auth,
        call.request_id,
        enable=body["status"] == "enable",
        migrate=body.get("migrate") or "none",
        target=body.get("target_host"),
    )
    host = maintenance.host(record.host)
    return Reply(maintenance_body(host, record))
