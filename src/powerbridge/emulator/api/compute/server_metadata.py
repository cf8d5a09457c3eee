"""`/servers/<id>/metadata[/<key>]`: a server's metadata, whole or one key at a time."""

from __future__ import annotations

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.validation import Schema
from powerbridge.emulator.errors import bad_request, not_found

METADATA = {
    "type": "object",
    "patternProperties": {"^[a-zA-Z0-9-_:. /]{1,255}$": {"type": "string", "maxLength": 255}},
    "additionalProperties": False,
}
METADATA_BODY = Schema(
    "metadata",
    {
        "type": "object",
        "properties": {"metadata": METADATA},
        "required": ["metadata"],
        "additionalProperties": False,
    },
)
META_ITEM_BODY = Schema(
    "meta",
    {
        "type": "object",
        "properties": {"meta": {**METADATA, "minProperties": 1, "maxProperties": 1}},
        "required": ["meta"],
        "additionalProperties": False,
    },
)


def list_metadata(call: Call) -> Reply:
    server = call.emulator.compute.server(call.params["server_id"], call.auth)
    return Reply({"metadata": dict(server.metadata)})


def merge_metadata(call: Call) -> Reply:
    METADATA_BODY.check(call.body)
    metadata = call.emulator.compute.set_metadata(
        call.params["server_id"], call.auth, call.body["metadata"], replace=False
    )
    return Reply({"metadata": metadata})


def replace_metadata(call: Call) -> Reply:
    METADATA_BODY.check(call.body)
    metadata = call.emulator.compute.set_metadata(
        call.params["server_id"], call.auth, call.body["metadata"], replace=True
    )
    return Reply({"metadata": metadata})


def show_metadata_item(call: Call) -> Reply:
    server = call.emulator.compute.server(call.params["server_id"], call.auth)
    key = call.params["key"]
    if key not in server.metadata:
        raise not_found("Metadata item was not found")
    return Reply({"meta": {key: server.metadata[key]}})


def set_metadata_item(call: Call) -> Reply:
    META_ITEM_BODY.check(call.body)
    key = call.params["key"]
    item = call.body["meta"]
    if key not in item:
        raise bad_request("Request body and URI mismatch")
    call.emulator.compute.set_metadata(call.params["server_id"], call.auth, item, replace=False)
    return Reply({"meta": item})


def delete_metadata_item(call: Call) -> Reply:
    call.emulator.compute.delete_metadata(call.params["server_id"], call.auth, call.params["key"])
    return Reply(status=204)
