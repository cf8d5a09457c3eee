"""PowerVC's host APIs for existing VMs (IBM PowerVC 2.x, "Compute host registration"):
`GET os-hosts/<host>/all-servers`, `POST os-hosts/<host>/onboard` and
`POST os-hosts/<host>/unmanage`, each `{"servers": [ids]}` (onboard's `synchronous` and
`preparation` fields, which IBM's Ansible collection sends, are accepted); and the remote
restart of a failed host's VMs, `POST os-hosts/<host>/ibm-evacuate {"host": <target>}`
("Remote restart all virtual machines from a failed host (APIs)")."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.validation import Schema
from powerbridge.emulator.backend.onboarding import require_admin

_IDS = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}


def _servers_body(action: str, extra: dict[str, Any]) -> Schema:
    return Schema(
        action,
        {
            "type": "object",
            "properties": {"servers": _IDS, **extra},
            "required": ["servers"],
            "additionalProperties": False,
        },
    )


ONBOARD = _servers_body(
    "onboard",
    {"synchronous": {"type": ["boolean", "string"]}, "preparation": {"type": "object"}},
)
UNMANAGE = _servers_body("unmanage", {})
EVACUATE = Schema(
    "ibm-evacuate",
    {
        "type": "object",
        "properties": {"host": {"type": ["string", "null"], "minLength": 1, "maxLength": 255}},
        "additionalProperties": False,
    },
)


def all_servers(call: Call) -> Reply:
    rows = call.emulator.onboarding.all_servers(call.params["host"], call.auth)
    return Reply({"servers": [asdict(row) for row in rows]})


def onboard(call: Call) -> Reply:
    require_admin(call.auth, "onboard")  # the policy before the body, as for every refusal
    ONBOARD.check(call.body)
    servers = call.emulator.onboarding.onboard(
        call.params["host"], list(dict.fromkeys(call.body["servers"])), call.auth, call.request_id
    )
    rows = [{"id": s.id, "name": s.name, "status": s.status, "managed": True} for s in servers]
    return Reply({"servers": rows}, status=202)


def unmanage(call: Call) -> Reply:
    require_admin(call.auth, "unmanage")
    UNMANAGE.check(call.body)
    lpars = call.emulator.onboarding.unmanage(
        call.params["host"], list(dict.fromkeys(call.body["servers"])), call.auth, call.request_id
    )
    rows = [{"id": lpar.id, "name": lpar.display_name, "managed": False} for lpar in lpars]
    return Reply({"servers": rows}, status=202)


def ibm_evacuate(call: Call) -> Reply:
    """PowerVC's remote restart of every VM of a failed host; the answer names where each
    goes, and why the others stay."""
    body = call.body if call.body is not None else {}
    EVACUATE.check(body)
    restarts = call.emulator.remote_restarts.evacuate_host(
        call.params["host"], body.get("host"), call.auth, call.request_id
    )
    return Reply({"servers": [asdict(r) for r in restarts]}, status=202)
