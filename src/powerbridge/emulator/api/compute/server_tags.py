"""nova's `servers/{id}/tags` (microversion 2.26; below it nova answers 404)."""

from __future__ import annotations

from urllib.parse import quote

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.server_tags import ServerTags
from powerbridge.emulator.errors import bad_request, not_found


def _tags(call: Call) -> ServerTags:
    if not call.at_least("2.26"):
        raise not_found("The resource could not be found.")
    return call.emulator.server_tags


def list_tags(call: Call) -> Reply:
    tags = _tags(call).tags(call.params["server_id"], call.auth)
    return Reply({"tags": tags})


def replace_tags(call: Call) -> Reply:
    backend = _tags(call)
    body = call.body
    if not isinstance(body, dict) or set(body) != {"tags"} or not isinstance(body["tags"], list):
        raise bad_request('Invalid input for field/attribute tags: give {"tags": [...]}.')
    tags = backend.replace(call.params["server_id"], call.auth, body["tags"])
    return Reply({"tags": tags})


def clear_tags(call: Call) -> Reply:
    _tags(call).clear(call.params["server_id"], call.auth)
    return Reply(status=204)


def check_tag(call: Call) -> Reply:
    server_id, tag = call.params["server_id"], call.params["tag"]
    if tag not in _tags(call).tags(server_id, call.auth):
        raise not_found(f"Instance {server_id} has no tag '{tag}'")
    return Reply(status=204)


def add_tag(call: Call) -> Reply:
    server_id, tag = call.params["server_id"], call.params["tag"]
    if not _tags(call).add(server_id, call.auth, tag):
        return Reply(status=204)
    path = f"/v2.1/{call.auth.project_id}/servers/{server_id}/tags/{quote(tag, safe='')}"
    location = call.base_url() + path  # a header: the tag percent-encoded, as in a URL
    return Reply(status=201, headers={"location": location})


def delete_tag(call: Call) -> Reply:
    _tags(call).remove(call.params["server_id"], call.auth, call.params["tag"])
    return Reply(status=204)
