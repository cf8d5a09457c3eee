"""Cinder's user messages: why an asynchronous volume operation failed, told to the user.

Cinder records a message when work accepted with a 202 fails later (a volume that no storage
backend can hold goes to `error`), and `GET /v3/<project>/messages` (microversion 3.3) shows
it. A message names its resource, the request that started the work, an `event_id` of the
form `VOLUME_<resource>_<action>_<detail>` and a `user_message` made of the action's and the
detail's texts, as cinder's `message_field` defines them. Messages expire after cinder's
default `message_ttl` (30 days) and can be deleted.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity_records import Caller, require_writer
from powerbridge.emulator.errors import not_found

MESSAGE_TTL = 30 * 24 * 3600.0
# cinder's message_field: (id, text) of the actions and details the emulator reports
SCHEDULE_ALLOCATE_VOLUME = ("001", "schedule allocate volume")
EXTEND_VOLUME = ("007", "extend volume")
NO_BACKEND_AVAILABLE = ("003", "Could not find any available weighted backend.")


@dataclass
class UserMessage:
    id: str
    project_id: str
    request_id: str | None
    resource_type: str
    resource_uuid: str | None
    event_id: str
    user_message: str
    message_level: str
    created_at: float
    expires_at: float


class MessageBackend:
    def __init__(self, ctx: BackendContext) -> None:
        self.ctx = ctx
        self.messages: dict[str, UserMessage] = {
            body["id"]: UserMessage(**body) for body in ctx.store.load("volume_message")
        }

    def record(
        self,
        project_id: str,
        resource_uuid: str,
        action: tuple[str, str],
        detail: tuple[str, str],
        request_id: str | None,
        resource_type: str = "VOLUME",
    ) -> UserMessage:
        now = self.ctx.clock.now()
        message = UserMessage(
            id=str(uuid.uuid4()),
            project_id=project_id,
            request_id=request_id,
            resource_type=resource_type,
            resource_uuid=resource_uuid,
            event_id=f"VOLUME_{resource_type}_{action[0]}_{detail[0]}",
            user_message=f"{action[1]}: {detail[1]}",
            message_level="ERROR",
            created_at=now,
            expires_at=now + MESSAGE_TTL,
        )
        self.messages[message.id] = message
        self.ctx.store.put("volume_message", message.id, asdict(message))
        return message

    def list(self, caller: Caller) -> list[UserMessage]:
        """The caller's project's live messages (an admin's: every project's), oldest first."""
        now = self.ctx.clock.now()
        return sorted(
            (
                m
                for m in self.messages.values()
                if m.expires_at > now and (caller.is_admin or m.project_id == caller.project_id)
            ),
            key=lambda m: m.created_at,
        )

    def get(self, message_id: str, caller: Caller) -> UserMessage:
        found = self.messages.get(message_id)
        visible = found is not None and (caller.is_admin or found.project_id == caller.project_id)
        if found is None or not visible or found.expires_at <= self.ctx.clock.now():
            raise not_found(f"Message {message_id} could not be found.")
        return found

    def delete(self, message_id: str, caller: Caller) -> None:
        message = self.get(message_id, caller)  # another project's: 404
        require_writer(caller, "message:delete")  # cinder's policy: a reader only reads them
        del self.messages[message.id]
        self.ctx.store.delete("volume_message", message.id)
