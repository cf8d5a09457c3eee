"""AIX LVM over the disk table: volume groups, logical volumes and JFS2 file systems.

Each operation checks what AIX checks and either changes the records or returns a `Refused`
with the lines AIX prints (message numbers from AIX where known; docs/emulator-aix.md lists the
reconstructed ones); a refused operation changes nothing.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from powerbridge.emulator.aix.disk_records import (
    ACTIVE,
    CONCURRENT,
    LogicalVolume,
    VolumeGroupRecord,
    make_vgid,
)
from powerbridge.emulator.aix.vfs import FsError

if TYPE_CHECKING:
    from powerbridge.emulator.aix.disks import DiskTable, DiskView
    from powerbridge.emulator.aix.node import Node

NORMAL_MAX_PPS_PER_PV = 1016
VGDA_RESERVED_MB = 4  # what the descriptor areas take before the first partition


@dataclass(frozen=True)
class Refused:
    lines: tuple[str, ...]


@dataclass
class Imported:
    group: VolumeGroupRecord
    notes: list[str] = field(default_factory=list)  # printed on stderr, not failures


def not_found_vg(command: str, name: str) -> Refused:
    return Refused(
        (
            f"0516-306 {command}: Unable to find volume group {name} in the Device",
            "\tConfiguration Database.",
        )
    )


def must_be_varied_on(command: str) -> Refused:
    return Refused((f"0516-010 {command}: Volume group must be varied on; use varyonvg command.",))


def pp_count(size_mb: int, pp_size_mb: int) -> int:
    return max(0, (size_mb - VGDA_RESERVED_MB) // pp_size_mb)


def default_pp_size(sizes_mb: list[int]) -> int:
    """mkvg's choice: the smallest power of two (4 MB at least) that keeps the largest disk
    within 1016 partitions."""
    size = 4
    while max(sizes_mb, default=0) / size > NORMAL_MAX_PPS_PER_PV:
        size *= 2
    return size


class Lvm:
    def __init__(self, table: DiskTable) -> None:
        self.table = table

    # -- volume groups -------------------------------------------------------------------
    def names_here(self, node: Node) -> set[str]:
        return {g.name for g in self.table.groups.values() if node.server_id in g.known_on}

    def make_vg(
        self,
        node: Node,
        disks: list[DiskView],
        *,
        name: str | None,
        concurrent: bool,
        scalable: bool,
        pp_size_mb: int | None,
    ) -> VolumeGroupRecord | Refused:
        taken = self.names_here(node) | {"rootvg"}
        name = name or next(
            f"vg{n:02d}" for n in range(len(taken) + 1) if f"vg{n:02d}" not in taken
        )
        if name in taken:
            return Refused(
                ("0516-360 mkvg: The device name is already used; choose a different name.",)
            )
        for disk in disks:
            if disk.volume_group is not None or self.table.disk(disk.key).vgid in self.table.groups:
                return Refused(
                    (
                        f"0516-1207 mkvg: Warning: The physical volume {disk.name} appears to "
                        "belong to another volume group. Use the force option to add this "
                        "physical volume to a volume group.",
                        "0516-862 mkvg: Unable to create volume group.",
                    )
                )
        pp_size = pp_size_mb or default_pp_size([d.size_mb for d in disks])
        group = VolumeGroupRecord(
            vgid=make_vgid(node.server_id, name, len(self.table.groups)),
            name=name,
            disks=[d.key for d in disks],
            pp_size_mb=pp_size,
            concurrent_capable=concurrent,
            scalable=scalable,
            known_on=[node.server_id],
        )
        if not concurrent:  # mkvg varies a VG on, except an enhanced concurrent capable one
            group.modes[node.server_id] = ACTIVE
        for disk in disks:  # adding a disk to a VG writes a PVID when it has none
            self.table.write_pvid(node, disk)
            record = self.table.disk(disk.key)
            record.vgid = group.vgid
            self.table.save_disk(record)
        self.table.groups[group.vgid] = group
        self.table.save_group(group)
        return group

    def import_vg(self, node: Node, disk: DiskView, name: str | None) -> Imported | Refused:
        record = self.table.disk(disk.key)
        group = self.table.groups.get(record.vgid or "")
        if disk.pvid is None:  # the ODM has no PVID for the disk: cfgmgr has not read it
            return Refused(
                (
                    "0516-1939 importvg: PV identifier not found in the Device Configuration "
                    f"Database for {disk.name}.",
                    f"0516-780 importvg: Unable to import volume group from {disk.name}.",
                )
            )
        if group is None:
            return Refused(
                (
                    "0516-1140 importvg: Unable to read the volume group descriptor area on "
                    f"{disk.name}.",
                    f"0516-780 importvg: Unable to import volume group from {disk.name}.",
                )
            )
        wanted = name or group.name
        if node.server_id in group.known_on or wanted != group.name:
            # renaming on import is not simulated: a VG has one name on every node
            return Refused(
                (
                    f"0516-776 importvg: Cannot import {disk.name} as {wanted}.",
                    f"0516-780 importvg: Unable to import volume group from {disk.name}.",
                )
            )
        if wanted in self.names_here(node):
            return Refused(
                ("0516-360 importvg: The device name is already used; choose a different name.",)
            )
        imported = Imported(group)
        group.known_on.append(node.server_id)
        if group.concurrent_capable:
            imported.notes = [
                "0516-783 importvg: This imported volume group is concurrent capable.",
                "\tTherefore, the volume group must be varied on manually.",
            ]
        elif not group.modes:  # importvg varies on what no other node holds
            group.modes[node.server_id] = ACTIVE
        self._make_mount_points(node, group)
        self.table.save_group(group)
        return imported

    def _make_mount_points(self, node: Node, group: VolumeGroupRecord) -> None:
        for lv in group.lvs:
            if lv.mount_point:
                with contextlib.suppress(FsError):  # something else is there: mount says so
                    node.fs.mkdir(lv.mount_point, parents=True)

    def vary_on(self, node: Node, name: str, *, concurrent: bool) -> Refused | None:
        group = self.table.group_named(node, name)
        if group is None:
            return not_found_vg("varyonvg", name)
        if concurrent and not group.concurrent_capable:
            return Refused(
                (f"0516-1436 varyonvg: The volume group {name} is not concurrent capable.",)
            )
        mode = CONCURRENT if concurrent else ACTIVE
        others = {sid: m for sid, m in group.modes.items() if sid != node.server_id}
        if others and (mode == ACTIVE or ACTIVE in others.values()):
            return Refused(
                (
                    "0516-013 varyonvg: The volume group cannot be varied on because",
                    "\tthere are no good copies of the descriptor area.",
                )
            )
        group.modes[node.server_id] = mode
        self.table.save_group(group)
        return None

    def vary_off(self, node: Node, name: str) -> Refused | None:
        group = self.table.group_named(node, name)
        if group is None:
            return not_found_vg("varyoffvg", name)
        if node.server_id not in group.modes:
            return Refused((f"0516-1160 varyoffvg: Volume group {name} is not varied on.",))
        if self._mounted_in(node, group):
            return Refused(
                (
                    "0516-012 lvm_varyoffvg: Logical volume must be closed.  If the logical",
                    "\tvolume contains a filesystem, the umount command will close",
                    "\tthe LV device.",
                    f"0516-942 varyoffvg: Unable to vary off volume group {name}.",
                )
            )
        del group.modes[node.server_id]
        self.table.save_group(group)
        return None

    def export_vg(self, node: Node, name: str) -> Refused | None:
        group = self.table.group_named(node, name)
        if group is None:
            return not_found_vg("exportvg", name)
        if node.server_id in group.modes:
            return Refused(
                ("0516-764 exportvg: The volume group must be varied off before exporting.",)
            )
        group.known_on.remove(node.server_id)
        self.table.save_group(group)
        return None

    def varied_on_here(self, node: Node, name: str) -> VolumeGroupRecord | Refused:
        group = self.table.group_named(node, name)
        if group is None:
            return not_found_vg("lsvg", name)
        if node.server_id not in group.modes:
            return must_be_varied_on("lsvg")
        return group

    # -- sizes ---------------------------------------------------------------------------
    def total_pps(self, group: VolumeGroupRecord) -> int:
        sizes = {d.key: d.size_mb for d in self._all_views(group)}
        return sum(pp_count(sizes.get(key, 0), group.pp_size_mb) for key in group.disks)

    def used_pps(self, group: VolumeGroupRecord) -> int:
        return sum(lv.lps for lv in group.lvs)

    def _all_views(self, group: VolumeGroupRecord) -> list[DiskView]:
        for server_id in group.known_on:
            node = self.table.world.node(server_id)
            if node is not None:
                return self.table.disks(node)
        return []

    # -- logical volumes and file systems ------------------------------------------------
    def make_lv(
        self, node: Node, vg_name: str, lv_name: str | None, lv_type: str, size: str
    ) -> LogicalVolume | Refused:
        group = self.table.group_named(node, vg_name)
        if group is None:
            return not_found_vg("mklv", vg_name)
        if node.server_id not in group.modes:
            return must_be_varied_on("mklv")
        lps = self._lps(size, group.pp_size_mb)
        if lps is None:
            return Refused(
                (
                    f"0516-1172 mklv: Invalid number of logical partitions: {size}.",
                    "Usage: mklv [-y LVname] [-t Type] VGname NumberOfLPs[M|G]",
                )
            )
        taken = self.lv_names(node)
        name = lv_name or next(
            f"lv{n:02d}" for n in range(len(taken) + 1) if f"lv{n:02d}" not in taken
        )
        if name in taken:
            return Refused(
                (
                    "0516-360 mklv: The device name is already used; choose a different name.",
                    "0516-822 mklv: Unable to create logical volume.",
                )
            )
        if self.used_pps(group) + lps > self.total_pps(group):
            return Refused(
                (
                    "0516-404 allocp: This system cannot fulfill the allocation request.",
                    "\tThere are not enough free partitions or not enough physical volumes ",
                    "\tto keep strictness and satisfy allocation requests.  The command",
                    "\tshould be retried with different allocation characteristics.",
                    "0516-822 mklv: Unable to create logical volume.",
                )
            )
        lv = LogicalVolume(name, lv_type, lps)
        group.lvs.append(lv)
        self.table.save_group(group)
        return lv

    def remove_lv(self, node: Node, name: str) -> None:
        found = self.find_lv(node, name)
        if found is not None:
            found[0].lvs.remove(found[1])
            self.table.save_group(found[0])

    @staticmethod
    def _lps(size: str, pp_size_mb: int) -> int | None:
        match = re.fullmatch(r"(\d+)([MmGg]?)", size)
        if match is None or int(match.group(1)) == 0:
            return None
        count, unit = int(match.group(1)), match.group(2).upper()
        if not unit:
            return count
        size_mb = count * (1024 if unit == "G" else 1)
        return -(-size_mb // pp_size_mb)

    def lv_names(self, node: Node) -> set[str]:
        return {lv.name for g in self.groups_here(node) for lv in g.lvs}

    def groups_here(self, node: Node) -> list[VolumeGroupRecord]:
        return [g for g in self.table.groups.values() if node.server_id in g.known_on]

    def find_lv(self, node: Node, name: str) -> tuple[VolumeGroupRecord, LogicalVolume] | None:
        name = name.removeprefix("/dev/")
        for group in self.groups_here(node):
            lv = group.lv(name)
            if lv is not None:
                return group, lv
        return None

    def make_fs(
        self, node: Node, lv_name: str, mount_point: str, auto: bool
    ) -> LogicalVolume | Refused:
        found = self.find_lv(node, lv_name)
        if found is None:
            return Refused(
                (
                    f"crfs: 0506-909 /dev/{lv_name.removeprefix('/dev/')} is not a "
                    "valid logical volume.",
                )
            )
        group, lv = found
        if node.server_id not in group.modes:
            return must_be_varied_on("crfs")
        if lv.mount_point is not None:
            return Refused((f"crfs: 0506-910 /dev/{lv.name} already has a file system.",))
        if any(mount_point == other.mount_point for g in self.groups_here(node) for other in g.lvs):
            return Refused((f"crfs: 0506-914 {mount_point} is already in /etc/filesystems.",))
        try:
            node.fs.mkdir(mount_point, parents=True)
        except FsError as error:
            return Refused(
                (f"crfs: 0506-933 Cannot make the mount point {mount_point}: {error.reason}.",)
            )
        lv.mount_point, lv.auto_mount = node.fs.normalize(mount_point), auto
        self.table.save_group(group)
        return lv

    def _mounted_in(self, node: Node, group: VolumeGroupRecord) -> bool:
        mounted = set(self.table.config(node).mounted)
        return any(lv.mount_point in mounted for lv in group.lvs)

    def file_system(
        self, node: Node, target: str
    ) -> tuple[VolumeGroupRecord, LogicalVolume] | None:
        """The LVM file system known here by its mount point or its /dev/ device."""
        for group in self.groups_here(node):
            for lv in group.lvs:
                if lv.mount_point is not None and target in (lv.mount_point, f"/dev/{lv.name}"):
                    return group, lv
        return None

    def mount(self, node: Node, target: str) -> Refused | None:
        found = self.file_system(node, target)
        if found is None:
            return Refused((f"mount: 0506-334 {target} is not a known file system.",))
        group, lv = found
        config = self.table.config(node)
        if node.server_id not in group.modes:
            return Refused(
                (
                    f"mount: 0506-324 Cannot mount /dev/{lv.name} on {lv.mount_point}: "
                    "There is an input or output error.",
                )
            )
        if lv.mount_point in config.mounted:
            return Refused(
                (
                    f"mount: 0506-324 Cannot mount /dev/{lv.name} on {lv.mount_point}: "
                    "The requested resource is busy.",
                )
            )
        config.mounted.append(lv.mount_point or "")
        self.table.save_config(config)
        return None

    def umount(self, node: Node, target: str) -> Refused | None:
        found = self.file_system(node, target)
        config = self.table.config(node)
        if found is None or found[1].mount_point not in config.mounted:
            return Refused(("umount: 0506-347 Cannot find anything to unmount.",))
        config.mounted.remove(found[1].mount_point or "")
        self.table.save_config(config)
        return None


def create_shared_vg(
    table: DiskTable,
    node: Node,
    members: list[Node],
    volume_ids: list[str],
    name: str,
    *,
    scalable: bool,
) -> list[str]:
    """What C-SPOC does for `clmgr add volume_group`: `mkvg -C` over the volumes on this node,
    `importvg` on every other member; the VG stays varied off until its resource group comes
    online. Returns the refusal lines ([] when made); a refusal leaves no VG behind."""
    lvm = Lvm(table)
    disks = [table.on_node(node, volume_id) for volume_id in volume_ids]
    made = lvm.make_vg(
        node,
        [disk for disk in disks if disk is not None],
        name=name,
        concurrent=True,
        scalable=scalable,
        pp_size_mb=None,
    )
    if isinstance(made, Refused):
        return list(made.lines)
    for other in members:
        if other.server_id == node.server_id:
            continue
        view = table.on_node(other, volume_ids[0])
        imported: Imported | Refused = (
            Refused(
                (f"0516-1939 importvg: the disks of {name} are not configured on {other.name}.",)
            )
            if view is None
            else lvm.import_vg(other, view, name)
        )
        if isinstance(imported, Refused):
            _undo_vg(table, made)
            return list(imported.lines)
    return []


def _undo_vg(table: DiskTable, group: VolumeGroupRecord) -> None:
    for key in group.disks:
        record = table.disk(key)
        record.vgid = None
        table.save_disk(record)
    table.drop_group(group)


def extend_shared_vg(
    table: DiskTable, node: Node, group: VolumeGroupRecord, disk: DiskView
) -> None:
    """What C-SPOC does for `clmgr modify volume_group VG ADD=hdiskN`: `extendvg` here (the
    disk keeps its PVID and joins the VG's descriptor areas), then every other node that knows
    the VG learns the new member (`importvg -L`); the caller has checked the disk."""
    table.write_pvid(node, disk)
    record = table.disk(disk.key)
    record.vgid = group.vgid
    table.save_disk(record)
    group.disks.append(disk.key)
    table.save_group(group)
