"""cinder's generic volume groups (PowerVC's consistency groups) and group snapshots.

A group holds volumes of its volume types on one provider; a group snapshot snapshots every
member at once (the members' snapshots run their own lifecycle). A group is `available` as
soon as it is accepted: it is only a record on the storage provider, which PowerVC's drivers
create at once. Creating a group from a source group clones each member, from a group
snapshot makes a volume of each snapshot. A member volume is deleted with its group (the
`delete-volumes` flag); cinder refuses deleting it alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.backend.volume_group_types import GroupType, GroupTypes
from powerbridge.emulator.backend.volume_records import Volume, invalid_input
from powerbridge.emulator.errors import ApiError, bad_request, not_found
from powerbridge.emulator.logs import LogContext

GROUP_STATUSES = ("creating", "available", "deleting", "error", "updating", "in-use")
GROUP_SNAPSHOT_STATUSES = ("creating", "available", "deleting", "error")
MEMBER_STATUSES = ("available", "in-use")


@dataclass
class VolumeGroup:
    id: str
    project_id: str
    user_id: str
    name: str | None
    description: str | None
    group_type_id: str
    volume_type_ids: list[str]
    created_at: float
    status: str = "available"
    volume_ids: list[str] = field(default_factory=list)
    group_snapshot_id: str | None = None
    source_group_id: str | None = None


@dataclass
class GroupSnapshot:
    id: str
    project_id: str
    user_id: str
    group_id: str
    group_type_id: str
    name: str | None
    description: str | None
    created_at: float
    status: str = "available"
    snapshot_ids: list[str] = field(default_factory=list)


def group_not_found(group_id: str) -> ApiError:
    return not_found(f"Group {group_id} could not be found.")


def group_snapshot_not_found(snapshot_id: str) -> ApiError:
    return not_found(f"GroupSnapshot {snapshot_id} could not be found.")


class VolumeGroups:
    """Groups and group snapshots, write-through in the store, as cinder's policy shows them
    (a project sees its own, an admin every project's)."""

    def __init__(self, ctx: BackendContext, volumes: VolumeBackend) -> None:
        self.ctx = ctx
        self.volumes = volumes
        self.types = GroupTypes(ctx)
        self.groups = {b["id"]: VolumeGroup(**b) for b in ctx.store.load("volume_group")}
        self.group_snapshots = {
            b["id"]: GroupSnapshot(**b) for b in ctx.store.load("group_snapshot")
        }

    def _save(self, group: VolumeGroup) -> None:
        self.ctx.store.put("volume_group", group.id, asdict(group))

    def _save_snapshot(self, snapshot: GroupSnapshot) -> None:
        self.ctx.store.put("group_snapshot", snapshot.id, asdict(snapshot))

    # -- lookups -------------------------------------------------------------------------
    def group(self, group_id: str, caller: Caller) -> VolumeGroup:
        group = self.groups.get(group_id)
        if group is None or not (caller.is_admin or group.project_id == caller.project_id):
            raise group_not_found(group_id)
        return group

    def list_groups(self, caller: Caller, all_projects: bool) -> list[VolumeGroup]:
        every = all_projects and caller.is_admin
        return [g for g in self.groups.values() if every or g.project_id == caller.project_id]

    def members(self, group: VolumeGroup) -> list[str]:
        """The group's volumes still there (a deleted member leaves the group)."""
        return [v for v in group.volume_ids if v in self.volumes.volumes]

    def group_of(self, volume_id: str) -> str | None:
        for group in self.groups.values():
            if volume_id in group.volume_ids:
                return group.id
        return None

    def group_snapshot(self, snapshot_id: str, caller: Caller) -> GroupSnapshot:
        found = self.group_snapshots.get(snapshot_id)
        if found is None or not (caller.is_admin or found.project_id == caller.project_id):
            raise group_snapshot_not_found(snapshot_id)
        return found

    def list_group_snapshots(self, caller: Caller, all_projects: bool) -> list[GroupSnapshot]:
        every = all_projects and caller.is_admin
        return [
            s for s in self.group_snapshots.values() if every or s.project_id == caller.project_id
        ]

    def group_snapshot_of(self, snapshot_id: str) -> str | None:
        for group_snapshot in self.group_snapshots.values():
            if snapshot_id in group_snapshot.snapshot_ids:
                return group_snapshot.id
        return None

    def type_in_use(self, type_id: str) -> bool:
        return any(g.group_type_id == type_id for g in self.groups.values())

    # -- groups --------------------------------------------------------------------------
    def create(
        self,
        caller: Caller,
        *,
        group_type: str,
        volume_types: list[str],
        name: str | None,
        description: str | None,
    ) -> VolumeGroup:
        kind = self._usable_type(group_type, caller)
        if not volume_types:
            raise invalid_input(f"volume_types must be provided to create group {name}.")
        type_ids = [self.volumes.volume_type(t).id for t in volume_types]
        return self._new_group(caller, kind, type_ids, name, description)

    def _usable_type(self, type_id: str, caller: Caller) -> GroupType:
        kind = self.types.get(type_id)
        if not (kind.is_public or caller.is_admin):
            raise not_found(f"Group type with id {type_id} could not be found.")
        return kind

    def _new_group(
        self,
        caller: Caller,
        kind: GroupType,
        type_ids: list[str],
        name: str | None,
        description: str | None,
    ) -> VolumeGroup:
        if not caller.project_id:
            raise bad_request("Creating a group needs a project-scoped token.")
        self.volumes.quota_check(caller.project_id, {"groups": 1})
        group = VolumeGroup(
            id=str(uuid.uuid4()),
            project_id=caller.project_id,
            user_id=caller.user_id,
            name=name,
            description=description,
            group_type_id=kind.id,
            volume_type_ids=type_ids,
            created_at=self.ctx.clock.now(),
        )
        self.groups[group.id] = group
        self._save(group)
        return group

    def check_new_member(self, group_id: str, caller: Caller, type_id: str | None) -> None:
        """A volume created into a group: the group is usable and serves the volume's type."""
        group = self.group(group_id, caller)
        if group.status != "available":
            raise bad_request(
                f"Invalid group: Group {group.id} status must be available, "
                f"but current status is: {group.status}."
            )
        if type_id not in group.volume_type_ids:
            raise invalid_input(
                f"Invalid volume_type provided: {type_id} (requested type must be supported "
                "by this group)."
            )

    def join(self, group_id: str, volume: Volume) -> None:
        group = self.groups[group_id]
        group.volume_ids.append(volume.id)
        self._save(group)

    def update(
        self,
        group_id: str,
        caller: Caller,
        changes: Mapping[str, str | None],
        add: list[str],
        remove: list[str],
    ) -> VolumeGroup:
        group = self.group(group_id, caller)
        if (add or remove) and group.status != "available":
            raise bad_request(
                f"Invalid group: Group {group.id} status must be available, "
                f"but current status is: {group.status}."
            )
        for volume_id in remove:
            if volume_id not in group.volume_ids:
                raise invalid_volume_in_group(volume_id, group.id, "is not in the group")
        for volume_id in add:
            self._check_addable(group, volume_id, caller)
        group.volume_ids = [v for v in self.members(group) if v not in remove] + add
        for key, value in changes.items():
            setattr(group, key, value)
        self._save(group)
        return group

    def _check_addable(self, group: VolumeGroup, volume_id: str, caller: Caller) -> None:
        volume = self.volumes.volumes.get(volume_id)
        if volume is None or not (caller.is_admin or volume.project_id == group.project_id):
            raise invalid_volume_in_group(volume_id, group.id, "could not be found")
        if self.group_of(volume_id) is not None:
            raise invalid_volume_in_group(volume_id, group.id, "is already in a group")
        if volume.volume_type_id not in group.volume_type_ids:
            raise invalid_volume_in_group(
                volume_id, group.id, "has a type the group does not support"
            )
        if volume.status not in MEMBER_STATUSES:
            raise invalid_volume_in_group(
                volume_id, group.id, f"is in an invalid state: {volume.status}"
            )

    def delete(
        self, group_id: str, caller: Caller, delete_volumes: bool, context: LogContext
    ) -> None:
        group = self.group(group_id, caller)
        members = self.members(group)
        if members and not delete_volumes:
            raise bad_request(
                f"Invalid group: Group {group.id} still contains volumes. The "
                "delete-volumes flag is required to delete it."
            )
        if group.status not in ("available", "error"):
            raise bad_request(
                f"Invalid group: Group status must be available or error, but current "
                f"status is: {group.status}"
            )
        for volume_id in members:
            self.volumes.delete(volume_id, caller, context, cascade=True)
        group.volume_ids = []
        del self.groups[group.id]
        self.ctx.store.delete("volume_group", group.id)

    def reset_status(self, group_id: str, caller: Caller, status: str) -> None:
        group = self.group(group_id, caller)
        if status not in GROUP_STATUSES:
            raise bad_request(f"Invalid input received: Group status: {status} is invalid.")
        group.status = status
        self._save(group)

    # -- create from a source ---------------------------------------------------------------
    def create_from_source(
        self,
        caller: Caller,
        *,
        source_group_id: str | None,
        group_snapshot_id: str | None,
        name: str | None,
        description: str | None,
        context: LogContext,
    ) -> VolumeGroup:
        if bool(source_group_id) == bool(group_snapshot_id):
            raise invalid_input(
                "Either 'group_snapshot_id' or 'source_group_id' must be provided to create "
                "group from source."
            )
        if source_group_id:
            source = self.group(source_group_id, caller)
            group = self._new_group(
                caller,
                self.types.get(source.group_type_id),
                source.volume_type_ids,
                name,
                description,
            )
            group.source_group_id = source.id
            origins: list[tuple[str | None, str | None]] = [(v, None) for v in self.members(source)]
        else:
            snapshot = self.group_snapshot(group_snapshot_id or "", caller)
            source = self.group(snapshot.group_id, caller)
            group = self._new_group(
                caller,
                self.types.get(source.group_type_id),
                source.volume_type_ids,
                name,
                description,
            )
            group.group_snapshot_id = snapshot.id
            origins = [(None, s) for s in snapshot.snapshot_ids]
        for volume_id, snapshot_id in origins:
            self._copy_member(group, caller, volume_id, snapshot_id, context)
        self._save(group)
        return group

    def _copy_member(
        self,
        group: VolumeGroup,
        caller: Caller,
        volume_id: str | None,
        snapshot_id: str | None,
        context: LogContext,
    ) -> None:
        origin = volume_id or self.volumes.snapshots.snapshots[snapshot_id or ""].volume_id
        size = self.volumes.volumes[origin].size if origin in self.volumes.volumes else 1
        copy = self.volumes.create(
            caller,
            size=size,
            context=context,
            source_volid=volume_id,
            snapshot_id=snapshot_id,
        )
        group.volume_ids.append(copy.id)

    # -- group snapshots --------------------------------------------------------------------
    def create_snapshot(
        self,
        caller: Caller,
        group_id: str,
        *,
        name: str | None,
        description: str | None,
        context: LogContext,
    ) -> GroupSnapshot:
        group = self.group(group_id, caller)
        if group.status != "available":
            raise bad_request(
                f"Invalid group: Group {group.id} status must be available, "
                f"but current status is: {group.status}."
            )
        record = GroupSnapshot(
            id=str(uuid.uuid4()),
            project_id=group.project_id,
            user_id=caller.user_id,
            group_id=group.id,
            group_type_id=group.group_type_id,
            name=name,
            description=description,
            created_at=self.ctx.clock.now(),
        )
        for volume_id in self.members(group):
            snapshot = self.volumes.snapshots.create(
                caller,
                volume_id,
                name=f"snapshot-{record.id}",
                description=description,
                metadata={},
                force=True,
                context=context,
            )
            record.snapshot_ids.append(snapshot.id)
        self.group_snapshots[record.id] = record
        self._save_snapshot(record)
        return record

    def delete_snapshot(self, snapshot_id: str, caller: Caller, context: LogContext) -> None:
        record = self.group_snapshot(snapshot_id, caller)
        if record.status not in ("available", "error"):
            raise bad_request(
                "Invalid GroupSnapshot: Group snapshot status must be available or error "
                "and no Group can be currently using it as source for its creation."
            )
        for member in record.snapshot_ids:
            snapshot = self.volumes.snapshots.snapshots.get(member)
            if snapshot is not None and snapshot.status != "deleting":
                self.volumes.snapshots.delete(member, caller, context)
        del self.group_snapshots[record.id]
        self.ctx.store.delete("group_snapshot", record.id)

    def reset_snapshot_status(self, snapshot_id: str, caller: Caller, status: str) -> None:
        record = self.group_snapshot(snapshot_id, caller)
        if status not in GROUP_SNAPSHOT_STATUSES:
            raise bad_request(
                f"Invalid input received: Group snapshot status: {status} is invalid."
            )
        record.status = status
        self._save_snapshot(record)


def invalid_volume_in_group(volume_id: str, group_id: str, reason: str) -> ApiError:
    return bad_request(
        f"Invalid volume: Cannot update group {group_id}: volume {volume_id} {reason}."
    )
