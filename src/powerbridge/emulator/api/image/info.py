"""glance's discovery documents: `/v2/info/import` (the enabled interoperable import methods:
none in PowerVC, which brings images in by capture or from volumes, not by glance's import),
and an image's tasks (`/v2/images/{id}/tasks`, API 2.12: the import tasks that made it, so
always none here)."""

from __future__ import annotations

from powerbridge.emulator.api.routing import Call, Reply


def import_info(call: Call) -> Reply:
    methods = {"description": "Import methods available.", "type": "array", "value": []}
    return Reply({"import-methods": methods})


def image_tasks(call: Call) -> Reply:
    call.emulator.images.get(call.params["image_id"], call.auth)  # 404 in glance's words
    return Reply({"tasks": []})
