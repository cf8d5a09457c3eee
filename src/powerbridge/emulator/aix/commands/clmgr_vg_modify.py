"""`clmgr modify volume_group VG ADD=hdiskN[,hdiskM]`: C-SPOC's extendvg of a shared volume
group, run on one node and learnt by every node that knows the group (as C-SPOC's
`importvg -L` does). The disks pass the checks a shared disk passes at `clmgr add
volume_group` on every member node (visible, PVID read, in no other VG, no_reserve); a refused
change changes nothing. Only `ADD` is simulated; the change wants a sync like any other."""

from __future__ import annotations

from typing import TYPE_CHECKING

from powerbridge.emulator.aix.commands.base import Invocation
from powerbridge.emulator.aix.commands.clmgr_output import (
    cluster_of,
    fail,
    no_cluster,
    save_changed,
    split_list,
    unknown_attributes,
)
from powerbridge.emulator.aix.lvm import extend_shared_vg
from powerbridge.emulator.aix.powerha.sync import cluster_nodes
from powerbridge.emulator.aix.powerha.validation import volume_errors

if TYPE_CHECKING:
    from powerbridge.emulator.aix.commands.clmgr import Handler, Request
    from powerbridge.emulator.aix.disks import DiskView
    from powerbridge.emulator.aix.powerha.model import Cluster, SharedVolumeGroup


def _disk_errors(
    inv: Invocation, cluster: Cluster, shared: SharedVolumeGroup, name: str
) -> tuple[DiskView | None, list[str]]:
    disk = inv.world.disks.find(inv.node, name)
    if disk is None:
        return None, [f'ERROR: "{name}" is not a valid physical volume on "{inv.node.name}".']
    if disk.volume_id in [cluster.repository, *cluster.backup_repositories]:
        return None, [f'ERROR: "{name}" is a repository disk.']
    if disk.volume_id in shared.volume_ids:
        return None, [f'ERROR: "{name}" is already a member of volume group "{shared.name}".']
    members = [n for n in cluster_nodes(inv.world, cluster)[0] if n.name in shared.nodes]
    return disk, volume_errors(inv.world, members, disk, repository=False, vg=shared.name)


def modify_volume_group(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    shared = cluster.volume_group(request.name)
    if shared is None:
        return fail(inv, [f'ERROR: "{request.name}" does not appear to exist!'])
    errors = unknown_attributes(request, {"ADD"})
    names = split_list(request.attrs.get("ADD", ""))
    if not names and not errors:
        errors.append("ERROR: nothing to change: give ADD=hdiskN[,hdiskM...].")
    disks = []
    for name in names:
        disk, found = _disk_errors(inv, cluster, shared, name)
        errors += found
        if disk is not None:
            disks.append(disk)
    group = inv.world.disks.group_named(inv.node, shared.name)
    if group is None and not errors:
        errors.append(f'ERROR: the volume group "{shared.name}" is not known on "{inv.node.name}".')
    if errors or group is None:
        return fail(inv, errors)
    for disk in disks:
        extend_shared_vg(inv.world.disks, inv.node, group, disk)
        shared.volume_ids.append(disk.volume_id)
    return save_changed(inv, cluster)


HANDLERS: dict[tuple[str, str], Handler] = {("modify", "volume_group"): modify_volume_group}
