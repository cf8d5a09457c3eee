"""Cinder's user messages API:
`GET /v3/<project>/messages`, `GET` and `DELETE /v3/<project>/messages/<id>`, from
microversion 3.3 (earlier ones get cinder's 404). `limit` and `marker` page the list from 3.5.
"""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.paging import after_marker
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.api.volume.common import links, path_caller, timestamp
from powerbridge.emulator.backend.volume_messages import UserMessage
from powerbridge.emulator.errors import ApiError, bad_request, not_found

BASE_MICROVERSION = "3.3"


def _require_version(call: Call) -> None:
    if not call.at_least(BASE_MICROVERSION):
        version = str(call.microversion) if call.microversion else "3.0"
        raise not_found(f"API version {version} is not supported on this method.")


def view(call: Call, message: UserMessage) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": message.id,
        "event_id": message.event_id,
        "user_message": message.user_message,
        "message_level": message.message_level,
        "created_at": timestamp(message.created_at),
        "guaranteed_until": timestamp(message.expires_at),
        "request_id": message.request_id,
        "links": links(call, "messages", message.id),
    }
    if message.resource_type:
        body["resource_type"] = message.resource_type
    if message.resource_uuid:
        body["resource_uuid"] = message.resource_uuid
    return body


def _page(call: Call, messages: list[UserMessage]) -> list[UserMessage]:
    if not call.at_least("3.5"):
        return messages
    marker = call.query.get("marker")
    if marker:
        messages = after_marker(messages, marker, _id, _marker_not_found)
    limit = call.query.get("limit")
    if limit is not None:
        if not limit.isdigit():
            raise bad_request("limit param must be an integer")
        messages = messages[: int(limit)]
    return messages


def list_messages(call: Call) -> Reply:
    caller = path_caller(call)
    _require_version(call)
    messages = _page(call, call.emulator.volumes.messages.list(caller))
    return Reply({"messages": [view(call, m) for m in messages]})


def show_message(call: Call) -> Reply:
    caller = path_caller(call)
    _require_version(call)
    message = call.emulator.volumes.messages.get(call.params["message_id"], caller)
    return Reply({"message": view(call, message)})


def delete_message(call: Call) -> Reply:
    caller = path_caller(call)
    _require_version(call)
    call.emulator.volumes.messages.delete(call.params["message_id"], caller)
    return Reply(status=204)


def _id(message: UserMessage) -> str:
    return message.id


def _marker_not_found(marker: str) -> ApiError:
    return bad_request(f"Marker {marker} could not be found.")
