"""PowerVC's instance snapshots (`vm-snapshot` server action; IBM PowerVC 2.x, "Virtual
machine snapshot and restore API"): a point-in-time snapshot of the volumes of a VM, the ones
the request names or all its attached volumes. Each volume gets a cinder snapshot (forced, as
attached volumes need); the instance snapshot groups them and takes its status from theirs
(creating until every one is available; error if one failed or went away). Deleting it deletes
its volume snapshots. Records are persisted (`instance_snapshot`).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity_records import Caller, require_writer
from powerbridge.emulator.backend.powervc_tasks import (
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    PowerVCTasks,
    Progress,
    Task,
)
from powerbridge.emulator.backend.server_lifecycle import ServerRegistry
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.errors import bad_request, not_found
from powerbridge.emulator.logs import LogContext

ACTION = "vm-snapshot"


@dataclass
class InstanceSnapshot:
    id: str
    name: str
    description: str
    server_id: str
    project_id: str
    created: float
    snapshot_ids: list[str] = field(default_factory=list)


class VmSnapshots:
    def __init__(
        self,
        ctx: BackendContext,
        registry: ServerRegistry,
        volumes: VolumeBackend,
        tasks: PowerVCTasks,
    ) -> None:
        self.ctx = ctx
        self.registry = registry
        self.volumes = volumes
        self.tasks = tasks
        self.records = {b["id"]: InstanceSnapshot(**b) for b in ctx.store.load("instance_snapshot")}

    def create(
        self,
        server_id: str,
        caller: Caller,
        *,
        name: str,
        description: str,
        volume_ids: list[str] | None,
        request_id: str,
    ) -> tuple[InstanceSnapshot, Task]:
        server = self.registry.writable_server(server_id, caller, "vm-snapshot")
        attached = [m.volume_id for m in server.mappings() if m.attached]
        chosen = list(dict.fromkeys(volume_ids)) if volume_ids else attached
        for volume_id in chosen:
            if volume_id not in attached:
                raise bad_request(f"Volume {volume_id} is not attached to instance {server.id}.")
        if not chosen:
            raise bad_request(f"Instance {server.id} has no volumes to snapshot.")
        record = InstanceSnapshot(
            id=str(uuid.uuid4()),
            name=name,
            description=description,
            server_id=server.id,
            project_id=server.project_id,
            created=self.ctx.clock.now(),
        )
        context = LogContext(request_id, caller.user_id, caller.project_id or "-")
        for index, volume_id in enumerate(chosen, start=1):
            snapshot = self.volumes.snapshots.create(
                caller,
                volume_id,
                name=f"{name}_{index}",
                description=description,
                metadata={"instance_snapshot_id": record.id},
                force=True,
                context=context.internal_call(),
            )
            record.snapshot_ids.append(snapshot.id)
        self._save(record)
        return record, self.tasks.start(ACTION, caller, server.id, [record.id])

    def _save(self, record: InstanceSnapshot) -> None:
        self.records[record.id] = record
        self.ctx.store.put("instance_snapshot", record.id, asdict(record))

    # -- reading ---------------------------------------------------------------------------
    def visible(self, caller: Caller) -> list[InstanceSnapshot]:
        found = (
            r for r in self.records.values() if caller.is_admin or r.project_id == caller.project_id
        )
        return sorted(found, key=lambda r: (r.created, r.id))

    def record(self, record_id: str, caller: Caller) -> InstanceSnapshot:
        record = self.records.get(record_id)
        if record is None or not (caller.is_admin or record.project_id == caller.project_id):
            raise not_found(f"Instance snapshot {record_id} could not be found.")
        return record

    def members(self, record: InstanceSnapshot) -> list[tuple[str, str | None, str]]:
        """(snapshot id, volume id, status) of each volume snapshot; `missing` once gone."""
        rows: list[tuple[str, str | None, str]] = []
        for snapshot_id in record.snapshot_ids:
            snapshot = self.volumes.snapshots.snapshots.get(snapshot_id)
            if snapshot is None:
                rows.append((snapshot_id, None, "missing"))
            else:
                rows.append((snapshot_id, snapshot.volume_id, snapshot.status))
        return rows

    def status(self, record: InstanceSnapshot) -> str:
        states = {status for _, _, status in self.members(record)}
        if states & {"error", "missing"}:
            return "error"
        if states & {"creating"}:
            return "creating"
        if states & {"deleting"}:
            return "deleting"
        return "available"

    def progress(self, task: Task) -> Progress:
        record = self.records.get(task.result_ids[0]) if task.result_ids else None
        if record is None:
            return Progress(FAILED, 0, "The instance snapshot was deleted.")
        members = self.members(record)
        done = sum(1 for _, _, status in members if status == "available")
        status = self.status(record)
        if status == "available":
            return Progress(COMPLETED, 100)
        if status == "creating":
            return Progress(IN_PROGRESS, 100 * done // max(len(members), 1))
        return Progress(FAILED, 100 * done // max(len(members), 1), f"Instance snapshot {status}.")

    # -- delete ----------------------------------------------------------------------------
    def delete(self, record_id: str, caller: Caller, request_id: str) -> None:
        require_writer(caller, "volume:delete_snapshot")  # a reader, whatever the id names
        record = self.record(record_id, caller)
        members = self.members(record)
        busy = [
            snapshot_id for snapshot_id, _, status in members if status in ("creating", "deleting")
        ]
        if busy:
            raise bad_request(
                f"Invalid snapshot: instance snapshot {record.id} is {self.status(record)}: "
                "delete it once its volume snapshots are available or in error."
            )
        context = LogContext(request_id, caller.user_id, caller.project_id or "-")
        for snapshot_id, _, status in members:
            if status != "missing":
                self.volumes.snapshots.delete(snapshot_id, caller, context)
        del self.records[record.id]
        self.ctx.store.delete("instance_snapshot", record.id)
