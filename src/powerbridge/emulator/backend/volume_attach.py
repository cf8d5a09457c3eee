"""Cinder's attach family: reservations, attachments and the status they imply.

attach: `reserved` -> `attaching` -> `in-use` (one attachment record per server); detach:
`detaching` -> `available`, or back to `in-use` while other attachments remain. A volume
whose server was deleted with `delete_on_termination` is deleted once its last detach ends.
The legacy actions of the volume API (os-reserve & co) move the status directly, as cinder's.
"""

from __future__ import annotations

import uuid

from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.volume_records import (
    ATTACH_FAMILY,
    DELETABLE,
    Attachment,
    Volume,
    context_dict,
    context_of,
    invalid_volume,
)
from powerbridge.emulator.backend.volume_store import VolumeRecords
from powerbridge.emulator.logs import LogContext


class AttachableVolumes(VolumeRecords):
    """Volumes with their reservations and attachments (the status follows from them)."""

    # -- attachments (called by the compute service) -------------------------------------
    def reserve(self, volume_id: str, server_id: str, caller: Caller) -> None:
        """Hold the volume for `server_id` so no other server can take a single-attach one."""
        volume = self.volume(volume_id, caller)
        if server_id in volume.reservations:
            return
        self._check_attachable(volume, server_id)
        volume.reservations.append(server_id)
        self._touch(volume, "reserved")

    def _check_attachable(self, volume: Volume, server_id: str) -> None:
        if any(a.server_id == server_id for a in self.attachments_of_volume(volume.id)):
            raise invalid_volume(f"volume {volume.id} already attached")
        if volume.multiattach:
            allowed: tuple[str, ...] = (
                "available",
                "in-use",
                "downloading",
                "reserved",
                "attaching",
            )
            wanted = "available, in-use or downloading"
        else:
            allowed, wanted = ("available", "downloading"), "available or downloading"
        if volume.status not in allowed:
            raise invalid_volume(
                f"Volume {volume.id} status must be {wanted} to reserve, but the current "
                f"status is {volume.status}."
            )

    def unreserve(self, volume_id: str, server_id: str) -> None:
        volume = self.volumes.get(volume_id)
        if volume is None or server_id not in volume.reservations:
            return
        volume.reservations.remove(server_id)
        self._settle(volume)
        self._delete_if_pending(volume, None)

    def begin_attach(
        self, volume_id: str, server_id: str, host: str, device: str, context: LogContext
    ) -> str:
        """Start attaching (status attaching, then in-use); return the attachment id."""
        volume = self.get(volume_id)
        if server_id in volume.reservations:
            volume.reservations.remove(server_id)
        else:
            self._check_attachable(volume, server_id)
        attachment = Attachment(
            attachment_id=str(uuid.uuid4()),
            volume_id=volume.id,
            server_id=server_id,
            host_name=host,
            device=device,
            attach_status="attaching",
        )
        self._schedule_attachment(attachment, "attach", self._timing("volume_attach"), context)
        self.attachments[attachment.attachment_id] = attachment
        self._save_attachment(attachment)
        self._settle(volume)
        self._log(
            volume,
            "INFO",
            f"Volume {volume.id}: attaching to instance {server_id} on host {host} at {device} "
            f"(request {context.request_id}).",
            context,
        )
        return attachment.attachment_id

    def _schedule_attachment(
        self, attachment: Attachment, step: str, seconds: float, context: LogContext
    ) -> None:
        attachment.step = step
        attachment.step_context = context_dict(context)
        attachment.due = self.ctx.engine.after(seconds, f"volume.{step}", attachment.attachment_id)

    def _finish_attach(self, attachment_id: str, due: float) -> None:
        attachment = self.attachments.get(attachment_id)
        if attachment is None or attachment.step != "attach" or attachment.due != due:
            return
        attachment.step, attachment.due = None, None
        attachment.attach_status = "attached"
        attachment.attached_at = self.ctx.clock.now()
        self._save_attachment(attachment)
        volume = self.volumes.get(attachment.volume_id)
        if volume is not None:
            self._settle(volume)
            self._log(
                volume,
                "INFO",
                f"Volume {volume.id}: attached to instance {attachment.server_id} at "
                f"{attachment.device}.",
                context_of(attachment.step_context),
            )

    def begin_detach(self, volume_id: str, server_id: str, context: LogContext) -> None:
        """Start detaching `server_id`'s attachment; nothing to do when it has none."""
        volume = self.volumes.get(volume_id)
        if volume is None:
            return
        if server_id in volume.reservations:
            volume.reservations.remove(server_id)
            self._settle(volume)
        attachment = next(
            (
                a
                for a in self.attachments_of_volume(volume_id)
                if a.server_id == server_id and a.attach_status != "detaching"
            ),
            None,
        )
        if attachment is None:
            return
        attachment.attach_status = "detaching"
        self._schedule_attachment(attachment, "detach", self._timing("volume_detach"), context)
        self._save_attachment(attachment)
        self._settle(volume)
        self._log(
            volume,
            "INFO",
            f"Volume {volume.id}: detaching from instance {server_id} "
            f"(request {context.request_id}).",
            context,
        )

    def _finish_detach(self, attachment_id: str, due: float) -> None:
        attachment = self.attachments.get(attachment_id)
        if attachment is None or attachment.step != "detach" or attachment.due != due:
            return
        context = context_of(attachment.step_context)
        self._drop_attachment(attachment)
        volume = self.volumes.get(attachment.volume_id)
        if volume is None:
            return
        self._settle(volume)
        self._log(
            volume,
            "INFO",
            f"Volume {volume.id}: detached from instance {attachment.server_id}.",
            context,
        )
        self._delete_if_pending(volume, context)

    def delete_when_detached(self, volume_id: str, context: LogContext) -> None:
        """delete_on_termination: delete now if free, else once the last detach finishes."""
        volume = self.volumes.get(volume_id)
        if volume is None or volume.status == "deleting":
            return
        volume.delete_on_detach = True
        if not volume.multiattach:
            volume.reservations.clear()  # only the terminated server could hold it
        self._settle(volume)
        self._delete_if_pending(volume, context)

    def _delete_if_pending(self, volume: Volume, context: LogContext | None) -> None:
        """Start a deferred delete once no step and no attachment holds the volume."""
        if not volume.delete_on_detach or volume.step is not None:
            return
        if self.attachments_of_volume(volume.id) or volume.reservations:
            return
        if volume.status not in DELETABLE:
            return
        self._start_delete(volume, context)

    def _settle(self, volume: Volume) -> None:
        """Derive an attach-family status from the attachments and reservations."""
        if volume.status not in ATTACH_FAMILY:
            self._save(volume)
            return
        states = {a.attach_status for a in self.attachments_of_volume(volume.id)}
        if "attaching" in states:
            status = "attaching"
        elif "detaching" in states:
            status = "detaching"
        elif volume.reservations:
            status = "reserved"
        elif "attached" in states:
            status = "in-use"
        else:
            status = "available"
        self._touch(volume, status)

    # -- the legacy attach actions of the volume API (os-reserve & co) -------------------
    def legacy_reserve(self, volume_id: str, caller: Caller) -> None:
        volume = self.volume(volume_id, caller)
        expected = ("available", "in-use") if volume.multiattach else ("available",)
        if volume.status not in expected:
            raise invalid_volume(
                f"Volume status must be {' or '.join(expected)} to reserve, but the status "
                f"is {volume.status}."
            )
        self._touch(volume, "attaching")

    def legacy_unreserve(self, volume_id: str, caller: Caller) -> None:
        volume = self.volume(volume_id, caller)
        if volume.status == "attaching":
            attached = any(a.visible for a in self.attachments_of_volume(volume.id))
            self._touch(volume, "in-use" if attached else "available")

    def begin_detaching(self, volume_id: str, caller: Caller) -> None:
        volume = self.volume(volume_id, caller)
        if volume.status != "in-use":
            raise invalid_volume(
                "Unable to detach volume. Volume status must be 'in-use' and attach_status "
                "must be 'attached' to detach."
            )
        self._touch(volume, "detaching")

    def roll_detaching(self, volume_id: str, caller: Caller) -> None:
        volume = self.volume(volume_id, caller)
        if volume.status == "detaching":
            self._touch(volume, "in-use")

    # -- os-attach / os-detach / os-force_detach: attachments recorded through cinder alone --
    def legacy_attach(
        self, volume_id: str, caller: Caller, server_id: str, mountpoint: str, context: LogContext
    ) -> str:
        """cinder's os-attach: an attachment nova does not drive (the caller attached it)."""
        volume = self.volume(volume_id, caller)
        if volume.status == "attaching":  # after os-reserve
            self._touch(
                volume, "available" if not self.attachments_of_volume(volume.id) else "in-use"
            )
        return self.begin_attach(volume.id, server_id, "", mountpoint, context)

    def legacy_detach(
        self,
        volume_id: str,
        caller: Caller,
        attachment_id: str | None,
        context: LogContext,
        *,
        force: bool = False,
    ) -> None:
        """cinder's os-detach and os-force_detach: one attachment, or (none named) each.
        A force detach ends in the call, whatever the volume's status (an admin's repair of a
        volume reset to error): cinder's volume manager detaches before it answers."""
        volume = self.volume(volume_id, caller)
        attachments = self.attachments_of_volume(volume.id)
        if attachment_id is not None:
            attachments = [a for a in attachments if a.attachment_id == attachment_id]
            if not attachments:
                raise invalid_volume(f"Invalid attachment {attachment_id} for volume {volume.id}.")
        if force and attachments:
            for attachment in attachments:
                self._drop_attachment(attachment)
            volume.status = "available" if not self.attachments_of_volume(volume.id) else "in-use"
            self._touch(volume)
            return
        if not attachments and volume.status == "available":
            return  # cinder's manager: "Volume detach called, but volume not attached."
        if not attachments and volume.status not in ("in-use", "detaching", "attaching"):
            raise invalid_volume(
                "Unable to detach volume. Volume status must be 'in-use' and attach_status "
                "must be 'attached' to detach."
            )
        if volume.status == "detaching" and not attachments:
            self._touch(volume, "available")
        for attachment in attachments:
            self.begin_detach(volume.id, attachment.server_id, context)
