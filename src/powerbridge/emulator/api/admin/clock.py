"""The emulator's clock (admin only): show it, or move a manual clock forward."""

from __future__ import annotations

import math
from typing import Any

from powerbridge.emulator.api.routing import Call, Reply
from powerbridge.emulator.backend.identity_records import require_admin
from powerbridge.emulator.errors import ApiError, bad_request


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
