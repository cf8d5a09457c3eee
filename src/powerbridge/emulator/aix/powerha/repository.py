"""A lost CAA repository disk (a fault rule, or the volume gone from the nodes).

Every node logs `rep_disk_notify` (the message public sources show). From PowerHA 7.2.0 CAA
replaces the disk with the first backup repository at once (automatic repository
replacement); otherwise, or without a backup, the cluster runs in restricted mode: groups
stay where they are and can still be moved, but no node joins and the topology cannot change
until `clmgr replace repository hdiskN` (or `clmgr add repository`) names a new disk."""

from __future__ import annotations

from typing import TYPE_CHECKING

from powerbridge.emulator.aix.powerha import logs
from powerbridge.emulator.aix.powerha.levels import replaces_repository_automatically
from powerbridge.emulator.aix.powerha.model import Cluster

if TYPE_CHECKING:
    from powerbridge.emulator.aix.world import AixWorld

CAA_VG = "caavg_private"
RESTRICTED = (
    "ERROR: the cluster repository disk is not accessible, so the cluster is in restricted "
    'mode: replace it with "clmgr replace repository hdiskN" first.'
)
NOT_LOADED = "Repository disk was not found. Hence CAA is not loaded on local node."


def lose_repository(world: AixWorld, cluster: Cluster) -> None:
    lost = cluster.repository
    if lost is None or cluster.repository_lost:
        return
    stamp = logs.long_date(world.now())
    for index, name in enumerate(cluster.nodes, start=1):
        node = world.node(cluster.server_ids.get(name, ""))
        if node is None or not node.is_up:
            continue
        disk = world.disks.on_node(node, lost)
        hdisk = disk.name if disk is not None else "hdisk?"
        logs.note(
            [node],
            world.now(),
            f'ERROR: rep_disk_notify : {stamp} : Node "{name}"(0x{index:016x}) on '
            f"Cluster {cluster.name} has lost access to repository disk {hdisk}.",
        )
    if cluster.backup_repositories and replaces_repository_automatically(cluster.version):
        use_repository(world, cluster, cluster.backup_repositories.pop(0))
        return
    cluster.repository_lost = True


def use_repository(world: AixWorld, cluster: Cluster, volume_id: str) -> None:
    """Make this volume the active repository (a backup taking over, or a replacement)."""
    old = cluster.repository
    if old is not None and old != volume_id:
        world.disks.set_volume_group(old, None)
    cluster.repository = volume_id
    cluster.repository_lost = False
    if volume_id in cluster.backup_repositories:
        cluster.backup_repositories.remove(volume_id)
    if not cluster.caa_active:
        return
    world.disks.set_volume_group(volume_id, CAA_VG)
    for name in cluster.nodes:
        node = world.node(cluster.server_ids.get(name, ""))
        if node is not None and node.is_up:
            world.disks.set_varied_on(node, CAA_VG, True)
            disk = world.disks.on_node(node, volume_id)
            logs.note(
                [node],
                world.now(),
                f"CAA now uses {disk.name if disk else volume_id} as the repository disk "
                f"of cluster {cluster.name}.",
            )
