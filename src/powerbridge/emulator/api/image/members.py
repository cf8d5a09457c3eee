"""`/v2/images/<id>/members[/<member_id>]`: image sharing."""

from __future__ import annotations

from powerbridge.emulator.api.image.common import backend, member_body
from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.errors import bad_request


def list_members(call: Call) -> Reply:
    members = backend(call).list_members(call.auth, call.params["image_id"])
    return Reply({"members": [member_body(m) for m in members], "schema": "/v2/schemas/members"})


def add_member(call: Call) -> Reply:
    body = call.body
    if body is None:
        raise bad_request("Body expected in request.")
    if not isinstance(body, dict) or "member" not in body:
        raise bad_request("Member to be added not specified")
    if not body["member"]:
        raise bad_request("Member can't be empty")
    member = backend(call).add_member(call.auth, call.params["image_id"], str(body["member"]))
    return Reply(member_body(member))


def show_member(call: Call) -> Reply:
    p = call.params
    return Reply(member_body(backend(call).member(call.auth, p["image_id"], p["member_id"])))


def update_member(call: Call) -> Reply:
    body = call.body
    if body is None:
        raise bad_request("Body expected in request.")
    if not isinstance(body, dict) or "status" not in body:
        raise bad_request("Status not specified")
    p = call.params
    member = backend(call).update_member(call.auth, p["image_id"], p["member_id"], body["status"])
    return Reply(member_body(member))


def remove_member(call: Call) -> Reply:
    backend(call).remove_member(call.auth, call.params["image_id"], call.params["member_id"])
    return Reply(status=204)
