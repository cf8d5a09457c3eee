"""Server actions about images: `rebuild` (a new image on the same partition) and `createImage`
(PowerVC's capture).

A capture clones each of the server's volumes into an image volume (and, for a server deployed
from an image without a boot volume, makes the boot volume from its base image, as PowerVC's
captures are volume-backed) and asks the image service for a snapshot image whose
`block_device_mapping` names those volumes, the boot volume with boot index 0, with PowerVC's
properties (`hypervisor_type: phyp`, `architecture: ppc64`, the base image's OS); deploying
that image clones its volumes again, so a captured image deploys any number of times. The
server shows task state `image_snapshot` for the `image_capture` timing.
"""

from __future__ import annotations

from typing import Any

from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.image import ImageBackend
from powerbridge.emulator.backend.image_records import Image
from powerbridge.emulator.backend.keypairs import KeypairBackend
from powerbridge.emulator.backend.server_keys import key_data_for
from powerbridge.emulator.backend.server_lifecycle import ServerLifecycle
from powerbridge.emulator.backend.server_records import (
    POWER_RUNNING,
    Server,
    access_ip,
    require_state,
)
from powerbridge.emulator.backend.server_states import end_task, settle, start_task
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.errors import ApiError, bad_request
from powerbridge.emulator.logs import LogContext

REBUILDABLE = ("active", "stopped", "error")
CAPTURABLE = ("active", "stopped")
POWERVC_IMAGE_PROPERTIES = {"hypervisor_type": "phyp", "architecture": "ppc64"}


class ServerImages:
    def __init__(
        self,
        lifecycle: ServerLifecycle,
        *,
        images: ImageBackend,
        volumes: VolumeBackend,
        keypairs: KeypairBackend | None = None,
    ) -> None:
        self.lifecycle = lifecycle
        self.images = images
        self.volumes = volumes
        self.keypairs = keypairs
        lifecycle.on_step("rebuild", self._end_rebuild)
        lifecycle.on_step("capture", self._end_capture)

    # -- rebuild ---------------------------------------------------------------------------
    def rebuild(
        self,
        server_id: str,
        caller: Caller,
        request_id: str,
        *,
        image_id: str,
        changes: dict[str, Any],
    ) -> Server:
        """`changes` may hold name, metadata, description, key_name, user_data, access_ip_v4,
        access_ip_v6."""
        for key, version in (("access_ip_v4", 4), ("access_ip_v6", 6)):
            if key in changes:
                changes = {**changes, key: access_ip(str(changes[key]), version)}
        server = self.lifecycle.writable_server(server_id, caller, "rebuild")
        require_state(server, "rebuild", REBUILDABLE)
        try:
            self.images.image(image_id, caller)
        except ApiError:
            raise bad_request(f"Image {image_id} could not be found.") from None
        if "key_name" in changes and self.keypairs is not None:
            # from 2.54: another pair's key replaces the server's; null removes it
            changes = {
                **changes,
                "key_data": key_data_for(self.keypairs, caller.user_id, changes["key_name"]),
            }
        self.lifecycle.record_action(server, "rebuild", request_id, caller)
        server.request_id = request_id
        server.previous_vm_state = "stopped" if server.vm_state == "stopped" else "active"
        server.image_id = image_id
        for key, value in changes.items():
            setattr(server, key, dict(value) if key == "metadata" else value)
        start_task(server, "rebuilding", "REBUILD")
        self.lifecycle.log_compute(server, f"Rebuilding the instance with image {image_id}.")
        self.lifecycle.schedule_step(server, "rebuild", self.lifecycle.timing("rebuild", 6))
        return server

    def _end_rebuild(self, server: Server, now: float) -> None:
        if server.previous_vm_state == "stopped":
            settle(server, "SHUTOFF")
        else:
            settle(server, "ACTIVE")
            server.power_state, server.launched_at = POWER_RUNNING, now
        server.previous_vm_state, server.fault = None, None
        self.lifecycle.log_compute(server, "Rebuild finished.")
        self.lifecycle.finish_action(server, "rebuild", now, ok=True)

    # -- capture ---------------------------------------------------------------------------
    def capture(
        self,
        server_id: str,
        caller: Caller,
        request_id: str,
        *,
        name: str,
        metadata: dict[str, str],
    ) -> Image:
        server = self.lifecycle.writable_server(server_id, caller, "createImage")
        require_state(server, "createImage", CAPTURABLE)
        context = LogContext(request_id, caller.user_id, caller.project_id or "-")
        base_image = self._base_image(server, caller)
        mapping = self._clone_volumes(server, name, caller, context)
        if not any(entry["boot_index"] == 0 for entry in mapping):
            mapping = self._with_boot_volume(server, name, base_image, caller, context, mapping)
        image = self.images.create_snapshot(
            caller,
            name=name,
            server_id=server.id,
            base_image=base_image,
            properties={**POWERVC_IMAGE_PROPERTIES, **metadata},
            block_device_mapping=mapping,
            context=context.internal_call(),
        )
        self.lifecycle.record_action(server, "createImage", request_id, caller)
        server.request_id = request_id
        server.capture_image_id = image.id
        start_task(server, "image_snapshot")
        self.lifecycle.log_compute(server, f"Capturing the instance as image {image.id} ({name}).")
        self.lifecycle.schedule_step(server, "capture", self.lifecycle.timing("image_capture", 5))
        return image

    def _base_image(self, server: Server, caller: Caller) -> Image | None:
        if not server.image_id:
            return None
        try:
            return self.images.image(server.image_id, caller)
        except ApiError:
            return None  # deleted since the deploy: the snapshot inherits nothing

    def _clone_volumes(
        self, server: Server, name: str, caller: Caller, context: LogContext
    ) -> list[dict[str, Any]]:
        mapping = []
        for number, attached in enumerate(server.mappings(), start=1):
            source = self.volumes.get(attached.volume_id)
            clone = self.volumes.create(
                caller,
                size=source.size,
                name=f"Image_{name}_volume_{number}",
                description=f"Captured from {server.name} ({server.id})",
                volume_type=source.volume_type_id,
                source_volid=source.id,
                context=context.internal_call(),
            )
            mapping.append(
                _volume_entry(clone.id, clone.size, attached.boot_index, attached.device)
            )
        return mapping

    def _with_boot_volume(
        self,
        server: Server,
        name: str,
        base_image: Image | None,
        caller: Caller,
        context: LogContext,
        mapping: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """A server deployed from an image has no boot volume in the emulator; PowerVC's
        captures are volume-backed, so the capture makes the image's boot volume from the
        server's base image (on the default storage template), boot index 0, ahead of the
        data volumes (which then take the next device names when the image deploys)."""
        size = max(base_image.min_disk if base_image else 0, server.flavor.get("disk") or 0, 1)
        boot = self.volumes.create(
            caller,
            size=size,
            name=f"Image_{name}_volume_boot",
            description=f"Boot volume captured from {server.name} ({server.id})",
            image_id=base_image.id if base_image else None,
            bootable=True,
            context=context.internal_call(),
        )
        data = [{**entry, "device_name": None} for entry in mapping]
        return [_volume_entry(boot.id, boot.size, 0, "/dev/sda"), *data]

    def _end_capture(self, server: Server, now: float) -> None:
        end_task(server)
        server.capture_image_id = None
        self.lifecycle.log_compute(server, "Capture finished.")
        self.lifecycle.finish_action(server, "createImage", now, ok=True)


def _volume_entry(
    volume_id: str, size: int, boot_index: int | None, device: str | None
) -> dict[str, Any]:
    """One entry of a captured image's `block_device_mapping`, as nova writes it for a
    volume-backed server (the emulator clones volumes where nova snapshots them)."""
    return {
        "source_type": "volume",
        "destination_type": "volume",
        "volume_id": volume_id,
        "volume_size": size,
        "boot_index": boot_index,
        "device_name": device,
        "delete_on_termination": False,
        "device_type": "disk",
        "disk_bus": None,
        "guest_format": None,
        "no_device": None,
        "tag": None,
    }
