"""hdisks over PowerVC volumes: which volume is which hdisk on a node, PVIDs, reserve
policies, volume groups (placeholder: the disks model replaces this module; the methods below
are the contract the PowerHA model codes against)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from powerbridge.emulator.aix.node import Node
    from powerbridge.emulator.aix.world import AixWorld


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


class DiskTable:
    def __init__(self, world: AixWorld) -> None:
        self.world = world

    def disks(self, node: Node) -> list[DiskView]:
        """The node's configured hdisks in order (hdisk0 the boot disk)."""
        return []

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

    def set_varied_on(self, node: Node, volume_group: str, on: bool) -> None:
        """Vary a VG on or off on one node (`lspv` shows it active / concurrent there)."""
