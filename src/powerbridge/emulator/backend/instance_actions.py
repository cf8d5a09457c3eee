"""`os-instance-actions`: what was done to each server, by which request, and how it ended.

Each API call that acts on a server records an action with the call's request id and one
event (`compute_<action>_instance`, or a named one); the lifecycle step that completes the
work finishes it with Success or Error (and the fault as traceback), as nova's do.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.server_records import InstanceAction, Server


class InstanceActionLog:
    def __init__(self, ctx: BackendContext) -> None:
        self.ctx = ctx
        self.actions: dict[str, list[InstanceAction]] = {}
        for body in ctx.store.load("instance_action"):
            action = InstanceAction(**body)
            self.actions.setdefault(action.server_id, []).append(action)
        for actions in self.actions.values():
            actions.sort(key=lambda a: a.start_time)

    def _save(self, action: InstanceAction) -> None:
        self.ctx.store.put("instance_action", action.id, asdict(action))

    def of(self, server_id: str) -> list[InstanceAction]:
        return list(self.actions.get(server_id, []))

    def record(
        self,
        server: Server,
        action: str,
        request_id: str,
        caller: Caller,
        event: str | None = None,
    ) -> None:
        record = InstanceAction(
            id=uuid.uuid4().hex,
            server_id=server.id,
            action=action,
            request_id=request_id,
            user_id=caller.user_id,
            project_id=caller.project_id or server.project_id,
            start_time=self.ctx.clock.now(),
        )
        record.events.append(
            {
                "event": event or f"compute_{action}_instance",
                "start_time": record.start_time,
                "finish_time": None,
                "result": None,
                "traceback": None,
                "host": server.host,
            }
        )
        self.actions.setdefault(server.id, []).append(record)
        self._save(record)

    def finish(
        self, server: Server, action: str, now: float, *, ok: bool, message: str | None = None
    ) -> None:
        """Close the latest `action` of the server (its open events)."""
        for record in reversed(self.actions.get(server.id, [])):
            if record.action == action:
                record.message = None if ok else "Error"
                record.updated_at = now
                for event in record.events:
                    if event["finish_time"] is None:
                        event.update(
                            finish_time=now,
                            result="Success" if ok else "Error",
                            host=server.host,
                            traceback=None if ok else f"Fault: {message}",
                        )
                self._save(record)
                return
