"""hdisks over PowerVC volumes: which volume is which hdisk on a node, PVIDs, reserve
policies and the volume groups disks belong to.

The contract other models code against (the PowerHA model among them):
- `disks(node)`: the node's Available hdisks in hdisk-number order, as `DiskView` rows:
  hdisk0 the boot disk (rootvg; the boot volume when the server boots from one, else an
  image-backed disk of the flavor's size), then one per attached volume in attachment order.
  `pvid` is None while this node has not read one (`none` in lspv), `volume_group` None when
  the disk is in no VG known here, `reserve_policy` is this node's, `size_mb` the volume's
  size in GB x 1024, `wwn` the LUN's (the volume metadata's `volume_wwn`), `udid` the
  unique_id AIX builds from it.
- `find(node, name_or_pvid)`, `on_node(node, volume_id)`: one of those rows.
- `set_volume_group(volume_id, vg)`: write a VG name on the disk, seen on every node
  (`caavg_private` marks a CAA repository; None clears it).
- `set_varied_on(node, vg, on)`: vary a VG on or off on one node; an enhanced concurrent VG
  (and any VG set through `set_volume_group` but caavg_private) shows `concurrent` there,
  others `active`. caavg_private is `active` on every node until varied off on one.

Rules: a node configures the volumes attached at its boot; a volume attached later becomes an
hdisk only after `cfgmgr` there (`cfgmgr`); a detached volume disappears from the node's disks
at once, while its hdisk number stays reserved in the node's ODM (`lsdev` shows it Defined)
and comes back after `cfgmgr` when the volume is attached again. hdisk numbers are stable; a
new disk takes the lowest free number. A PVID written by one node (`write_pvid`) is seen by
that node at once and by another after its own `cfgmgr`. A node going down loses its varied-on
VGs and mounts; a node coming up runs cfgmgr.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from powerbridge.emulator.aix.disk_records import (
    ACTIVE,
    CAA_VG,
    CONCURRENT,
    DISK_KIND,
    NODE_DISKS_KIND,
    ROOTVG,
    SINGLE_PATH,
    VG_KIND,
    DiskRecord,
    NodeDisks,
    VolumeGroupRecord,
    boot_disk_key,
    make_pvid,
    udid,
)
from powerbridge.emulator.aix.lvm import create_shared_vg
from powerbridge.emulator.aix.node import DOWN
from powerbridge.emulator.backend.volume_identity import volume_wwn

if TYPE_CHECKING:
    from powerbridge.emulator.aix.node import Node
    from powerbridge.emulator.aix.world import AixWorld

DEFAULT_BOOT_GB = 20  # an image-backed boot disk when the flavor names no disk size


@dataclass(frozen=True)
class DiskView:
    """One hdisk as one node sees it now."""

    name: str  # hdiskN on this node
    volume_id: str  # the PowerVC volume behind it ("" for a boot disk without a volume)
    size_mb: int
    pvid: str | None  # None: no PVID read on this node yet ("none" in lspv)
    volume_group: str | None  # rootvg, caavg_private, datavg..., None: in no VG
    reserve_policy: str  # single_path | no_reserve | ...
    udid: str
    wwn: str
    state: str = ""  # lspv's state column here: active | concurrent | ""
    key: str = ""  # the disk's key in the records (the volume id, or boot-<server id>)


@dataclass(frozen=True)
class Lun:
    """A LUN mapped to the node's server now."""

    key: str
    volume_id: str
    size_mb: int
    wwn: str


class DiskTable:
    def __init__(self, world: AixWorld) -> None:
        self.world = world
        store = world.ctx.store
        self._disks = {b["key"]: DiskRecord.from_json(b) for b in store.load(DISK_KIND)}
        self._nodes = {b["server_id"]: NodeDisks.from_json(b) for b in store.load(NODE_DISKS_KIND)}
        self.groups = {b["vgid"]: VolumeGroupRecord.from_json(b) for b in store.load(VG_KIND)}
        world.on_node_state(self._on_node_state)

    # -- the contract --------------------------------------------------------------------
    def disks(self, node: Node) -> list[DiskView]:
        """The node's configured hdisks in order (hdisk0 the boot disk)."""
        config = self.config(node)
        luns = self.luns(node)
        attached = {lun.key: lun for lun in luns}
        keys = [key for key in config.configured if key in attached]
        keys.sort(key=lambda key: config.numbers[key])
        boot = luns[0].key if luns else ""
        return [self._view(node, config, attached[key], key == boot) for key in keys]

    def find(self, node: Node, name_or_pvid: str) -> DiskView | None:
        """An hdisk of this node by name (`hdisk3`) or by the PVID the node has read."""
        for disk in self.disks(node):
            if name_or_pvid in (disk.name, disk.pvid):
                return disk
        return None

    def on_node(self, node: Node, volume_id: str) -> DiskView | None:
        """This volume as an hdisk of this node, if the node has configured it."""
        for disk in self.disks(node):
            if disk.volume_id == volume_id:
                return disk
        return None

    def set_volume_group(self, volume_id: str, volume_group: str | None) -> None:
        """Record the VG a volume belongs to (caavg_private for a CAA repository)."""
        record = self.disk(volume_id)
        record.label = volume_group
        self.save_disk(record)

    def create_shared_vg(
        self, node: Node, members: list[Node], volume_ids: list[str], name: str, *, scalable: bool
    ) -> list[str]:
        """An enhanced concurrent VG over shared volumes, made here and imported on the other
        members (`clmgr add volume_group`); the refusal lines, or [] when made."""
        return create_shared_vg(self, node, members, volume_ids, name, scalable=scalable)

    def set_varied_on(self, node: Node, volume_group: str, on: bool) -> None:
        """Vary a VG on or off on one node (`lspv` shows it active / concurrent there)."""
        group = self.group_named(node, volume_group)
        if group is not None:
            if on:
                group.modes[node.server_id] = CONCURRENT if group.concurrent_capable else ACTIVE
            else:
                group.modes.pop(node.server_id, None)
            self.save_group(group)
            return
        config = self.config(node)
        mode = ACTIVE if volume_group == CAA_VG else CONCURRENT
        config.label_modes[volume_group] = mode if on else ""
        self.save_config(config)

    # -- what the node's server has mapped ------------------------------------------------
    def luns(self, node: Node) -> list[Lun]:
        """The boot LUN, then every attached volume in attachment order."""
        server = self.world.servers.find(node.server_id)
        if server is None:
            return []
        mapped = [m for m in server.mappings() if m.attached]
        boot = next((m for m in mapped if m.boot_index == 0), None)
        if boot is not None:
            luns = [self._volume_lun(boot.volume_id)]
        else:
            size_gb = int(server.flavor.get("disk") or 0) or DEFAULT_BOOT_GB
            key = boot_disk_key(node.server_id)
            luns = [Lun(key, "", size_gb * 1024, volume_wwn(key))]
        luns += [self._volume_lun(m.volume_id) for m in mapped if m is not boot]
        return luns

    def _volume_lun(self, volume_id: str) -> Lun:
        volume = self.world.volumes.volumes.get(volume_id)
        size_gb = volume.size if volume is not None else 0
        return Lun(volume_id, volume_id, size_gb * 1024, volume_wwn(volume_id))

    # -- the node's device configuration --------------------------------------------------
    def config(self, node: Node) -> NodeDisks:
        """The node's ODM for disks; a node seen for the first time configures what its
        server has attached, as its first boot did."""
        config = self._nodes.get(node.server_id)
        if config is None:
            config = NodeDisks(node.server_id)
            self._nodes[node.server_id] = config
            self.cfgmgr(node)
        return config

    def cfgmgr(self, node: Node) -> None:
        """Configure every LUN mapped now (new ones take the next free hdisk number) and read
        the PVIDs written on them."""
        config = self._nodes.setdefault(node.server_id, NodeDisks(node.server_id))
        luns = self.luns(node)
        for index, lun in enumerate(luns):
            if lun.key not in config.numbers:
                free_zero = index == 0 and 0 not in config.numbers.values()
                config.numbers[lun.key] = 0 if free_zero else config.next_number()
            if index == 0:
                self._ensure_boot_pvid(node, lun.key)
        config.configured = [lun.key for lun in luns]
        for lun in luns:
            pvid = self.disk(lun.key).pvid
            if pvid is None:
                config.pvids.pop(lun.key, None)
            else:
                config.pvids[lun.key] = pvid
        self.save_config(config)

    def _ensure_boot_pvid(self, node: Node, key: str) -> None:
        record = self.disk(key)
        if record.pvid is None:  # the AIX install wrote it
            record.pvid = make_pvid(node.server_id, key)
            self.save_disk(record)

    def write_pvid(self, node: Node, disk: DiskView) -> str:
        """`chdev -a pv=yes`: a disk keeps the PVID it has; this node reads it at once."""
        record = self.disk(disk.key)
        if record.pvid is None:
            record.pvid = make_pvid(node.server_id, disk.key)
            self.save_disk(record)
        config = self.config(node)
        config.pvids[disk.key] = record.pvid
        self.save_config(config)
        return record.pvid

    def clear_pvid(self, node: Node, disk: DiskView) -> None:
        """`chdev -a pv=clear`: the PVID is wiped from the disk (other nodes keep what their
        ODM read until their cfgmgr)."""
        record = self.disk(disk.key)
        record.pvid = None
        self.save_disk(record)
        config = self.config(node)
        config.pvids.pop(disk.key, None)
        self.save_config(config)

    def set_reserve(self, node: Node, disk: DiskView, policy: str) -> None:
        config = self.config(node)
        config.reserve[disk.key] = policy
        self.save_config(config)

    def defined(self, node: Node) -> list[tuple[str, str]]:
        """(hdisk name, key) of every disk in the node's ODM, Available or not, by number."""
        config = self.config(node)
        rows = sorted(config.numbers.items(), key=lambda item: item[1])
        return [(f"hdisk{number}", key) for key, number in rows]

    # -- views ---------------------------------------------------------------------------
    def _view(self, node: Node, config: NodeDisks, lun: Lun, boot: bool) -> DiskView:
        group, state = (ROOTVG, ACTIVE) if boot else self._membership(node, config, lun.key)
        return DiskView(
            name=f"hdisk{config.numbers[lun.key]}",
            volume_id=lun.volume_id,
            size_mb=lun.size_mb,
            pvid=config.pvids.get(lun.key),
            volume_group=group,
            reserve_policy=config.reserve.get(lun.key, SINGLE_PATH),
            udid=udid(lun.wwn),
            wwn=lun.wwn,
            state=state,
            key=lun.key,
        )

    def _membership(self, node: Node, config: NodeDisks, key: str) -> tuple[str | None, str]:
        """The VG this node sees the disk in, and lspv's state column for it."""
        record = self._disks.get(key)
        if record is None:
            return None, ""
        if record.label is not None:
            default = ACTIVE if record.label == CAA_VG else ""
            return record.label, config.label_modes.get(record.label, default)
        group = self.groups.get(record.vgid or "")
        if group is None or node.server_id not in group.known_on:
            return None, ""
        return group.name, group.modes.get(node.server_id, "")

    # -- records -------------------------------------------------------------------------
    def disk(self, key: str) -> DiskRecord:
        record = self._disks.get(key)
        if record is None:
            record = DiskRecord(key)
            self._disks[key] = record
        return record

    def group_named(self, node: Node, name: str) -> VolumeGroupRecord | None:
        """The volume group this node knows by that name."""
        for group in self.groups.values():
            if group.name == name and node.server_id in group.known_on:
                return group
        return None

    def save_disk(self, record: DiskRecord) -> None:
        self.world.ctx.store.put(DISK_KIND, record.key, record.to_json())

    def save_config(self, config: NodeDisks) -> None:
        self.world.ctx.store.put(NODE_DISKS_KIND, config.server_id, config.to_json())

    def save_group(self, group: VolumeGroupRecord) -> None:
        self.world.ctx.store.put(VG_KIND, group.vgid, group.to_json())

    def drop_group(self, group: VolumeGroupRecord) -> None:
        self.groups.pop(group.vgid, None)
        self.world.ctx.store.delete(VG_KIND, group.vgid)

    # -- node lifecycle ------------------------------------------------------------------
    def _on_node_state(self, node: Node, old: str, new: str) -> None:
        if new == DOWN:  # a stopped or crashed LPAR holds no VG and mounts nothing
            for group in self.groups.values():
                if group.modes.pop(node.server_id, None) is not None:
                    self.save_group(group)
            config = self.config(node)
            config.mounted.clear()
            config.label_modes.clear()  # CAA comes back with the node
            self.save_config(config)
        elif old == DOWN:  # booting: the boot's cfgmgr configures every mapped LUN
            self.cfgmgr(node)
