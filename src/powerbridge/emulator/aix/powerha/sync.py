"""What `clmgr sync cluster` and `clmgr verify cluster` check on every node before they
propagate: clcomd communication, host names, the repository disk (same volume, PVID read,
no other VG, no_reserve), the service labels, the application scripts and the shared VGs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from powerbridge.emulator.aix.powerha.model import Cluster
from powerbridge.emulator.aix.powerha.validation import (
    check_communication,
    script_errors,
    service_ip_errors,
    volume_errors,
)

if TYPE_CHECKING:
    from powerbridge.emulator.aix.disks import DiskView
    from powerbridge.emulator.aix.node import Node
    from powerbridge.emulator.aix.world import AixWorld

CAA_VG = "caavg_private"


def cluster_nodes(world: AixWorld, cluster: Cluster) -> tuple[list[Node], list[str]]:
    nodes, errors = [], []
    for name in cluster.nodes:
        node = world.node(cluster.server_ids.get(name, ""))
        if node is None:
            errors.append(f'ERROR: unable to communicate with "{name}"({name},)')
        else:
            nodes.append(node)
    return nodes, errors


def sync_errors(world: AixWorld, local: Node, cluster: Cluster) -> list[str]:
    nodes, errors = cluster_nodes(world, cluster)
    errors += check_communication(nodes)
    if errors:
        return errors
    if cluster.repository is None:
        errors.append('ERROR: no repository disk is defined: run "clmgr add repository hdiskN".')
    for volume_id in [v for v in [cluster.repository] if v] + cluster.backup_repositories:
        disk = world.disks.on_node(local, volume_id)
        if disk is None:
            errors.append(
                f'ERROR: Repository disk was not found on node "{local.name}". Hence CAA is '
                f"not loaded on local node."
            )
            continue
        errors += volume_errors(world, nodes, disk, repository=True, vg=CAA_VG)
    for service in cluster.service_ips:
        errors += service_ip_errors(nodes, service.label)[1]
    for controller in cluster.controllers:
        errors += script_errors(nodes, controller.start_script)
        errors += script_errors(nodes, controller.stop_script)
    for vg in cluster.volume_groups:
        members = [n for n in nodes if n.name in vg.nodes]
        for volume_id in vg.volume_ids:
            disk = world.disks.on_node(local, volume_id) or _first_view(world, members, volume_id)
            if disk is not None:
                errors += volume_errors(world, members, disk, repository=False, vg=vg.name)
    return errors


def _first_view(world: AixWorld, nodes: list[Node], volume_id: str) -> DiskView | None:
    for node in nodes:
        disk = world.disks.on_node(node, volume_id)
        if disk is not None:
            return disk
    return None
