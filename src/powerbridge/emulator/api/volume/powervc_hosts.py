"""Cinder's side of PowerVC's onboarding: `GET /v3/<project>/os-hosts/<host>/all-volumes` (the
provider's unmanaged volumes), `POST .../onboard` and `POST .../unmanage`, each
`{"volumes": [ids]}` as IBM's Ansible collection for PowerVC sends them."""

from __future__ import annotations

from dataclasses import asdict

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.validation import Schema
from powerbridge.emulator.backend.volume_records import require_volume_admin

VOLUME_IDS = Schema(
    "volumes",
    {
        "type": "object",
        "properties": {
            "volumes": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "minItems": 1,
            }
        },
        "required": ["volumes"],
        "additionalProperties": False,
    },
)


def all_volumes(call: Call) -> Reply:
    found = call.emulator.volume_onboarding.unmanaged(call.params["host"], call.auth)
    return Reply({"volumes": [asdict(v) for v in found]})


def onboard(call: Call) -> Reply:
    require_volume_admin(call.auth, "volume_extension:volume_manage")
    VOLUME_IDS.check(call.body)
    ids = list(dict.fromkeys(call.body["volumes"]))
    volumes = call.emulator.volume_onboarding.onboard(call.params["host"], ids, call.auth)
    rows = [{"id": v.id, "name": v.name, "status": v.status, "size": v.size} for v in volumes]
    return Reply({"volumes": rows}, status=202)


def unmanage(call: Call) -> Reply:
    require_volume_admin(call.auth, "volume_extension:volume_unmanage")
    VOLUME_IDS.check(call.body)
    ids = list(dict.fromkeys(call.body["volumes"]))
    released = call.emulator.volume_onboarding.unmanage(call.params["host"], ids, call.auth)
    return Reply({"volumes": [{"id": volume_id} for volume_id in released]}, status=202)
