"""`GET /powervc/emulator/v1/health` (public: readiness probes) and PowerVC's own
`GET /powervc/version`."""

from __future__ import annotations

from powerbridge.emulator.api.routing import Call, Reply


def health(call: Call) -> Reply:
    emulator = call.emulator
    return Reply(
        {
            "status": "ok",
            "services": ["identity", "compute", "image", "network", "volume"],
            "clock": {"mode": emulator.clock.mode, "now": emulator.clock.now()},
            "pending_steps": emulator.engine.pending,
            # PowerVC services stopped (`powerbridge emulator services`), the work they hold
            "stopped_services": emulator.admin_services.stopped,
            "held_steps": emulator.engine.held,
            "powervc_version": emulator.estate.powervc_version,
        }
    )


def powervc_version(call: Call) -> Reply:
    """PowerVC's `GET /powervc/version`."""
    return Reply(
        {"version": call.emulator.estate.powervc_version, "product": "PowerVC", "emulated": True}
    )
