"""PowerVC's Dynamic Resource Optimizer events: `GET /v2.1/<project>/dro-events` (admin), the
newest first, filtered by `host_group`, `host`, `event_type` (advise, migration,
migration_failed, no_action), `server_id`, `since` (ISO 8601 time) and `limit`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from powerbridge.emulator.api.compute.common import iso, parse_time
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.dro import DroEvent
from powerbridge.emulator.backend.identity_records import require_policy_admin
from powerbridge.emulator.errors import bad_request

FILTERS = ("host_group", "host", "event_type", "server_id")


def list_dro_events(call: Call) -> Reply:
    require_policy_admin(call.auth, "os_compute_api:dro-events")
    events = list(reversed(call.emulator.dro.events))
    for key in FILTERS:
        wanted = call.query.get(key)
        if wanted is not None:
            events = [e for e in events if getattr(e, key) == wanted]
    since = call.query.get("since")
    if since is not None:
        moment = parse_time(since, "since")
        events = [e for e in events if e.time >= moment]
    limit = call.query.get("limit")
    if limit is not None:
        if not limit.isdigit():
            raise bad_request(f"Invalid input for field/attribute limit. Value: {limit}.")
        events = events[: int(limit)]
    return Reply({"dro_events": [_body(e) for e in events]})


def _body(event: DroEvent) -> dict[str, Any]:
    body = asdict(event)
    body["time"] = iso(event.time)
    return body
