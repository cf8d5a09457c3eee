"""Cinder's records in memory and in the store: loading, lookups, capacity, logs, deletes."""

from __future__ import annotations

from dataclasses import asdict

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.volume_identity import WWN_KEY, volume_wwn
from powerbridge.emulator.backend.volume_records import (
    READY,
    VOLUME_MODULE,
    VOLUME_STATUSES,
    Attachment,
    ImageMetadataSource,
    PoolUsage,
    Volume,
    VolumeType,
    context_dict,
    context_of,
    is_uuid_like,
    volume_not_found,
)
from powerbridge.emulator.errors import bad_request, conflict, not_found
from powerbridge.emulator.estate import StorageProviderSpec
from powerbridge.emulator.logs import LogContext


class VolumeRecords:
    """Volume types, volumes and attachments, kept write-through in the store; lookups as
    cinder's policy shows them, capacity per provider and pool, and the delete step every
    other change may end in."""

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
            volume = Volume(**body)
            if volume.host is not None:  # created by an emulator that did not record WWNs
                volume.metadata.setdefault(WWN_KEY, volume_wwn(volume.id))
            self.volumes[body["id"]] = volume
        for body in ctx.store.load("volume_attachment"):
            self.attachments[body["attachment_id"]] = Attachment(**body)

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

    def set_type_access(self, type_id: str, project_id: str, allowed: bool) -> VolumeType:
        """cinder's volume type access (private types): grant or revoke one project."""
        volume_type = self.volume_type_by_id(type_id)
        if volume_type.is_public:
            raise bad_request(
                "Invalid volume type: Type access modification is not applicable to public "
                "volume type."
            )
        if allowed and project_id in volume_type.projects:
            raise conflict(
                f"Volume type access for {type_id} / {project_id} combination already exists."
            )
        if not allowed and project_id not in volume_type.projects:
            raise not_found(
                f"Volume type access not found for {type_id} / {project_id} combination."
            )
        if allowed:
            volume_type.projects.append(project_id)
        else:
            volume_type.projects.remove(project_id)
        self._save_type(volume_type)
        return volume_type

    def change_image_metadata(
        self, volume_id: str, caller: Caller, changes: dict[str, str], removed: str | None
    ) -> dict[str, str]:
        """cinder's os-set_image_metadata (merge `changes`) / os-unset_image_metadata (one key,
        404 when absent); returns the volume's image metadata."""
        volume = self.volume(volume_id, caller)
        if removed is not None:
            if removed not in volume.image_metadata:
                raise not_found(f"Glance metadata for volume {volume_id} cannot be found.")
            del volume.image_metadata[removed]
        volume.image_metadata.update(changes)
        self._touch(volume)
        return dict(volume.image_metadata)

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
        # cinder-volume runs per provider, its log named by the controller's IP as on PowerVC
        where = self.ctx.estate.provider_ip(volume.provider) if volume.provider else "unscheduled"
        process = f"cinder-volume-{where}"
        self.ctx.logs.write(process, level, VOLUME_MODULE, message, context)

    def _schedule(
        self, volume: Volume, step: str, seconds: float, context: LogContext | None
    ) -> None:
        volume.step = step
        volume.step_context = context_dict(context)
        volume.due = self.ctx.engine.after(seconds, f"volume.{step}", volume.id)

    def _timing(self, name: str, default: float = 1.0) -> float:
        return float(self.ctx.estate.timings.get(name, default))

    # -- delete ------------------------------------------------------------------------
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
        self._log(volume, "INFO", "Deleted volume successfully.", context_of(volume.step_context))
        self._remove(volume)

    def _remove(self, volume: Volume) -> None:
        for attachment in self.attachments_of_volume(volume.id):
            self._drop_attachment(attachment)
        del self.volumes[volume.id]
        self.ctx.store.delete("volume", volume.id)

    def _drop_attachment(self, attachment: Attachment) -> None:
        self.attachments.pop(attachment.attachment_id, None)
        self.ctx.store.delete("volume_attachment", attachment.attachment_id)

    # -- onboarding (PowerVC's manage and unmanage) ----------------------------------------
    def adopt(self, volume: Volume, attachment: Attachment | None = None) -> None:
        """Take a volume already on its provider under management, attached or not."""
        self.volumes[volume.id] = volume
        self._save(volume)
        if attachment is not None:
            self.attachments[attachment.attachment_id] = attachment
            self._save_attachment(attachment)

    def forget(self, volume_id: str) -> Volume:
        """Stop managing a volume: its row and attachments go, the LUN stays on the provider."""
        volume = self.get(volume_id)
        self._remove(volume)
        return volume
