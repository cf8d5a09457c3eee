"""nova's `os-migrations` (admin): every resize and live migration, filtered by host, status,
instance_uuid and migration_type; 2.23 adds `migration_type` (and links to a running live
migration), 2.59 `uuid`, `user_id`, `project_id` and limit/marker paging (newest first)."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.compute.common import iso_micro, paginate
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_records import require_policy_admin
from powerbridge.emulator.backend.migration_log import LIVE, Migration


def _flavor_number(flavor: dict[str, Any]) -> int | None:
    """nova's internal flavor row id; PowerVC's flavor ids are uuids, the row ids ints."""
    raw = str(flavor.get("id", ""))
    return int(raw) if raw.isdigit() else None


def _body(call: Call, migration: Migration) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": migration.id,
        "status": migration.status,
        "instance_uuid": migration.server_id,
        "source_node": migration.source,
        "source_compute": migration.source,
        "dest_node": migration.dest,
        "dest_compute": migration.dest,
        "dest_host": None,
        "old_instance_type_id": _flavor_number(migration.old_flavor),
        "new_instance_type_id": _flavor_number(migration.new_flavor),
        "created_at": iso_micro(migration.created_at),
        "updated_at": iso_micro(migration.updated_at),
    }
    if call.at_least("2.23"):
        body["migration_type"] = migration.kind
        if migration.kind == LIVE and migration.status == "running":
            root = f"{call.base_url()}/v2.1/{call.auth.project_id or ''}"
            href = f"servers/{migration.server_id}/migrations/{migration.id}"
            body["links"] = [
                {"rel": "self", "href": f"{root}/{href}"},
                {"rel": "bookmark", "href": f"{call.base_url()}/{href}"},
            ]
    if call.at_least("2.59"):
        body.update(uuid=migration.uuid, user_id=migration.user_id, project_id=migration.project_id)
    return body


def list_migrations(call: Call) -> Reply:
    require_policy_admin(call.auth, "os_compute_api:os-migrations:index")
    rows = list(reversed(call.emulator.migration_log.migrations))
    query = call.query
    for name, attribute in (("instance_uuid", "server_id"), ("status", "status")):
        if (wanted := query.get(name)) is not None:
            rows = [m for m in rows if getattr(m, attribute) == wanted]
    if (kind := query.get("migration_type")) is not None:
        rows = [m for m in rows if m.kind == kind]
    if (host := query.get("host")) is not None:
        rows = [m for m in rows if host in (m.source, m.dest)]
    links: list[dict[str, str]] = []
    if call.at_least("2.59"):
        rows, links = paginate(call, rows, "os-migrations", lambda m: m.uuid)
    body: dict[str, Any] = {"migrations": [_body(call, m) for m in rows]}
    if links:
        body["migrations_links"] = links
    return Reply(body)
