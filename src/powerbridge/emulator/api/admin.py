"""The emulator's own API under `/powervc/emulator/v1`: health, clock, behaviours.

Health is public (readiness probes); the clock and behaviours are admin-only.
"""

from __future__ import annotations

import math
from typing import Any

from powerbridge.emulator.api.routing import Call, Reply, RouteTable, ServiceInfo
from powerbridge.emulator.backend.identity import require_admin
from powerbridge.emulator.errors import ApiError, bad_request

SERVICE = ServiceInfo("emulator", "nova-api", "powerbridge.emulator.api")
routes = RouteTable(SERVICE)


@routes.get("/health", public=True)
def health(call: Call) -> Reply:
    emulator = call.emulator
    return Reply(
        {
            "status": "ok",
            "services": ["identity", "compute", "image", "network", "volume"],
            "clock": {"mode": emulator.clock.mode, "now": emulator.clock.now()},
            "pending_steps": emulator.engine.pending,
            "powervc_version": emulator.estate.powervc_version,
        }
    )


@routes.get("/clock")
def show_clock(call: Call) -> Reply:
    require_admin(call.auth, "emulator:clock")
    clock = call.emulator.clock
    return Reply(
        {
            "clock": {
                "mode": clock.mode,
                "speed": clock.speed,
                "now": clock.now(),
                "offset": clock.offset,
            }
        }
    )


@routes.post("/clock")
def advance_clock(call: Call) -> Reply:
    """Body `{"advance": seconds}` moves a manual clock forward and runs what became due."""
    require_admin(call.auth, "emulator:clock")
    body: Any = call.body
    seconds = body.get("advance") if isinstance(body, dict) else None
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        raise bad_request('Body must be {"advance": <seconds>} with a number of seconds.')
    # Python's json accepts NaN and Infinity; bad input is a 400, only the clock mode is a 409
    if not math.isfinite(seconds) or seconds < 0:
        raise bad_request(
            f"'advance' must be a finite, non-negative number of seconds, not {seconds}."
        )
    try:
        now = call.emulator.advance_clock(float(seconds))
    except ValueError as problem:
        raise ApiError("conflict", str(problem)) from None
    return Reply({"clock": {"mode": "manual", "now": now, "offset": call.emulator.clock.offset}})


@routes.get("/behaviours")
def list_behaviours(call: Call) -> Reply:
    require_admin(call.auth, "emulator:behaviours")
    return Reply({"behaviours": [b.to_wire() for b in call.emulator.behaviours.list()]})


@routes.post("/behaviours")
def add_behaviour(call: Call) -> Reply:
    require_admin(call.auth, "emulator:behaviours")
    body: Any = call.body
    if not isinstance(body, dict) or not isinstance(body.get("behaviour"), dict):
        raise bad_request('Body must be {"behaviour": {...}}.')
    rule = call.emulator.behaviours.add(body["behaviour"])
    return Reply({"behaviour": rule.to_wire()}, status=201)


@routes.delete("/behaviours/{behaviour_id}")
def delete_behaviour(call: Call) -> Reply:
    require_admin(call.auth, "emulator:behaviours")
    call.emulator.behaviours.remove(call.params["behaviour_id"])
    return Reply(status=204)


@routes.delete("/behaviours")
def clear_behaviours(call: Call) -> Reply:
    require_admin(call.auth, "emulator:behaviours")
    call.emulator.behaviours.clear()
    return Reply(status=204)


version_routes = RouteTable(SERVICE)


@version_routes.get("/version", public=True)
def powervc_version(call: Call) -> Reply:
    """PowerVC's `GET /powervc/version`."""
    return Reply(
        {"version": call.emulator.estate.powervc_version, "product": "PowerVC", "emulated": True}
    )
