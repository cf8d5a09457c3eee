"""Cinder: volume types (PowerVC storage templates), volumes and their attachments.

Lifecycles run on the injected clock (durations from the estate's `timings`):
- create: `creating` -> `available`, or `error` when the storage provider lacks free capacity
  (capacity is held from the moment the volume is accepted, as cinder's scheduler does);
- attach: `reserved` -> `attaching` -> `in-use` (one attachment record per server);
- detach: `detaching` -> `available`, or back to `in-use` while other attachments remain;
- extend: `extending` -> the previous status, with the new size;
- delete: `deleting` -> gone, releasing the capacity;
- upload to image: `uploading` -> the previous status (the image goes queued -> active on the
  image service's own clock step of the same length).
Snapshots live in `volume_snapshots.SnapshotBackend` (`self.snapshots`); a create or extend
that fails for capacity also leaves a user message (`volume_messages`, `self.messages`).
Every record carries its pending `step` and `due` time and the log context of the request that
started it, so `resume()` re-schedules unfinished steps after a restart and late log lines
still carry the original request id. Work is logged to `cinder-volume-<provider>`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity import Caller
from powerbridge.emulator.backend.volume_messages import (
    EXTEND_VOLUME,
    NO_BACKEND_AVAILABLE,
    SCHEDULE_ALLOCATE_VOLUME,
    MessageBackend,
)
from powerbridge.emulator.backend.volume_snapshots import Snapshot, SnapshotBackend
from powerbridge.emulator.errors import ApiError, bad_request, conflict, forbidden, not_found
from powerbridge.emulator.estate import StorageProviderSpec
from powerbridge.emulator.lifecycle import Transitions
from powerbridge.emulator.logs import LogContext

VOLUME_MODULE = "cinder.volume.manager"
SCHEDULER_MODULE = "cinder.scheduler.flows.create_volume"
AVAILABILITY_ZONE = "nova"

DELETABLE = ("available", "error", "error_restoring", "error_extending", "error_managing")
READY = ("available", "reserved", "attaching", "in-use")
ATTACH_FAMILY = ("available", "reserved", "attaching", "in-use", "detaching")
VALID_STATUSES = (
    "creating",
    "available",
    "deleting",
    "error",
    "error_deleting",
    "error_managing",
    "managing",
    "attaching",
    "in-use",
    "detaching",
    "maintenance",
    "restoring-backup",
    "error_restoring",
    "reserved",
    "awaiting-transfer",
    "backing-up",
    "error_backing-up",
    "error_extending",
    "downloading",
    "uploading",
    "retyping",
    "extending",
)
# the attach family's status is derived from the attachments and reservations (`_settle`), so
# any of them may follow any other
_ATTACH_STEPS = dict.fromkeys(ATTACH_FAMILY, ATTACH_FAMILY)
VOLUME_STATUSES: Transitions[str] = Transitions(
    "volume status",
    {
        **_ATTACH_STEPS,
        "creating": ("available", "error"),
        "available": (*ATTACH_FAMILY, "extending", "uploading", "deleting"),
        "in-use": (*ATTACH_FAMILY, "extending", "uploading"),
        "extending": ("available", "in-use"),
        "uploading": ("available", "in-use"),
        "downloading": ("reserved",),
        **{status: ("deleting",) for status in DELETABLE if status != "available"},
        "deleting": (),
    },
)
DELETE_REFUSED = (
    "Invalid volume: Volume status must be available or error or error_restoring or "
    "error_extending or error_managing and must not be migrating, attached, belong to a "
    "group, have snapshots or be disassociated from snapshots after volume transfer."
)
MULTIATTACH_TRUE = "<is> True"
BACKEND_NAME_SPEC = "capabilities:volume_backend_name"
POOL_SPEC = "drivers:storage_pool"

ImageMetadataSource = Callable[[str], dict[str, str]]


@dataclass
class VolumeType:
    """A volume type; in PowerVC terms a storage template on one provider and pool."""

    id: str
    name: str
    description: str | None = None
    extra_specs: dict[str, str] = field(default_factory=dict)
    is_public: bool = True
    provider: str = ""
    pool: str = ""
    qos_specs_id: str | None = None

    @property
    def multiattach(self) -> bool:
        return self.extra_specs.get("multiattach", "").strip().lower() == "<is> true"


@dataclass
class Volume:
    id: str
    project_id: str
    user_id: str
    size: int
    status: str
    volume_type_id: str | None
    provider: str
    pool: str
    created_at: float
    name: str | None = None
    description: str | None = None
    availability_zone: str = AVAILABILITY_ZONE
    host: str | None = None  # "<provider>@<provider>#<pool>", None when scheduling failed
    bootable: bool = False
    multiattach: bool = False
    readonly: bool | None = None  # None: never set (cinder then shows no admin metadata)
    metadata: dict[str, str] = field(default_factory=dict)
    image_id: str | None = None
    image_metadata: dict[str, str] = field(default_factory=dict)
    source_volid: str | None = None
    snapshot_id: str | None = None
    updated_at: float | None = None
    allocated_gb: int = 0  # capacity held on the provider
    reservations: list[str] = field(default_factory=list)  # servers that reserved it
    delete_on_detach: bool = False
    previous_status: str | None = None
    # the pending lifecycle step: create | extend | delete | upload
    step: str | None = None
    due: float | None = None
    step_ok: bool = True  # planned outcome (False: capacity was short when it started)
    target_size: int | None = None
    step_context: dict[str, Any] | None = None


@dataclass
class Attachment:
    """One server's attachment of a volume (cinder's volume_attachment row)."""

    attachment_id: str
    volume_id: str
    server_id: str
    host_name: str | None
    device: str | None
    attach_status: str  # attaching | attached | detaching
    attached_at: float | None = None
    step: str | None = None  # attach | detach
    due: float | None = None
    step_context: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        # cinder (and nova) name an attachment in a volume's view by the volume id
        return self.volume_id

    @property
    def visible(self) -> bool:
        """Shown in the volume's `attachments` (cinder lists attached rows only)."""
        return self.attach_status in ("attached", "detaching")


@dataclass(frozen=True)
class PoolUsage:
    provider: str
    provider_type: str
    pool: str
    capacity_gb: int
    used_gb: int

    @property
    def name(self) -> str:
        return f"{self.provider}@{self.provider}#{self.pool}"

    @property
    def free_gb(self) -> int:
        return max(0, self.capacity_gb - self.used_gb)


def volume_not_found(volume_id: str) -> ApiError:
    return not_found(f"Volume {volume_id} could not be found.")


def invalid_volume(reason: str) -> ApiError:
    return bad_request(f"Invalid volume: {reason}")


def invalid_input(reason: str) -> ApiError:
    return bad_request(f"Invalid input received: {reason}")


def is_uuid_like(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def template_specs(provider: str, pool: str, declared: Mapping[str, str]) -> dict[str, str]:
    """A storage template's extra specs as PowerVC shows them: the provider it allocates on
    (`capabilities:volume_backend_name`) and the pool (`drivers:storage_pool`), so a client
    can tell which provider a template uses; specs the estate declares win."""
    specs = {BACKEND_NAME_SPEC: provider}
    if pool:
        specs[POOL_SPEC] = pool
    return {**specs, **declared}


def _context_dict(context: LogContext | None) -> dict[str, Any] | None:
    return asdict(context) if context is not None else None


def _context_of(stored: dict[str, Any] | None) -> LogContext | None:
    return LogContext(**stored) if stored else None


class VolumeBackend:
    def __init__(self, ctx: BackendContext) -> None:
        self.ctx = ctx
        self.types: dict[str, VolumeType] = {}
        self.volumes: dict[str, Volume] = {}
        self.attachments: dict[str, Attachment] = {}
        self.providers: dict[str, StorageProviderSpec] = {
            p.name: p for p in ctx.estate.storage_providers
        }
        # set by whoever wires the image service: image id -> volume_image_metadata
        self.image_metadata: ImageMetadataSource | None = None
        for body in ctx.store.load("volume_type"):
            self.types[body["id"]] = VolumeType(**body)
        for body in ctx.store.load("volume"):
            self.volumes[body["id"]] = Volume(**body)
        for body in ctx.store.load("volume_attachment"):
            self.attachments[body["attachment_id"]] = Attachment(**body)
        ctx.engine.on("volume.create", self._finish_create)
        ctx.engine.on("volume.extend", self._finish_extend)
        ctx.engine.on("volume.delete", self._finish_delete)
        ctx.engine.on("volume.attach", self._finish_attach)
        ctx.engine.on("volume.detach", self._finish_detach)
        ctx.engine.on("volume.upload", self._finish_upload)
        self.snapshots = SnapshotBackend(ctx, self)
        self.messages = MessageBackend(ctx)

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

    # -- persistence ---------------------------------------------------------------------
    def _save(self, volume: Volume) -> None:
        self.ctx.store.put("volume", volume.id, asdict(volume))

    def _save_type(self, volume_type: VolumeType) -> None:
        self.ctx.store.put("volume_type", volume_type.id, asdict(volume_type))

    def _save_attachment(self, attachment: Attachment) -> None:
        self.ctx.store.put("volume_attachment", attachment.attachment_id, asdict(attachment))

    def _touch(self, volume: Volume, status: str | None = None) -> None:
        if status is not None:
            volume.status = VOLUME_STATUSES.check(volume.status, status)
        volume.updated_at = self.ctx.clock.now()
        self._save(volume)

    # -- lookups -------------------------------------------------------------------------
    def get(self, volume_id: str) -> Volume:
        """Any volume, without project isolation (for other services' internal calls)."""
        try:
            return self.volumes[volume_id]
        except KeyError:
            raise volume_not_found(volume_id) from None

    def volume(self, volume_id: str, caller: Caller) -> Volume:
        volume = self.volumes.get(volume_id)
        if volume is None or not (caller.is_admin or volume.project_id == caller.project_id):
            raise volume_not_found(volume_id)
        return volume

    def list_volumes(self, caller: Caller, *, all_projects: bool = False) -> list[Volume]:
        if all_projects and caller.is_admin:
            return list(self.volumes.values())
        return [v for v in self.volumes.values() if v.project_id == caller.project_id]

    def status(self, volume_id: str) -> str:
        return self.get(volume_id).status

    def is_ready(self, volume_id: str) -> bool:
        """Created and usable: not creating, extending, deleting or failed."""
        volume = self.volumes.get(volume_id)
        return volume is not None and volume.status in READY

    def volume_type(self, name_or_id: str) -> VolumeType:
        if is_uuid_like(name_or_id):
            return self.volume_type_by_id(name_or_id)
        for volume_type in self.types.values():
            if volume_type.name == name_or_id:
                return volume_type
        raise not_found(f"Volume type with name {name_or_id} could not be found.")

    def volume_type_by_id(self, type_id: str) -> VolumeType:
        found = self.types.get(type_id)
        if found is None:
            raise not_found(f"Volume type {type_id} could not be found.")
        return found

    def default_volume_type(self) -> VolumeType | None:
        return next(iter(self.types.values()), None)

    def type_name(self, volume: Volume) -> str | None:
        found = self.types.get(volume.volume_type_id or "")
        return found.name if found else volume.volume_type_id

    def attachments_of_server(self, server_id: str) -> list[Attachment]:
        return [a for a in self.attachments.values() if a.server_id == server_id]

    def attachments_of_volume(self, volume_id: str) -> list[Attachment]:
        return [a for a in self.attachments.values() if a.volume_id == volume_id]

    # -- capacity ------------------------------------------------------------------------
    def _used_gb(self, provider: str, pool: str | None = None) -> int:
        return sum(
            v.allocated_gb
            for v in self.volumes.values()
            if v.provider == provider and (pool is None or v.pool == pool)
        )

    def provider_usage(self) -> dict[str, tuple[int, int]]:
        """Provider name -> (used GB, capacity GB)."""
        return {name: (self._used_gb(name), p.capacity_gb) for name, p in self.providers.items()}

    def pool_usage(self) -> list[PoolUsage]:
        """Each provider's capacity split evenly over its pools (as the scheduler sees it)."""
        pools = []
        for provider in self.providers.values():
            names = provider.pools or [provider.name]
            share = provider.capacity_gb // len(names)
            for pool in names:
                used = self._used_gb(provider.name, pool)
                pools.append(PoolUsage(provider.name, provider.type, pool, share, used))
        return pools

    def project_usage(self, project_id: str) -> tuple[int, int]:
        """(volume count, GB) held by a project, as cinder's quota usage counts them."""
        owned = [v for v in self.volumes.values() if v.project_id == project_id]
        return len(owned), sum(v.size for v in owned)

    def _free_gb(self, provider: str) -> int:
        spec = self.providers.get(provider)
        return 0 if spec is None else spec.capacity_gb - self._used_gb(provider)

    # -- logging -------------------------------------------------------------------------
    def _log(self, volume: Volume, level: str, message: str, context: LogContext | None) -> None:
        process = f"cinder-volume-{volume.provider or 'unscheduled'}"
        self.ctx.logs.write(process, level, VOLUME_MODULE, message, context)

    def _schedule(
        self, volume: Volume, step: str, seconds: float, context: LogContext | None
    ) -> None:
        volume.step = step
        volume.step_context = _context_dict(context)
        volume.due = self.ctx.engine.after(seconds, f"volume.{step}", volume.id)

    def _timing(self, name: str, default: float = 1.0) -> float:
        return float(self.ctx.estate.timings.get(name, default))

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
    ) -> Volume:
        """Accept a volume (status creating); the create step finishes it later. A clone
        (`source_volid`) or a volume from a snapshot takes the source's type and bootability."""
        if not caller.project_id:
            raise bad_request("Creating a volume needs a project-scoped token.")
        snapshot = self._snapshot_source(snapshot_id, caller)
        if snapshot is not None:
            source_volid = snapshot.volume_id
        source = self._source_volume(source_volid, caller, snapshot)
        chosen = self._type_for(volume_type, source)
        size = (
            self._check_size(size, source) if snapshot is None else _from_snapshot(size, snapshot)
        )
        image_metadata = self._image_metadata(image_id, size)
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
        volume.step_ok = provider in self.providers and self._free_gb(provider) >= size
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

    def _image_metadata(self, image_id: str | None, size: int) -> dict[str, str]:
        if image_id is None:
            return {}
        found = self.image_metadata(image_id) if self.image_metadata else {"image_id": image_id}
        min_disk = found.get("min_disk", "0")
        if min_disk.isdigit() and int(min_disk) > size:
            raise invalid_input(
                f"Volume size {size}GB cannot be smaller than the image minDisk size {min_disk}GB."
            )
        return dict(found)

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
        context = _context_of(volume.step_context)
        volume.step, volume.due = None, None
        if volume.step_ok:
            volume.host = f"{volume.provider}@{volume.provider}#{volume.pool}"
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
        if volume.provider in self.providers:
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
        context = _context_of(volume.step_context)
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

    def _start_delete(self, volume: Volume, context: LogContext | None) -> None:
        volume.delete_on_detach = False
        if volume.host is None and volume.step is None:
            # scheduling failed: nothing exists on a provider, cinder destroys the row at once
            self._remove(volume)
            return
        self._schedule(volume, "delete", self._timing("volume_delete"), context)
        self._touch(volume, "deleting")
        self._log(volume, "INFO", f"Volume {volume.id}: deleting.", context)

    def _finish_delete(self, volume_id: str, due: float) -> None:
        volume = self.volumes.get(volume_id)
        if volume is None or volume.step != "delete" or volume.due != due:
            return
        self._log(volume, "INFO", "Deleted volume successfully.", _context_of(volume.step_context))
        self._remove(volume)

    def _remove(self, volume: Volume) -> None:
        for attachment in self.attachments_of_volume(volume.id):
            self._drop_attachment(attachment)
        del self.volumes[volume.id]
        self.ctx.store.delete("volume", volume.id)

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
        context = _context_of(volume.step_context)
        self._log(volume, "INFO", f"Volume {volume.id}: upload to image finished.", context)
        self._delete_if_pending(volume, context)

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
        attachment.step_context = _context_dict(context)
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
                _context_of(attachment.step_context),
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
        context = _context_of(attachment.step_context)
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

    def _drop_attachment(self, attachment: Attachment) -> None:
        self.attachments.pop(attachment.attachment_id, None)
        self.ctx.store.delete("volume_attachment", attachment.attachment_id)

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


def require_volume_admin(caller: Caller, action: str) -> None:
    """cinder's policy refusal wording."""
    if not caller.is_admin:
        raise forbidden(f"Policy doesn't allow {action} to be performed.")
