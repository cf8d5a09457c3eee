"""Cinder's user messages API, registered on the volume route table when imported:
`GET /v3/<project>/messages`, `GET` and `DELETE /v3/<project>/messages/<id>`, from
microversion 3.3 (earlier ones get cinder's 404). `limit` and `marker` page the list from 3.5.
"""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume import _at_least, _caller, _links, _timestamp, routes
from powerbridge.emulator.backend.volume_messages import UserMessage
from powerbridge.emulator.errors import bad_request, not_found

BASE_MICROVERSION = "3.3"


def _require_version(call: Call) -> None:
    if not _at_least(call, BASE_MICROVERSION):
        version = str(call.microversion) if call.microversion else "3.0"
        raise not_found(f"API version {version} is not supported on this method.")


def view(call: Call, message: UserMessage) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": message.id,
        "event_id": message.event_id,
        "user_message": message.user_message,
        "message_level": message.message_level,
        "created_at": _timestamp(message.created_at),
        "guaranteed_until": _timestamp(message.expires_at),
        "request_id": message.request_id,
        "links": _links(call, "messages", message.id),
    }
    if message.resource_type:
        body["resource_type"] = message.resource_type
    if message.resource_uuid:
        body["resource_uuid"] = message.resource_uuid
    return body


def _page(call: Call, messages: list[UserMessage]) -> list[UserMessage]:
    if not _at_least(call, "3.5"):
        return messages
    marker = call.query.get("marker")
    if marker:
        ids = [m.id for m in messages]
        if marker not in ids:
            raise bad_request(f"Marker {marker} could not be found.")
        messages = messages[ids.index(marker) + 1 :]
    limit = call.query.get("limit")
    if limit is not None:
        if not limit.isdigit():
            raise bad_request("limit param must be an integer")
        messages = messages[: int(limit)]
    return messages


@routes.get("/v3/{project_id}/messages")
def list_messages(call: Call) -> Reply:
    caller = _caller(call)
    _require_version(call)
    messages = _page(call, call.emulator.volumes.messages.list(caller))
    return Reply({"messages": [view(call, m) for m in messages]})


@routes.get("/v3/{project_id}/messages/{message_id}")
def show_message(call: Call) -> Reply:
    caller = _caller(call)
    _require_version(call)
    message = call.emulator.volumes.messages.get(call.params["message_id"], caller)
    return Reply({"message": view(call, message)})


@routes.delete("/v3/{project_id}/messages/{message_id}")
def delete_message(call: Call) -> Reply:
    caller = _caller(call)
    _require_version(call)
    call.emulator.volumes.messages.delete(call.params["message_id"], caller)
    return Reply(status=204)
