"""PowerVC's bulk volume actions (`bulkVolumeAttach`, `bulkVolumeDetach`): several volumes
attached to or detached from one server in one call. Each volume is checked before the first
changes, so one bad id refuses the call and changes nothing; then each goes through the same
attach or detach as `os-volume_attachments` (its own instance action and cinder steps).
"""

from __future__ import annotations

from powerbridge.emulator.backend.identity_records import Caller, require_writer
from powerbridge.emulator.backend.server_lifecycle import ServerLifecycle
from powerbridge.emulator.backend.server_records import VolumeMapping, require_unlocked
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.backend.volume_attachments import VolumeAttachments
from powerbridge.emulator.errors import ApiError, bad_request, conflict, not_found


class BulkVolumes:
    def __init__(
        self, lifecycle: ServerLifecycle, volumes: VolumeBackend, attachments: VolumeAttachments
    ) -> None:
        self.lifecycle = lifecycle
        self.volumes = volumes
        self.attachments = attachments

    def attach(
        self, server_id: str, volume_ids: list[str], caller: Caller, request_id: str
    ) -> list[VolumeMapping]:
        server = self.lifecycle.server(server_id, caller)
        require_writer(caller, "os_compute_api:os-volumes-attachments:create")
        require_unlocked(server, caller, "attach_volume")
        if len(set(volume_ids)) != len(volume_ids):
            raise bad_request("Invalid input for bulkVolumeAttach: a volume is named twice.")
        attached = {m.volume_id for m in server.mappings()}
        for volume_id in volume_ids:
            try:
                volume = self.volumes.volume(volume_id, caller)
            except ApiError:
                raise not_found(f"Volume {volume_id} could not be found.") from None
            if volume_id in attached:
                raise bad_request(
                    f"Invalid volume: volume {volume_id} is already attached to instance "
                    f"{server.id}"
                )
            if volume.status != "available" and not (
                volume.multiattach and volume.status == "in-use"
            ):
                raise bad_request(
                    f"Invalid volume: volume {volume_id} status must be 'available', "
                    f"but it is {volume.status!r}."
                )
        return [
            self.attachments.attach(
                server_id, volume_id, caller, request_id, None, multiattach_allowed=True
            )
            for volume_id in volume_ids
        ]

    def detach(
        self, server_id: str, volume_ids: list[str], caller: Caller, request_id: str
    ) -> None:
        server = self.lifecycle.server(server_id, caller)
        require_writer(caller, "os_compute_api:os-volumes-attachments:delete")
        require_unlocked(server, caller, "detach_volume")
        mappings = {m.volume_id: m for m in server.mappings()}
        for volume_id in volume_ids:
            mapping = mappings.get(volume_id)
            if mapping is None:
                raise not_found(f"volume_id not found: {volume_id}")
            if mapping.boot_index == 0:
                raise bad_request(f"Can't detach root device volume {volume_id}")
            if not mapping.attached:
                raise conflict(f"Volume {volume_id} is still attaching: detach it once in-use.")
        for volume_id in dict.fromkeys(volume_ids):
            self.attachments.detach(server_id, volume_id, caller, request_id)
