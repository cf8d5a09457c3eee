"""Server actions about placement and images: `os-migrateLive`, `resize` (a `flavorRef` or
PowerVC's inline `flavor`), `confirmResize`, `revertResize`, `rebuild`, `createImage`.

Each is recorded in `os-instance-actions` with its request id by the backend.
"""

from __future__ import annotations

import secrets
from typing import Any

from powerbridge.emulator.api.compute.common import last_segment
from powerbridge.emulator.api.compute.views import server_changed
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.validation import Schema
from powerbridge.emulator.errors import bad_request

_METADATA = {
    "type": "object",
    "patternProperties": {"^[a-zA-Z0-9-_:. /]{1,255}$": {"type": "string", "maxLength": 255}},
    "additionalProperties": False,
}
_BOOLEAN = {"type": ["boolean", "string"], "enum": [True, False, "True", "False", "true", "false"]}
MIGRATE_LIVE = Schema(
    "os-migrateLive",
    {
        "type": "object",
        "properties": {
            "host": {"type": ["string", "null"], "maxLength": 255},
            "block_migration": {
                "type": ["boolean", "string"],
                "enum": [True, False, "True", "False", "true", "false", "auto"],
            },
            "disk_over_commit": _BOOLEAN,
            "force": _BOOLEAN,
        },
        "additionalProperties": False,
    },
)
_INLINE_FLAVOR = {
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
}
RESIZE = Schema(
    "resize",
    {
        "type": "object",
        "properties": {
            "flavorRef": {"type": ["string", "integer"], "minLength": 1},
            "flavor": _INLINE_FLAVOR,
            "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
        },
        "additionalProperties": False,
    },
)
REBUILD = Schema(
    "rebuild",
    {
        "type": "object",
        "properties": {
            "imageRef": {"type": "string", "minLength": 1},
            "name": {"type": "string", "minLength": 1, "maxLength": 255},
            "metadata": _METADATA,
            "adminPass": {"type": "string"},
            "preserve_ephemeral": {"type": "boolean"},
            "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
            "accessIPv4": {"type": "string"},
            "accessIPv6": {"type": "string"},
            "personality": {"type": "array"},
            "description": {"type": ["string", "null"], "maxLength": 255},
            "key_name": {"type": ["string", "null"], "maxLength": 255},
            "user_data": {"type": ["string", "null"], "maxLength": 65535},
        },
        "required": ["imageRef"],
        "additionalProperties": False,
    },
)
CREATE_IMAGE = Schema(
    "createImage",
    {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 255},
            "metadata": _METADATA,
        },
        "required": ["name"],
        "additionalProperties": False,
    },
)
# rebuild fields and the microversion that allows each (others: always)
REBUILD_SINCE = {"description": "2.19", "key_name": "2.54", "user_data": "2.57"}


def migrate_live(call: Call, argument: Any) -> Reply:
    MIGRATE_LIVE.check(argument)
    call.emulator.migrations.start(
        call.params["server_id"], call.auth, call.request_id, argument.get("host")
    )
    return Reply(status=202)


def resize(call: Call, argument: Any) -> Reply:
    RESIZE.check(argument)
    flavor_ref, inline = argument.get("flavorRef"), argument.get("flavor")
    if (flavor_ref is None) == (inline is None):
        raise bad_request(
            "Invalid input for field/attribute resize: give flavorRef (a compute template) or "
            "an inline flavor {ram, vcpus, disk, extra_specs}."
        )
    flavor = None
    if flavor_ref is not None:
        flavor = call.emulator.flavors.find(last_segment(str(flavor_ref)))
        if flavor is None:
            raise bad_request(f"Flavor {flavor_ref} could not be found.")
    call.emulator.resizes.resize(
        call.params["server_id"], call.auth, call.request_id, flavor=flavor, inline=inline
    )
    return Reply(status=202)


def confirm_resize(call: Call, argument: Any) -> Reply:
    call.emulator.resizes.confirm(call.params["server_id"], call.auth, call.request_id)
    return Reply(status=204)


def revert_resize(call: Call, argument: Any) -> Reply:
    call.emulator.resizes.revert(call.params["server_id"], call.auth, call.request_id)
    return Reply(status=202)


def rebuild(call: Call, argument: Any) -> Reply:
    REBUILD.check(argument)
    for key, version in REBUILD_SINCE.items():
        if key in argument and not call.at_least(version):
            raise bad_request(
                f"Invalid input for field/attribute rebuild. Additional properties are not "
                f"allowed ('{key}' was unexpected)"
            )
    changes = {k: argument[k] for k in ("name", "metadata", *REBUILD_SINCE) if k in argument}
    for wire, key in (("accessIPv4", "access_ip_v4"), ("accessIPv6", "access_ip_v6")):
        if wire in argument:
            changes[key] = argument[wire]
    server = call.emulator.server_images.rebuild(
        call.params["server_id"],
        call.auth,
        call.request_id,
        image_id=last_segment(argument["imageRef"]),
        changes=changes,
    )
    body = server_changed(call, server, rebuild=True)
    body["adminPass"] = argument.get("adminPass") or secrets.token_urlsafe(9)
    return Reply({"server": body}, status=202)


def create_image(call: Call, argument: Any) -> Reply:
    CREATE_IMAGE.check(argument)
    image = call.emulator.server_images.capture(
        call.params["server_id"],
        call.auth,
        call.request_id,
        name=argument["name"],
        metadata=dict(argument.get("metadata") or {}),
    )
    if call.at_least("2.45"):
        return Reply({"image_id": image.id}, status=202)
    # nova's generate_image_url: the image service root, then images/<id>
    location = f"{call.emulator.service_url('image', call.request)}/images/{image.id}"
    return Reply(status=202, headers={"location": location})


MOBILITY_ACTIONS = {
    "os-migrateLive": migrate_live,
    "resize": resize,
    "confirmResize": confirm_resize,
    "revertResize": revert_resize,
    "rebuild": rebuild,
    "createImage": create_image,
}
