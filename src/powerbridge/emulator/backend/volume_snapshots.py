"""Cinder volume snapshots: point-in-time copies a new volume can be created from.

Lifecycle on the injected clock: create `creating` -> `available` (the `volume_create`
timing); delete `deleting` -> gone (`volume_delete`). A snapshot of an in-use volume needs
`force`, as cinder's. A volume with snapshots cannot be deleted (the volume backend asks
`of_volume`). Snapshots belong to the volume's project and are kept write-through like volumes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.errors import ApiError, bad_request, not_found
from powerbridge.emulator.lifecycle import Transitions
from powerbridge.emulator.logs import LogContext

if TYPE_CHECKING:
    from powerbridge.emulator.backend.volume import VolumeBackend
    from powerbridge.emulator.backend.volume_records import Volume

SNAPSHOT_MODULE = "cinder.volume.manager"
DELETABLE = ("available", "error", "error_deleting")
STATUSES = (
    "creating",
    "available",
    "deleting",
    "error",
    "error_deleting",
    "unmanaging",
    "backing-up",
    "restoring",
)

SNAPSHOT_STATUSES: Transitions[str] = Transitions(
    "snapshot status",
    {"creating": ("available",), **dict.fromkeys(DELETABLE, ("deleting",)), "deleting": ()},
)


@dataclass
class Snapshot:
    id: str
    project_id: str
    user_id: str
    volume_id: str
    size: int
    status: str
    created_at: float
    name: str | None = None
    description: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    updated_at: float | None = None
    progress: str = "0%"
    step: str | None = None  # create | delete
    due: float | None = None
    step_context: dict[str, Any] | None = None


def snapshot_not_found(snapshot_id: str) -> ApiError:
    return not_found(f"Snapshot {snapshot_id} could not be found.")


class SnapshotBackend:
    def __init__(self, ctx: BackendContext, volumes: VolumeBackend) -> None:
        self.ctx = ctx
        self.volumes = volumes
        self.snapshots: dict[str, Snapshot] = {}
        for body in ctx.store.load("volume_snapshot"):
            self.snapshots[body["id"]] = Snapshot(**body)
        ctx.engine.on("snapshot.create", self._finish_create)
        ctx.engine.on("snapshot.delete", self._finish_delete)

    def resume(self) -> None:
        for snapshot in self.snapshots.values():
            if snapshot.step and snapshot.due is not None:
                self.ctx.engine.schedule(snapshot.due, f"snapshot.{snapshot.step}", snapshot.id)

    # -- lookups -------------------------------------------------------------------------
    def snapshot(self, snapshot_id: str, caller: Caller) -> Snapshot:
        found = self.snapshots.get(snapshot_id)
        if found is None or not (caller.is_admin or found.project_id == caller.project_id):
            raise snapshot_not_found(snapshot_id)
        return found

    def list_snapshots(self, caller: Caller, *, all_projects: bool = False) -> list[Snapshot]:
        if all_projects and caller.is_admin:
            return list(self.snapshots.values())
        return [s for s in self.snapshots.values() if s.project_id == caller.project_id]

    def of_volume(self, volume_id: str) -> list[Snapshot]:
        return [s for s in self.snapshots.values() if s.volume_id == volume_id]

    def project_usage(self, project_id: str) -> tuple[int, int]:
        """(snapshot count, GB) a project holds, as cinder's quota usage counts them."""
        owned = [s for s in self.snapshots.values() if s.project_id == project_id]
        return len(owned), sum(s.size for s in owned)

    # -- changes -------------------------------------------------------------------------
    def create(
        self,
        caller: Caller,
        volume_id: str,
        *,
        name: str | None,
        description: str | None,
        metadata: Mapping[str, str],
        force: bool,
        context: LogContext,
    ) -> Snapshot:
        volume = self.volumes.volume(volume_id, caller)
        self._check_snapshotable(volume, force)
        self.volumes.quota_check(volume.project_id, {"snapshots": 1, "gigabytes": volume.size})
        now = self.ctx.clock.now()
        snapshot = Snapshot(
            id=str(uuid.uuid4()),
            project_id=volume.project_id,
            user_id=caller.user_id,
            volume_id=volume.id,
            size=volume.size,
            status="creating",
            created_at=now,
            name=name,
            description=description,
            metadata=dict(metadata),
        )
        self.snapshots[snapshot.id] = snapshot
        self._schedule(snapshot, "create", "volume_create", context)
        self._log(snapshot, f"Snapshot {snapshot.id} of volume {volume.id}: creating.", context)
        return snapshot

    def _check_snapshotable(self, volume: Volume, force: bool) -> None:
        allowed = ("available", "in-use") if force else ("available",)
        if volume.status not in allowed:
            raise bad_request(
                f"Invalid volume: Volume {volume.id} status must be available, but current "
                f"status is: {volume.status}."
            )

    def update(self, snapshot_id: str, caller: Caller, changes: Mapping[str, Any]) -> Snapshot:
        snapshot = self.snapshot(snapshot_id, caller)
        for key in ("name", "description"):
            if key in changes:
                setattr(snapshot, key, changes[key])
        self._touch(snapshot)
        return snapshot

    def set_metadata(
        self, snapshot_id: str, caller: Caller, items: Mapping[str, str], *, replace: bool
    ) -> dict[str, str]:
        snapshot = self.snapshot(snapshot_id, caller)
        snapshot.metadata = dict(items) if replace else {**snapshot.metadata, **items}
        self._touch(snapshot)
        return dict(snapshot.metadata)

    def delete_metadata(self, snapshot_id: str, caller: Caller, key: str) -> None:
        snapshot = self.snapshot(snapshot_id, caller)
        if key not in snapshot.metadata:
            raise not_found(f"Metadata item was not found: {key}")
        del snapshot.metadata[key]
        self._touch(snapshot)

    def reset_status(
        self, snapshot_id: str, caller: Caller, status: str, *, progress: str | None = None
    ) -> None:
        """An admin's reset (any status: that is its point) or the storage driver's
        os-update_snapshot_status, which also reports the copy's progress."""
        snapshot = self.snapshot(snapshot_id, caller)
        snapshot.step, snapshot.due = None, None
        snapshot.status = status
        if progress is not None:
            snapshot.progress = progress
        self._touch(snapshot)

    def delete(self, snapshot_id: str, caller: Caller, context: LogContext) -> None:
        snapshot = self.snapshot(snapshot_id, caller)
        if snapshot.status not in DELETABLE:
            raise bad_request(
                f"Invalid snapshot: Volume Snapshot status must be available or error, but "
                f"the current status is {snapshot.status}."
            )
        self._schedule(snapshot, "delete", "volume_delete", context)
        self._touch(snapshot, "deleting")
        self._log(snapshot, f"Snapshot {snapshot.id}: deleting.", context)

    # -- lifecycle -----------------------------------------------------------------------
    def _schedule(
        self, snapshot: Snapshot, step: str, timing: str, context: LogContext | None
    ) -> None:
        snapshot.step = step
        snapshot.step_context = asdict(context) if context else None
        seconds = float(self.ctx.estate.timings.get(timing, 1.0))
        snapshot.due = self.ctx.engine.after(seconds, f"snapshot.{step}", snapshot.id)
        self._save(snapshot)

    def _pending(self, snapshot_id: str, step: str, due: float) -> Snapshot | None:
        snapshot = self.snapshots.get(snapshot_id)
        if snapshot is None or snapshot.step != step or snapshot.due != due:
            return None  # deleted, reset, or an older schedule
        snapshot.step, snapshot.due = None, None
        return snapshot

    def _finish_create(self, snapshot_id: str, due: float) -> None:
        snapshot = self._pending(snapshot_id, "create", due)
        if snapshot is None:
            return
        snapshot.progress = "100%"
        self._touch(snapshot, "available")
        self._log(snapshot, f"Snapshot {snapshot.id}: created successfully.", self._ctx(snapshot))

    def _finish_delete(self, snapshot_id: str, due: float) -> None:
        snapshot = self._pending(snapshot_id, "delete", due)
        if snapshot is None:
            return
        self._log(snapshot, f"Snapshot {snapshot.id}: deleted successfully.", self._ctx(snapshot))
        del self.snapshots[snapshot.id]
        self.ctx.store.delete("volume_snapshot", snapshot.id)

    # -- persistence and logs ------------------------------------------------------------
    def _save(self, snapshot: Snapshot) -> None:
        self.ctx.store.put("volume_snapshot", snapshot.id, asdict(snapshot))

    def give_to(self, snapshot_id: str, project_id: str, user_id: str) -> None:
        """The snapshot follows its volume to another project (an accepted transfer)."""
        snapshot = self.snapshots[snapshot_id]
        snapshot.project_id, snapshot.user_id = project_id, user_id
        self._touch(snapshot)

    def _touch(self, snapshot: Snapshot, status: str | None = None) -> None:
        if status is not None:
            snapshot.status = SNAPSHOT_STATUSES.check(snapshot.status, status)
        snapshot.updated_at = self.ctx.clock.now()
        self._save(snapshot)

    @staticmethod
    def _ctx(snapshot: Snapshot) -> LogContext | None:
        return LogContext(**snapshot.step_context) if snapshot.step_context else None

    def _log(self, snapshot: Snapshot, message: str, context: LogContext | None) -> None:
        volume = self.volumes.volumes.get(snapshot.volume_id)
        provider = volume.provider if volume is not None and volume.provider else ""
        where = self.ctx.estate.provider_ip(provider) if provider else "unscheduled"
        self.ctx.logs.write(f"cinder-volume-{where}", "INFO", SNAPSHOT_MODULE, message, context)
