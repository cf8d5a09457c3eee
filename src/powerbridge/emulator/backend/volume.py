"""Cinder: volume types (PowerVC storage templates), volumes and their attachments.

Lifecycles run on the injected clock (durations from the estate's `timings`):
- create: `creating` -> `available`, or `error` when the storage provider lacks free capacity
  (capacity is held from the moment the volume is accepted, as cinder's scheduler does);
- attach and detach: `volume_attach.AttachableVolumes`;
- extend: `extending` -> the previous status, with the new size;
- delete: `deleting` -> gone, releasing the capacity;
- upload to image: `uploading` -> the previous status (the image goes queued -> active on the
  image service's own clock step of the same length).
Snapshots live in `volume_snapshots.SnapshotBackend` (`self.snapshots`); a create or extend
that fails for capacity also leaves a user message (`volume_messages`, `self.messages`).
Every record carries its pending `step` and `due` time and the log context of the request that
started it, so `resume()` re-schedules unfinished steps after a restart and late log lines
still carry the original request id. Work is logged to `cinder-volume-<provider IP>`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.volume_attach import AttachableVolumes
from powerbridge.emulator.backend.volume_identity import WWN_KEY, volume_wwn
from powerbridge.emulator.backend.volume_messages import (
    EXTEND_VOLUME,
    NO_BACKEND_AVAILABLE,
    SCHEDULE_ALLOCATE_VOLUME,
    MessageBackend,
)
from powerbridge.emulator.backend.volume_records import (
    BACKEND_NAME_SPEC,
    DELETABLE,
    DELETE_REFUSED,
    POOL_SPEC,
    SCHEDULER_MODULE,
    Volume,
    VolumeType,
    context_of,
    invalid_input,
    invalid_volume,
    template_specs,
    unmet_capabilities,
)
from powerbridge.emulator.backend.volume_snapshots import Snapshot, SnapshotBackend
from powerbridge.emulator.errors import bad_request, conflict, not_found
from powerbridge.emulator.logs import LogContext

# the records and wordings live in volume_records; the HTTP layer reads them from here


class VolumeBackend(AttachableVolumes):
    """Volume create, changes, extend, delete and upload, and the storage templates' admin
    (lookups and capacity are `VolumeRecords`', attachments `AttachableVolumes`')."""

    def __init__(self, ctx: BackendContext) -> None:
        super().__init__(ctx)
        ctx.engine.on("volume.create", self._finish_create)
        ctx.engine.on("volume.extend", self._finish_extend)
        ctx.engine.on("volume.delete", self._finish_delete)
        ctx.engine.on("volume.attach", self._finish_attach)
        ctx.engine.on("volume.detach", self._finish_detach)
        ctx.engine.on("volume.upload", self._finish_upload)
        self.snapshots = SnapshotBackend(ctx, self)
        self.messages = MessageBackend(ctx)
        # set by VolumeQuotas: project id, {resource: more wanted} -> None or a 413
        self.quota_check: Callable[[str, dict[str, int]], None] = lambda project, wanted: None

    # -- start-up ------------------------------------------------------------------------
    def seed(self, owner_project_id: str) -> None:
        """Storage templates become volume types (volumes belong to users, none seeded)."""
        for spec in self.ctx.estate.storage_templates:
            provider = self.providers.get(spec.provider)
            pool = spec.pool or (provider.pools[0] if provider and provider.pools else "")
            volume_type = VolumeType(
                id=str(uuid.uuid4()),
                name=spec.name,
                description=spec.description or None,
                extra_specs=template_specs(spec.provider, pool, spec.extra_specs),
                provider=spec.provider,
                pool=pool,
            )
            self.types[volume_type.id] = volume_type
            self._save_type(volume_type)

    def resume(self) -> None:
        """Re-schedule the steps that were pending when the emulator stopped."""
        for volume in self.volumes.values():
            if volume.step and volume.due is not None:
                self.ctx.engine.schedule(volume.due, f"volume.{volume.step}", volume.id)
        for attachment in self.attachments.values():
            if attachment.step and attachment.due is not None:
                topic = f"volume.{attachment.step}"
                self.ctx.engine.schedule(attachment.due, topic, attachment.attachment_id)
        self.snapshots.resume()

    # -- create --------------------------------------------------------------------------
    def create(
        self,
        caller: Caller,
        *,
        size: int,
        name: str | None = None,
        description: str | None = None,
        volume_type: str | None = None,
        image_id: str | None = None,
        multiattach: bool = False,
        metadata: dict[str, str] | None = None,
        bootable: bool = False,
        context: LogContext,
        source_volid: str | None = None,
        snapshot_id: str | None = None,
        min_disk_checked: bool = True,
    ) -> Volume:
        """Accept a volume (status creating); the create step finishes it later. A clone
        (`source_volid`) or a volume from a snapshot takes the source's type and bootability.
        `min_disk_checked=False`: nova's volumes for a deploy, whose min_disk check (nova's
        VolumeSmallerThanMinDisk) the emulator does not make yet."""
        if not caller.project_id:
            raise bad_request("Creating a volume needs a project-scoped token.")
        snapshot = self._snapshot_source(snapshot_id, caller)
        if snapshot is not None:
            source_volid = snapshot.volume_id
        source = self._source_volume(source_volid, caller, snapshot)
        chosen = self._type_for(volume_type, source)
        if chosen is not None and not chosen.usable_by(caller.project_id, caller.is_admin):
            raise not_found(f"Volume type {volume_type} could not be found.")
        size = (
            self._check_size(size, source) if snapshot is None else _from_snapshot(size, snapshot)
        )
        image_metadata = self._image_metadata(image_id, size if min_disk_checked else None)
        self.quota_check(caller.project_id, self._wanted(1, size, chosen))
        provider, pool = self._placement(chosen)
        volume = Volume(
            id=str(uuid.uuid4()),
            project_id=caller.project_id,
            user_id=caller.user_id,
            size=size,
            status="creating",
            volume_type_id=chosen.id if chosen else None,
            provider=provider,
            pool=pool,
            created_at=self.ctx.clock.now(),
            name=name,
            description=description,
            bootable=bootable or image_id is not None or bool(source and source.bootable),
            multiattach=multiattach or bool(chosen and chosen.multiattach),
            metadata=dict(metadata or {}),
            image_id=image_id,
            image_metadata=image_metadata,
            source_volid=source.id if source and snapshot is None else None,
            snapshot_id=snapshot.id if snapshot else None,
        )
        volume.step_ok = (
            provider in self.providers
            and self._free_gb(provider) >= size
            and not (chosen and unmet_capabilities(chosen.extra_specs))
        )
        volume.allocated_gb = size if volume.step_ok else 0
        self.volumes[volume.id] = volume
        self._schedule(volume, "create", self._timing("volume_create"), context)
        self._save(volume)
        self._log(
            volume,
            "INFO",
            f"Volume {volume.id}: being created ({size} GB) on {provider} pool {pool} "
            f"with storage template {chosen.name if chosen else None} "
            f"(request {context.request_id}).",
            context,
        )
        return volume

    def _snapshot_source(self, snapshot_id: str | None, caller: Caller) -> Snapshot | None:
        if not snapshot_id:
            return None
        snapshot = self.snapshots.snapshot(snapshot_id, caller)
        if snapshot.status != "available":
            raise bad_request(
                f"Invalid snapshot: Originating snapshot status must be one of 'available' "
                f"values (snapshot {snapshot.id} is {snapshot.status})."
            )
        return snapshot

    def _source_volume(
        self, source_volid: str | None, caller: Caller, snapshot: Snapshot | None
    ) -> Volume | None:
        if not source_volid:
            return None
        if snapshot is not None:  # the snapshot outlives nothing: its volume must still exist
            return self.volumes.get(source_volid)
        return self.volume(source_volid, caller)

    def _type_for(self, requested: str | None, source: Volume | None) -> VolumeType | None:
        if requested:
            return self.volume_type(requested)
        if source is not None and source.volume_type_id in self.types:
            return self.types[source.volume_type_id or ""]
        return self.default_volume_type()

    def _check_size(self, size: int, source: Volume | None) -> int:
        if source is not None:
            if source.status not in ("available", "in-use"):
                raise invalid_volume(
                    f"Source volume {source.id} status must be available or in-use, "
                    f"but the current status is {source.status}."
                )
            if size and size < source.size:
                raise invalid_input(
                    f"Volume size {size}GB cannot be smaller than original volume size "
                    f"{source.size}GB. They must be >= original volume size."
                )
            size = size or source.size
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise invalid_input(f"Volume size '{size}' must be an integer and greater than 0")
        return size

    def _image_metadata(self, image_id: str | None, size: int | None) -> dict[str, str]:
        """The image's glance metadata; a `size` below its min_disk is cinder's 400."""
        if image_id is None:
            return {}
        found = self.image_metadata(image_id) if self.image_metadata else {"image_id": image_id}
        min_disk = found.get("min_disk", "0")
        if size is not None and min_disk.isdigit() and int(min_disk) > size:
            raise invalid_input(
                f"Volume size {size}GB cannot be smaller than the image minDisk size {min_disk}GB."
            )
        return dict(found)

    def retype(self, volume_id: str, caller: Caller, new_type: str, migrate: bool) -> Volume:
        """cinder's os-retype: another storage template on the same provider at once; one
        on another provider only with migration_policy on-demand (the LUN then moves)."""
        volume = self.volume(volume_id, caller)
        if volume.status not in ("available", "in-use"):
            raise invalid_volume(f"Volume {volume_id} status must be available or in-use.")
        chosen = self.volume_type(new_type)
        if chosen.id == volume.volume_type_id:
            raise invalid_input("Retype cannot change the volume's type to the same type.")
        provider, pool = self._placement(chosen)
        if (provider, pool) != (volume.provider, volume.pool) and not migrate:
            raise bad_request("Retype requires migration but is not allowed.")
        volume.volume_type_id, volume.multiattach = chosen.id, chosen.multiattach
        if (provider, pool) != (volume.provider, volume.pool):
            volume.provider, volume.pool = provider, pool
            volume.host = f"{provider}@{provider}#{pool}"
        self._touch(volume)
        return volume

    def _placement(self, volume_type: VolumeType | None) -> tuple[str, str]:
        """The provider and pool a type schedules to (its backend name spec wins)."""
        if volume_type is None:
            return "", ""
        specs = volume_type.extra_specs
        provider = (
            specs.get("volume_backend_name") or specs.get(BACKEND_NAME_SPEC) or volume_type.provider
        )
        spec = self.providers.get(provider)
        default_pool = spec.pools[0] if spec and spec.pools else provider
        pool = specs.get(POOL_SPEC) or volume_type.pool or default_pool
        return provider, pool

    def _finish_create(self, volume_id: str, due: float) -> None:
        volume = self.volumes.get(volume_id)
        if volume is None or volume.step != "create" or volume.due != due:
            return
        context = context_of(volume.step_context)
        volume.step, volume.due = None, None
        if volume.step_ok:
            volume.host = f"{volume.provider}@{volume.provider}#{volume.pool}"
            # the driver records the LUN's WWN once the LUN exists, as PowerVC's drivers do
            volume.metadata.setdefault(WWN_KEY, volume_wwn(volume.id))
            self._touch(volume, "available")
            self._log(volume, "INFO", f"Volume {volume.id}: created successfully.", context)
        else:
            self._fail_create(volume, context)
        self._delete_if_pending(volume, context)

    def _fail_create(self, volume: Volume, context: LogContext | None) -> None:
        self._touch(volume, "error")
        self.ctx.logs.write(
            "cinder-scheduler",
            "ERROR",
            SCHEDULER_MODULE,
            f"Failed to run task cinder.scheduler.flows.create_volume.ScheduleCreateVolumeTask;"
            f"volume:create: No valid backend was found. No weighed backends available "
            f"(volume {volume.id}).",
            context,
        )
        volume_type = self.types.get(volume.volume_type_id or "")
        unmet = unmet_capabilities(volume_type.extra_specs) if volume_type else []
        if unmet:
            reason = f"no storage provider offers {', '.join(unmet)}"
        elif volume.provider in self.providers:
            capacity = self.providers[volume.provider].capacity_gb
            reason = (
                f"insufficient free capacity on storage provider {volume.provider}: "
                f"requested {volume.size} GB, free {max(0, self._free_gb(volume.provider))} GB "
                f"of {capacity} GB"
            )
        else:
            reason = f"no storage provider named {volume.provider or '(none)'} is managed"
        request = f" (request {context.request_id})" if context else ""
        self._log(
            volume, "ERROR", f"Volume {volume.id}: create failed: {reason}{request}.", context
        )
        self.messages.record(
            volume.project_id,
            volume.id,
            SCHEDULE_ALLOCATE_VOLUME,
            NO_BACKEND_AVAILABLE,
            context.request_id if context else None,
        )

    # -- changes through the volume API --------------------------------------------------
    def update(
        self,
        volume_id: str,
        caller: Caller,
        changes: Mapping[str, Any],
    ) -> Volume:
        """Set `name`, `description` and/or replace `metadata`."""
        volume = self.volume(volume_id, caller)
        if volume.status == "maintenance":
            raise invalid_volume("The volume cannot be updated during maintenance.")
        for key in ("name", "description"):
            if key in changes:
                setattr(volume, key, changes[key])
        if "metadata" in changes:
            volume.metadata = dict(changes["metadata"] or {})
        self._touch(volume)
        return volume

    def set_metadata(
        self, volume_id: str, caller: Caller, items: Mapping[str, str], *, replace: bool
    ) -> dict[str, str]:
        volume = self.volume(volume_id, caller)
        volume.metadata = dict(items) if replace else {**volume.metadata, **items}
        self._touch(volume)
        return dict(volume.metadata)

    def delete_metadata(self, volume_id: str, caller: Caller, key: str) -> None:
        volume = self.volume(volume_id, caller)
        if key not in volume.metadata:
            raise not_found("Metadata item was not found")
        del volume.metadata[key]
        self._touch(volume)

    def set_bootable(self, volume_id: str, caller: Caller, bootable: bool) -> None:
        volume = self.volume(volume_id, caller)
        volume.bootable = bootable
        self._touch(volume)

    def set_readonly(self, volume_id: str, caller: Caller, readonly: bool) -> None:
        volume = self.volume(volume_id, caller)
        if volume.status != "available":
            raise invalid_volume("Volume status must be available to update readonly flag.")
        volume.readonly = readonly
        self._touch(volume)

    def reset_status(
        self,
        volume_id: str,
        caller: Caller,
        status: str | None,
        attach_status: str | None,
        context: LogContext,
    ) -> None:
        """Admin override: set the status, abandon the pending step, optionally detach all."""
        volume = self.volume(volume_id, caller)
        if attach_status == "detached":
            for attachment in self.attachments_of_volume(volume.id):
                self._drop_attachment(attachment)
            volume.reservations.clear()
        if status is not None:
            volume.step, volume.due = None, None
            volume.status = status  # an admin's reset may set any status: that is its point
        self._touch(volume)
        self._log(volume, "INFO", f"Volume {volume.id}: status reset to {volume.status}.", context)

    def force_delete(self, volume_id: str, caller: Caller, context: LogContext) -> None:
        """cinder's os-force_delete (admin): delete whatever the status, unless attached."""
        volume = self.volume(volume_id, caller)
        if self.attachments_of_volume(volume.id):
            raise bad_request(DELETE_REFUSED)
        for snapshot in self.snapshots.of_volume(volume.id):
            if snapshot.status != "deleting":
                raise bad_request(DELETE_REFUSED)
        self.reset_status(volume_id, caller, "error", None, context)
        self._start_delete(volume, context)

    @staticmethod
    def _wanted(count: int, size: int, volume_type: VolumeType | None) -> dict[str, int]:
        wanted = {"volumes": count, "gigabytes": size}
        if volume_type is not None:
            wanted[f"volumes_{volume_type.name}"] = count
            wanted[f"gigabytes_{volume_type.name}"] = size
        return wanted

    # -- transfers (volume_transfers.py) -------------------------------------------------
    def set_transfer_status(self, volume_id: str, *, awaiting: bool) -> None:
        volume = self.get(volume_id)
        self._touch(volume, "awaiting-transfer" if awaiting else "available")

    def give_to(self, volume_id: str, project_id: str, user_id: str, *, snapshots: bool) -> None:
        """An accepted transfer: the volume (and its snapshots) change project."""
        volume = self.get(volume_id)
        volume.project_id, volume.user_id = project_id, user_id
        self._touch(volume, "available")
        if snapshots:
            for snapshot in self.snapshots.of_volume(volume.id):
                self.snapshots.give_to(snapshot.id, project_id, user_id)

    def extend(
        self,
        volume_id: str,
        caller: Caller,
        new_size: int,
        context: LogContext,
        *,
        allow_in_use: bool = False,
    ) -> None:
        volume = self.volume(volume_id, caller)
        if new_size <= volume.size:
            raise invalid_input(
                f"New size for extend must be greater than current size. "
                f"(current: {volume.size}, extended: {new_size})."
            )
        expected = ("available", "in-use") if allow_in_use else ("available",)
        if volume.status not in expected:
            raise invalid_volume(
                f"Volume {volume.id} status must be '{{'status': 'available'}}' to extend, "
                f"currently {volume.status}."
            )
        self.quota_check(volume.project_id, self._wanted(0, new_size - volume.size, None))
        volume.step_ok = self._free_gb(volume.provider) >= new_size - volume.size
        if volume.step_ok:
            volume.allocated_gb = new_size
        volume.previous_status = volume.status
        volume.target_size = new_size
        self._schedule(
            volume, "extend", self._timing("volume_extend", self._timing("volume_create")), context
        )
        self._touch(volume, "extending")
        self._log(
            volume,
            "INFO",
            f"Volume {volume.id}: extending from {volume.size} GB to {new_size} GB "
            f"(request {context.request_id}).",
            context,
        )

    def _finish_extend(self, volume_id: str, due: float) -> None:
        volume = self.volumes.get(volume_id)
        if volume is None or volume.step != "extend" or volume.due != due:
            return
        context = context_of(volume.step_context)
        volume.step, volume.due = None, None
        if volume.step_ok and volume.target_size:
            volume.size = volume.target_size
            self._log(volume, "INFO", f"Volume {volume.id}: extended to {volume.size} GB.", context)
        else:
            self._log(
                volume,
                "ERROR",
                f"Volume {volume.id}: extend to {volume.target_size} GB failed: insufficient "
                f"free capacity on storage provider {volume.provider}.",
                context,
            )
            self.messages.record(
                volume.project_id,
                volume.id,
                EXTEND_VOLUME,
                NO_BACKEND_AVAILABLE,
                context.request_id if context else None,
            )
        volume.target_size = None
        self._touch(volume, volume.previous_status or "available")
        self._delete_if_pending(volume, context)

    def delete(
        self, volume_id: str, caller: Caller, context: LogContext, *, cascade: bool = False
    ) -> None:
        """Delete a volume; `cascade` deletes its snapshots first (else they refuse it)."""
        volume = self.volume(volume_id, caller)
        if volume.status not in DELETABLE or self.attachments_of_volume(volume.id):
            raise bad_request(DELETE_REFUSED)
        snapshots = self.snapshots.of_volume(volume.id)
        if snapshots and not cascade:
            raise bad_request(DELETE_REFUSED)
        for snapshot in snapshots:
            if snapshot.status != "deleting":
                self.snapshots.delete(snapshot.id, caller, context)
        self._start_delete(volume, context)

    # -- upload to image (the image record is the image service's) ----------------------
    def begin_upload(
        self, volume_id: str, caller: Caller, *, force: bool, context: LogContext
    ) -> Volume:
        """Mark the volume `uploading` until the image-capture timing has passed."""
        volume = self.volume(volume_id, caller)
        allowed = ("available", "in-use") if force else ("available",)
        if volume.status not in allowed:
            raise invalid_volume(
                f"Volume {volume.id} status must be available or in-use with force, but the "
                f"current status is {volume.status}."
            )
        volume.previous_status = volume.status
        self._schedule(volume, "upload", self._timing("image_capture"), context)
        self._touch(volume, "uploading")
        self._log(volume, "INFO", f"Volume {volume.id}: uploading to the image service.", context)
        return volume

    def _finish_upload(self, volume_id: str, due: float) -> None:
        volume = self.volumes.get(volume_id)
        if volume is None or volume.step != "upload" or volume.due != due:
            return
        volume.step, volume.due = None, None
        self._touch(volume, volume.previous_status or "available")
        self._settle(volume)
        context = context_of(volume.step_context)
        self._log(volume, "INFO", f"Volume {volume.id}: upload to image finished.", context)
        self._delete_if_pending(volume, context)

    # -- volume types (admin) ------------------------------------------------------------
    def create_type(
        self,
        name: str,
        *,
        description: str | None = None,
        extra_specs: Mapping[str, str] | None = None,
        is_public: bool = True,
    ) -> VolumeType:
        if any(t.name == name for t in self.types.values()):
            raise conflict(f"Volume Type {name} already exists.")
        first = next(iter(self.providers.values()), None)
        volume_type = VolumeType(
            id=str(uuid.uuid4()),
            name=name,
            description=description,
            extra_specs=dict(extra_specs or {}),
            is_public=is_public,
            provider=first.name if first else "",
            pool=first.pools[0] if first and first.pools else "",
        )
        self.types[volume_type.id] = volume_type
        self._save_type(volume_type)
        return volume_type

    def update_type(self, type_id: str, changes: Mapping[str, Any]) -> VolumeType:
        volume_type = self.volume_type_by_id(type_id)
        name = changes.get("name")
        if name and any(t.name == name and t.id != type_id for t in self.types.values()):
            raise conflict(f"Volume Type {name} already exists.")
        for key in ("name", "description", "is_public"):
            if key in changes:
                setattr(volume_type, key, changes[key])
        self._save_type(volume_type)
        return volume_type

    def delete_type(self, type_id: str) -> None:
        self.volume_type_by_id(type_id)
        if any(v.volume_type_id == type_id for v in self.volumes.values()):
            raise bad_request("Target volume type is still in use.")
        del self.types[type_id]
        self.ctx.store.delete("volume_type", type_id)

    def set_extra_specs(self, type_id: str, specs: Mapping[str, str]) -> dict[str, str]:
        volume_type = self.volume_type_by_id(type_id)
        volume_type.extra_specs.update(specs)
        self._save_type(volume_type)
        return dict(volume_type.extra_specs)

    def extra_spec(self, type_id: str, key: str) -> str:
        volume_type = self.volume_type_by_id(type_id)
        if key not in volume_type.extra_specs:
            raise not_found(f"Volume Type {type_id} has no extra specs with key {key}.")
        return volume_type.extra_specs[key]

    def delete_extra_spec(self, type_id: str, key: str) -> None:
        self.extra_spec(type_id, key)
        volume_type = self.types[type_id]
        del volume_type.extra_specs[key]
        self._save_type(volume_type)


def _from_snapshot(size: int, snapshot: Snapshot) -> int:
    if size and size < snapshot.size:
        raise invalid_input(
            f"Volume size {size}GB cannot be smaller than the snapshot size "
            f"{snapshot.size}GB. They must be >= original snapshot size."
        )
    return size or snapshot.size
