"""Fault-injection behaviours (admin only): list, add, remove one, clear."""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_records import require_admin
from powerbridge.emulator.errors import bad_request


def list_behaviours(call: Call) -> Reply:
    require_admin(call.auth, "emulator:behaviours")
    return Reply({"behaviours": [b.to_wire() for b in call.emulator.behaviours.list()]})


def add_behaviour(call: Call) -> Reply:
    require_admin(call.auth, "emulator:behaviours")
    body: Any = call.body
    if not isinstance(body, dict) or not isinstance(body.get("behaviour"), dict):
        raise bad_request('Body must be {"behaviour": {...}}.')
    rule = call.emulator.behaviours.add(body["behaviour"])
    return Reply({"behaviour": rule.to_wire()}, status=201)


def delete_behaviour(call: Call) -> Reply:
    require_admin(call.auth, "emulator:behaviours")
    call.emulator.behaviours.remove(call.params["behaviour_id"])
    return Reply(status=204)


def clear_behaviours(call: Call) -> Reply:
    require_admin(call.auth, "emulator:behaviours")
    call.emulator.behaviours.clear()
    return Reply(status=204)
