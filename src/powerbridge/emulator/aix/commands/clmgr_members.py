"""clmgr for the cluster's members: nodes (add, delete), repository disks (the active one and
up to six backups) and networks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from powerbridge.emulator.aix.commands.base import Invocation
from powerbridge.emulator.aix.commands.clmgr_output import (
    cluster_of,
    fail,
    no_cluster,
    print_query,
    save_changed,
)
from powerbridge.emulator.aix.powerha.model import ST_INIT, Cluster
from powerbridge.emulator.aix.powerha.repository import RESTRICTED, use_repository
from powerbridge.emulator.aix.powerha.sync import cluster_nodes
from powerbridge.emulator.aix.powerha.validation import (
    check_communication,
    find_nodes,
    repository_errors,
)

if TYPE_CHECKING:
    from powerbridge.emulator.aix.commands.clmgr import Handler, Request

MAX_BACKUPS = 6  # backup repository disks per cluster (PowerHA 7.2 concepts)


def add_node(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    if not request.name:
        return fail(inv, ["ERROR: a node name is required."])
    if request.name in cluster.nodes:
        return fail(inv, [f'ERROR: "{request.name}" is already a node of "{cluster.name}".'])
    if cluster.repository_lost:
        return fail(inv, [RESTRICTED])
    new, errors = find_nodes(inv.world, inv.node, [request.name])
    members, missing = cluster_nodes(inv.world, cluster)
    errors += missing
    if new and inv.world.clusters.of_node(new[0]) is not None:
        errors.append(f'ERROR: node "{request.name}" is already a member of a cluster.')
    if not errors:
        errors += check_communication(members + new)
    if not errors and cluster.repository:
        disk = inv.world.disks.on_node(inv.node, cluster.repository)
        if disk is not None:
            errors += repository_errors(inv.world, inv.node, new, disk.name)
    if errors:
        return fail(inv, errors)
    node = new[0]
    cluster.nodes.append(node.name)
    cluster.server_ids[node.name] = node.server_id
    cluster.node_states[node.name] = ST_INIT
    return save_changed(inv, cluster)


def delete_node(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    name = request.name
    if name not in cluster.nodes:
        return fail(inv, [f'ERROR: "{name}" does not appear to exist!'])
    if cluster.state_of(name) != ST_INIT:
        return fail(inv, [f'ERROR: cluster services are active on "{name}": stop them first.'])
    groups = [g.name for g in cluster.resource_groups if name in g.nodes]
    if groups:
        return fail(inv, [f'ERROR: "{name}" is in resource group(s): {", ".join(groups)}.'])
    cluster.nodes.remove(name)
    cluster.server_ids.pop(name, None)
    cluster.node_states.pop(name, None)
    return save_changed(inv, cluster)


def add_repository(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    spec = request.name or request.attrs.get("DISK", "")
    nodes, errors = cluster_nodes(inv.world, cluster)
    errors += (
        repository_errors(inv.world, inv.node, nodes, spec)
        if spec
        else ["ERROR: a disk (hdiskN or PVID) is required."]
    )
    disk = inv.world.disks.find(inv.node, spec) if spec else None
    in_use = [cluster.repository, *cluster.backup_repositories]
    if request.action == "replace":
        in_use = [cluster.repository]
    if disk is not None and disk.volume_id in in_use:
        errors.append(f'ERROR: "{spec}" is already a repository disk of "{cluster.name}".')
    replacing = request.action == "replace" or cluster.repository_lost
    if not replacing and cluster.repository and len(cluster.backup_repositories) >= MAX_BACKUPS:
        errors.append("ERROR: a cluster has at most 6 backup repository disks.")
    if errors or disk is None:
        return fail(inv, errors)
    if replacing and cluster.repository is not None:
        use_repository(inv.world, cluster, disk.volume_id)
        inv.world.clusters.save(cluster)
        return 0
    if cluster.repository is None:
        cluster.repository = disk.volume_id
    else:
        cluster.backup_repositories.append(disk.volume_id)
    return save_changed(inv, cluster)


def delete_repository(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    disk = inv.world.disks.find(inv.node, request.name)
    if disk is None or disk.volume_id not in cluster.backup_repositories:
        if disk is not None and disk.volume_id == cluster.repository:
            return fail(
                inv,
                [
                    "ERROR: the active repository disk cannot be removed; replace "
                    "it with a backup repository first."
                ],
            )
        return fail(inv, [f'ERROR: "{request.name}" does not appear to exist!'])
    cluster.backup_repositories.remove(disk.volume_id)
    return save_changed(inv, cluster)


def query_repository(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    objects: dict[str, dict[str, str]] = {}
    volumes = [v for v in [cluster.repository] if v] + cluster.backup_repositories
    for volume_id in volumes:
        disk = inv.world.disks.on_node(inv.node, volume_id)
        if disk is None:
            continue
        active = volume_id == cluster.repository
        objects[disk.name] = {
            "NAME": disk.name,
            "NODE": inv.node.name,
            "PVID": disk.pvid or "none",
            "UUID": disk.udid,
            "BACKUP": "false" if active else "true",
            "TYPE": "mpioosdisk",
            "DESCRIPTION": "MPIO IBM 2076 FC Disk",
            "SIZE": str(disk.size_mb),
            "AVAILABLE": str(disk.size_mb),
            "STATUS": _repository_status(cluster, active),
        }
    return print_query(inv, request, "repository", objects)


def _repository_status(cluster: Cluster, active: bool) -> str:
    if not active:
        return "BACKUP"
    if cluster.repository_lost or not cluster.caa_active:
        return "DOWN"
    return "UP"


def query_network(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    nodes, _ = cluster_nodes(inv.world, cluster)
    objects = {}
    for name in cluster.networks:
        interfaces = [
            f"{n.name}:{n.record.interfaces[0].name}" for n in nodes if n.record.interfaces
        ]
        netmask = next((n.record.interfaces[0].netmask for n in nodes if n.record.interfaces), "")
        objects[name] = {
            "NAME": name,
            "TYPE": "ether",
            "NETMASK": netmask,
            "PUBLIC": "true",
            "NODES": " ".join(cluster.nodes),
            "INTERFACES": " ".join(interfaces),
            "RESOURCE_DIST_PREF": "AC",
        }
    return print_query(inv, request, "network", objects)


def add_network(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    if not request.name or request.name in cluster.networks:
        return fail(inv, [f'ERROR: "{request.name}" already exists or is not a valid name.'])
    cluster.networks.append(request.name)
    return save_changed(inv, cluster)


def delete_network(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    if request.name not in cluster.networks:
        return fail(inv, [f'ERROR: "{request.name}" does not appear to exist!'])
    users = [s.label for s in cluster.service_ips if s.network == request.name]
    if users:
        return fail(inv, [f'ERROR: "{request.name}" holds service IPs: {", ".join(users)}.'])
    cluster.networks.remove(request.name)
    return save_changed(inv, cluster)


def network_handlers() -> dict[tuple[str, str], Handler]:
    return {
        ("query", "network"): query_network,
        ("add", "network"): add_network,
        ("delete", "network"): delete_network,
        ("replace", "repository"): add_repository,
    }
