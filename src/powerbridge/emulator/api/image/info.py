"""glance's discovery documents: `/v2/info/import` (the enabled interoperable import methods:
none in PowerVC, which brings images in by capture or from volumes, not by glance's import)."""

from __future__ import annotations

from powerbridge.emulator.api.routing import Call, Reply


def import_info(call: Call) -> Reply:
    methods = {"description": "Import methods available.", "type": "array", "value": []}
    return Reply({"import-methods": methods})
