"""Power actions: `os-stop` (powering-off -> SHUTOFF), `os-start` (powering-on -> ACTIVE) and
`reboot` (SOFT from ACTIVE, HARD also from SHUTOFF or ERROR), timed by the estate."""

from __future__ import annotations

from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.server_lifecycle import ServerLifecycle
from powerbridge.emulator.backend.server_records import (
    POWER_RUNNING,
    POWER_SHUTDOWN,
    Server,
    require_state,
)
from powerbridge.emulator.backend.server_states import settle, start_task


class PowerActions:
    def __init__(self, lifecycle: ServerLifecycle) -> None:
        self.lifecycle = lifecycle
        lifecycle.on_step("stop", self._end_stop)
        lifecycle.on_step("start", self._end_start)
        lifecycle.on_step("reboot", self._end_reboot)

    def act(
        self,
        server_id: str,
        action: str,
        caller: Caller,
        request_id: str,
        reboot_type: str = "SOFT",
    ) -> None:
        lifecycle = self.lifecycle
        server = lifecycle.writable_server(server_id, caller, action)
        allowed = {
            "stop": ("active",),
            "start": ("stopped",),
            "reboot": ("active", "stopped", "error") if reboot_type == "HARD" else ("active",),
        }[action]
        require_state(server, action, allowed)
        lifecycle.record_action(server, action, request_id, caller)
        server.request_id = request_id
        if action == "stop":
            start_task(server, "powering-off")
            lifecycle.schedule_step(server, "stop", lifecycle.timing("power_off", 2.0))
        elif action == "start":
            start_task(server, "powering-on")
            lifecycle.schedule_step(server, "start", lifecycle.timing("power_on", 3.0))
        else:
            hard = reboot_type == "HARD"
            if hard:
                start_task(server, "reboot_started_hard", "HARD_REBOOT")
            else:
                start_task(server, "reboot_started", "REBOOT")
            lifecycle.schedule_step(server, "reboot", lifecycle.timing("reboot", 4.0))

    def _end_stop(self, server: Server, now: float) -> None:
        settle(server, "SHUTOFF")
        server.power_state = POWER_SHUTDOWN
        self.lifecycle.finish_action(server, "stop", now, ok=True)

    def _end_start(self, server: Server, now: float) -> None:
        settle(server, "ACTIVE")
        server.power_state = POWER_RUNNING
        self.lifecycle.finish_action(server, "start", now, ok=True)

    def _end_reboot(self, server: Server, now: float) -> None:
        settle(server, "ACTIVE")
        server.power_state = POWER_RUNNING
        self.lifecycle.finish_action(server, "reboot", now, ok=True)
