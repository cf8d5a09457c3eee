"""nova's server tags (microversion 2.26): at most 50 per server, each 1-60 characters
without '/' or ','; changed only while the server is not building or deleting."""

from __future__ import annotations

from powerbridge.emulator.backend.identity_records import Caller, require_writer
from powerbridge.emulator.backend.server_lifecycle import ServerLifecycle
from powerbridge.emulator.backend.server_records import Server, require_unlocked
from powerbridge.emulator.errors import bad_request, conflict, not_found

MAX_TAGS = 50
MAX_LENGTH = 60


def check_tag(tag: object) -> str:
    if not isinstance(tag, str) or not 1 <= len(tag) <= MAX_LENGTH:
        raise bad_request(f"Invalid input for field/attribute tag. Value: {tag}.")
    if "/" in tag or "," in tag:
        raise bad_request(f"Tag '{tag}' is invalid: it may contain neither '/' nor ','.")
    return tag


class ServerTags:
    def __init__(self, lifecycle: ServerLifecycle) -> None:
        self.lifecycle = lifecycle

    def tags(self, server_id: str, caller: Caller) -> list[str]:
        return list(self.lifecycle.server(server_id, caller).tags)

    def _changeable(self, server_id: str, caller: Caller, policy: str) -> Server:
        """The server (another project's: a 404 first), if nova's `os-server-tags:<policy>`
        lets the caller change its tags and it is not locked."""
        server = self.lifecycle.server(server_id, caller)
        require_writer(caller, f"os_compute_api:os-server-tags:{policy}")
        require_unlocked(server, caller, "os-server-tags")
        if server.vm_state in ("building", "deleted") or server.task_state == "deleting":
            raise conflict(
                f"Cannot 'update tags' instance {server.id} while it is in vm_state "
                f"{server.vm_state}"
            )
        return server

    def replace(self, server_id: str, caller: Caller, tags: list[str]) -> list[str]:
        if len(tags) > MAX_TAGS:
            raise bad_request(f"The number of tags exceeded the per-server limit {MAX_TAGS}")
        server = self._changeable(server_id, caller, "update_all")
        server.tags = list(dict.fromkeys(check_tag(t) for t in tags))
        self.lifecycle.save(server)
        return list(server.tags)

    def add(self, server_id: str, caller: Caller, tag: str) -> bool:
        """True when the tag is new."""
        check_tag(tag)
        server = self._changeable(server_id, caller, "update")
        if tag in server.tags:
            return False
        if len(server.tags) >= MAX_TAGS:
            raise bad_request(f"The number of tags exceeded the per-server limit {MAX_TAGS}")
        server.tags.append(tag)
        self.lifecycle.save(server)
        return True

    def remove(self, server_id: str, caller: Caller, tag: str) -> None:
        server = self._changeable(server_id, caller, "delete")
        if tag not in server.tags:
            raise not_found(f"Instance {server.id} has no tag '{tag}'")
        server.tags.remove(tag)
        self.lifecycle.save(server)

    def clear(self, server_id: str, caller: Caller) -> None:
        server = self._changeable(server_id, caller, "delete_all")
        server.tags = []
        self.lifecycle.save(server)
