"""nova's administrator server actions: `os-resetState`, `injectNetworkInfo`, `resetNetwork`,
`createBackup` (a capture kept in a rotation) and the soft-delete pair `restore` and
`forceDelete`.

PowerVC deletes servers at once (nova's `reclaim_instance_interval` is 0), so no server is
ever SOFT_DELETED: `restore` and `forceDelete` find the server and then refuse it with nova's
409 for the wrong vm_state.
"""

from __future__ import annotations

from powerbridge.emulator.backend.identity_records import Caller, require_policy_admin
from powerbridge.emulator.backend.image import ImageBackend
from powerbridge.emulator.backend.image_records import Image
from powerbridge.emulator.backend.server_images import ServerImages
from powerbridge.emulator.backend.server_lifecycle import ServerLifecycle
from powerbridge.emulator.backend.server_records import require_state
from powerbridge.emulator.backend.server_states import reset_state
from powerbridge.emulator.logs import LogContext


class ServerAdmin:
    def __init__(
        self, lifecycle: ServerLifecycle, *, images: ImageBackend, captures: ServerImages
    ) -> None:
        self.lifecycle = lifecycle
        self.images = images
        self.captures = captures

    def reset_state(self, server_id: str, caller: Caller, state: str, request_id: str) -> None:
        require_policy_admin(caller, "os_compute_api:os-admin-actions:reset_state")
        server = self.lifecycle.server(server_id, caller)
        self.lifecycle.record_action(server, "resetState", request_id, caller)
        reset_state(server, state)
        self.lifecycle.log_compute(server, f"An administrator reset the state to {state}.")
        self.lifecycle.save(server)

    def network_action(self, server_id: str, caller: Caller, action: str) -> None:
        """injectNetworkInfo / resetNetwork: accepted; a PowerVM partition's network comes
        from its virtual adapters, so there is nothing to redo."""
        require_policy_admin(caller, f"os_compute_api:os-admin-actions:{action}")
        self.lifecycle.server(server_id, caller)

    def soft_delete_action(self, server_id: str, caller: Caller, action: str) -> None:
        server = self.lifecycle.server(server_id, caller)
        require_state(server, action, ("soft-delete",))

    def backup(
        self,
        server_id: str,
        caller: Caller,
        request_id: str,
        *,
        name: str,
        backup_type: str,
        rotation: int,
        metadata: dict[str, str],
    ) -> Image:
        properties = {**metadata, "image_type": "backup", "backup_type": backup_type}
        image = self.captures.capture(server_id, caller, request_id, name=name, metadata=properties)
        self._rotate(server_id, caller, backup_type, rotation, request_id)
        return image

    def _rotate(
        self, server_id: str, caller: Caller, backup_type: str, rotation: int, request_id: str
    ) -> None:
        """nova's _rotate_backups: keep the newest `rotation` backups of this type."""
        backups = sorted(
            (
                image
                for image in self.images.images.values()
                if image.properties.get("instance_uuid") == server_id
                and image.properties.get("image_type") == "backup"
                and image.properties.get("backup_type") == backup_type
            ),
            key=lambda image: (image.created_at, image.id),
            reverse=True,
        )
        context = LogContext(request_id, caller.user_id, caller.project_id or "-")
        for image in backups[rotation:]:
            self.images.delete(caller, image.id, context.internal_call())
