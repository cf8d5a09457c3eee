"""`os-volume_attachments`: attach a volume to a running or stopped server (a multiattach one
to several servers, from microversion 2.60) and detach it; each an instance action."""

from __future__ import annotations

from dataclasses import asdict

from powerbridge.emulator.backend.identity_records import (
    Caller,
    require_policy_admin,
    require_writer,
)
from powerbridge.emulator.backend.server_lifecycle import ServerLifecycle
from powerbridge.emulator.backend.server_records import Server, VolumeMapping, require_unlocked
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.errors import ApiError, bad_request, conflict, not_found
from powerbridge.emulator.logs import LogContext

DEVICE_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class VolumeAttachments:
    def __init__(self, lifecycle: ServerLifecycle, volumes: VolumeBackend) -> None:
        self.lifecycle = lifecycle
        self.volumes = volumes

    def attach(
        self,
        server_id: str,
        volume_id: str,
        caller: Caller,
        request_id: str,
        device: str | None,
        multiattach_allowed: bool,
    ) -> VolumeMapping:
        server = self.lifecycle.server(server_id, caller)  # another project's: 404
        # nova's policy: a reader sees attachments but makes none
        require_writer(caller, "os_compute_api:os-volumes-attachments:create")
        require_unlocked(server, caller, "attach_volume")
        if server.vm_state not in ("active", "stopped") or server.task_state is not None:
            raise conflict(
                f"Cannot 'attach_volume' instance {server.id} while it is in "
                f"vm_state {server.vm_state}"
            )
        try:
            volume = self.volumes.volume(volume_id, caller)
        except ApiError:
            raise not_found(f"Volume {volume_id} could not be found.") from None
        if volume.multiattach and not multiattach_allowed:
            raise bad_request(
                "Multiattach volumes are only supported starting with compute API version 2.60."
            )
        mappings = server.mappings()
        if any(m.volume_id == volume_id for m in mappings):
            raise bad_request(
                f"Invalid volume: volume {volume_id} is already attached to instance {server.id}"
            )
        self.volumes.reserve(volume_id, server.id, caller)
        used = {m.device for m in mappings}
        device = device or next(f"/dev/sd{c}" for c in DEVICE_LETTERS if f"/dev/sd{c}" not in used)
        mapping = VolumeMapping(volume_id, device, None, False, attached=True)
        context = LogContext(request_id, caller.user_id, caller.project_id or "-")
        self.volumes.begin_attach(
            volume_id, server.id, server.host or "", device, context.internal_call()
        )
        server.volumes = [asdict(m) for m in [*mappings, mapping]]
        self._done(server, "attach_volume", request_id, caller)
        return mapping

    def detach(self, server_id: str, volume_id: str, caller: Caller, request_id: str) -> None:
        server = self.lifecycle.server(server_id, caller)
        require_writer(caller, "os_compute_api:os-volumes-attachments:delete")
        require_unlocked(server, caller, "detach_volume")
        mappings = server.mappings()
        mapping = next((m for m in mappings if m.volume_id == volume_id), None)
        if mapping is None:
            raise not_found(f"volume_id not found: {volume_id}")
        if mapping.boot_index == 0:
            raise bad_request("Can't detach root device volume")
        context = LogContext(request_id, caller.user_id, caller.project_id or "-")
        self.volumes.begin_detach(volume_id, server.id, context.internal_call())
        server.volumes = [asdict(m) for m in mappings if m.volume_id != volume_id]
        self._done(server, "detach_volume", request_id, caller)

    def swap(
        self, server_id: str, old_id: str, new_id: str, caller: Caller, request_id: str
    ) -> None:
        """nova's swap volume (PUT .../os-volume_attachments/<old>): nova's checks, then the
        swap is handed to the compute driver, which the PowerVM driver does not implement:
        the request is accepted and the swap fails there, both volumes left as they were."""
        server = self.lifecycle.server(server_id, caller)  # another project's: 404
        require_policy_admin(caller, "os_compute_api:os-volumes-attachments:swap")
        for volume_id, missing in ((old_id, not_found), (new_id, bad_request)):
            try:
                self.volumes.volume(volume_id, caller)
            except ApiError:
                raise missing(f"Volume {volume_id} could not be found.") from None
        if not any(m.volume_id == old_id for m in server.mappings()):
            raise not_found(f"No volume Block Device Mapping with id {old_id}.")
        if self.volumes.status(new_id) != "available":
            raise bad_request(f"Invalid volume: The new volume {new_id} must be available.")
        self.lifecycle.record_action(server, "swap_volume", request_id, caller)
        self.lifecycle.finish_action(server, "swap_volume", self.lifecycle.now(), ok=False)
        self.lifecycle.log_compute(
            server,
            f"Swapping volume {old_id} for {new_id} failed: the PowerVM driver does "
            "not implement swap_volume.",
            level="ERROR",
        )
        self.lifecycle.save(server)

    def _done(self, server: Server, action: str, request_id: str, caller: Caller) -> None:
        now = self.lifecycle.now()
        self.lifecycle.record_action(server, action, request_id, caller)
        self.lifecycle.finish_action(server, action, now, ok=True)
        server.updated = now
        self.lifecycle.save(server)
