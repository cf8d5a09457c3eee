"""clmgr for the topology: cluster, node, repository, network (add, modify, delete, query,
online, offline, sync, verify). Every change is checked whole before anything is made."""

from __future__ import annotations

from typing import TYPE_CHECKING

from powerbridge.emulator.aix.commands.base import Invocation
from powerbridge.emulator.aix.commands.clmgr_members import (
    add_node,
    add_repository,
    delete_node,
    delete_repository,
    network_handlers,
    query_repository,
)
from powerbridge.emulator.aix.commands.clmgr_output import (
    cluster_of,
    fail,
    no_cluster,
    print_objects,
    print_query,
    save_changed,
    split_list,
    unknown_attributes,
)
from powerbridge.emulator.aix.powerha import levels
from powerbridge.emulator.aix.powerha.model import ST_INIT, ST_STABLE, Cluster
from powerbridge.emulator.aix.powerha.repository import NOT_LOADED
from powerbridge.emulator.aix.powerha.sync import sync_errors
from powerbridge.emulator.aix.powerha.validation import (
    check_communication,
    find_nodes,
    repository_errors,
)

if TYPE_CHECKING:
    from powerbridge.emulator.aix.commands.clmgr import Handler, Request
    from powerbridge.emulator.aix.node import Node

CLUSTER_ATTRS = {
    "NODES",
    "REPOSITORIES",
    "REPOSITORY",
    "TYPE",
    "HEARTBEAT_TYPE",
    "SPLIT_POLICY",
    "MERGE_POLICY",
    "CLUSTER_IP",
    "FC_SYNC_INTERVAL",
    "RG_SETTLING_TIME",
    "TIEBREAKER",
}
SYNC_FAILED = [
    "ERROR: Updating the cluster in AIX failed. Check output for errors in local cluster "
    "configuration, correct them, and try synchronization again.",
    "cldare: Error detected during synchronization.",
]


def _cluster_options(inv: Invocation, request: Request, cluster: Cluster | None) -> list[str]:
    """The level-dependent attributes, checked against this node's PowerHA level."""
    version = inv.node.record.powerha_version or ""
    attrs = request.attrs
    ctype = attrs.get("TYPE", cluster.cluster_type if cluster else "NSC").upper()
    errors = unknown_attributes(request, CLUSTER_ATTRS)
    if ctype not in ("NSC", "SC", "LC"):
        errors.append(f'ERROR: "{ctype}" is not a valid value for TYPE. Valid values: NSC, SC, LC.')
    if "HEARTBEAT_TYPE" in attrs:
        errors += levels.check_heartbeat(version, attrs["HEARTBEAT_TYPE"].lower())
    if "SPLIT_POLICY" in attrs or "MERGE_POLICY" in attrs:
        split = attrs.get("SPLIT_POLICY", cluster.split_policy if cluster else "none").lower()
        merge = attrs.get("MERGE_POLICY", cluster.merge_policy if cluster else "majority")
        errors += levels.check_split_merge(
            version, ctype, split.replace("_", ""), merge.lower().replace("_", "")
        )
    return errors


def add_cluster(inv: Invocation, request: Request) -> int:
    registry, local = inv.world.clusters, inv.node
    existing = registry.of_node(local)
    if existing is not None:
        return fail(
            inv, [f'ERROR: node "{local.name}" is already a member of cluster "{existing.name}".']
        )
    errors = _cluster_options(inv, request, None)
    names = split_list(request.attrs.get("NODES", "")) or [local.name]
    if local.name not in names and local.name.split(".")[0] not in names:
        names.insert(0, local.name)
    nodes, found_errors = find_nodes(inv.world, local, names)
    errors += found_errors or check_communication(nodes)
    for node in nodes:
        other = registry.of_node(node)
        if other is not None:
            errors.append(
                f'ERROR: node "{node.name}" is already a member of cluster "{other.name}".'
            )
    repositories = split_list(
        request.attrs.get("REPOSITORIES", request.attrs.get("REPOSITORY", ""))
    )
    if not errors:
        for spec in repositories:
            errors += repository_errors(inv.world, local, nodes, spec)
    if errors:
        return fail(inv, errors)
    cluster = _new_cluster(inv, request, nodes)
    volumes = [inv.world.disks.find(local, spec) for spec in repositories]
    ids = [disk.volume_id for disk in volumes if disk is not None]
    cluster.repository, cluster.backup_repositories = (ids[0], ids[1:]) if ids else (None, [])
    registry.add(cluster)
    inv.out.line(
        f'Cluster "{cluster.name}" ({cluster.id}) has been created with nodes: '
        f"{' '.join(cluster.nodes)}."
    )
    if cluster.repository is None:
        inv.out.line('Add a repository disk with "clmgr add repository hdiskN".')
    return 0


def _new_cluster(inv: Invocation, request: Request, nodes: list[Node]) -> Cluster:
    version = inv.node.record.powerha_version or ""
    attrs = request.attrs
    return Cluster(
        id=inv.world.clusters.next_id(),
        name=request.name or f"cluster_{inv.node.name}",
        nodes=[node.name for node in nodes],
        server_ids={node.name: node.server_id for node in nodes},
        version=version,
        cluster_type=attrs.get("TYPE", "NSC").upper(),
        heartbeat_type=attrs.get("HEARTBEAT_TYPE", levels.default_heartbeat(version)).lower(),
        split_policy=attrs.get("SPLIT_POLICY", "none").lower().replace("_", ""),
        merge_policy=attrs.get("MERGE_POLICY", "majority").lower().replace("_", ""),
        node_states={node.name: ST_INIT for node in nodes},
    )


def modify_cluster(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    errors = _cluster_options(inv, request, cluster)
    if "NODES" in request.attrs or "REPOSITORIES" in request.attrs:
        errors.append("ERROR: use clmgr add/delete node and repository to change those.")
    if errors:
        return fail(inv, errors)
    attrs = request.attrs
    cluster.heartbeat_type = attrs.get("HEARTBEAT_TYPE", cluster.heartbeat_type).lower()
    cluster.split_policy = attrs.get("SPLIT_POLICY", cluster.split_policy).lower().replace("_", "")
    cluster.merge_policy = attrs.get("MERGE_POLICY", cluster.merge_policy).lower().replace("_", "")
    cluster.cluster_type = attrs.get("TYPE", cluster.cluster_type).upper()
    return save_changed(inv, cluster)


def delete_cluster(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    if cluster.active_nodes:
        active = ", ".join(cluster.active_nodes)
        return fail(
            inv,
            [
                f"ERROR: cluster services are active on: {active}. Stop them "
                f'("clmgr offline cluster") before deleting the cluster.'
            ],
        )
    if cluster.caa_active and cluster.repository:
        for node in inv.world.clusters.events.up_nodes(cluster):
            inv.world.disks.set_varied_on(node, "caavg_private", False)
        inv.world.disks.set_volume_group(cluster.repository, None)
    inv.world.clusters.delete(cluster)
    inv.out.line(f'The cluster "{cluster.name}" has been removed from every node.')
    return 0


def cluster_attributes(inv: Invocation, cluster: Cluster) -> dict[str, str]:
    disks = inv.world.disks
    repos = [
        disks.on_node(inv.node, v) for v in [cluster.repository or "", *cluster.backup_repositories]
    ]
    return {
        "CLUSTER_NAME": cluster.name,
        "CLUSTER_ID": cluster.id,
        "STATE": cluster.state,
        "TYPE": cluster.cluster_type,
        "HEARTBEAT_TYPE": cluster.heartbeat_type,
        "VERSION": cluster.version,
        "NODES": " ".join(cluster.nodes),
        "NUMBER_OF_NODES": str(len(cluster.nodes)),
        "REPOSITORIES": " ".join(d.name for d in repos if d is not None),
        "NETWORKS": " ".join(cluster.networks),
        "RESOURCE_GROUPS": " ".join(g.name for g in cluster.resource_groups),
        "SPLIT_POLICY": cluster.split_policy,
        "MERGE_POLICY": cluster.merge_policy,
        "LOCAL_HOSTNAME": inv.node.name,
        "UNSYNCED_CHANGES": "false" if cluster.synced else "true",
    }


def query_cluster(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    print_objects(inv, request, [cluster_attributes(inv, cluster)])
    return 0


def _verify(inv: Invocation, cluster: Cluster) -> list[str]:
    inv.out.line("Verifying clcomd communication, please be patient.")
    inv.out.line(
        f"Verifying the cluster configuration of {cluster.name} on {', '.join(cluster.nodes)}..."
    )
    return sync_errors(inv.world, inv.node, cluster)


def sync_cluster(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    errors = _verify(inv, cluster)
    if errors:
        return fail(inv, errors + SYNC_FAILED)
    inv.out.line("Committing any changes, as required, to all available nodes...")
    clock = inv.world.ctx.clock
    cluster.sync_due = clock.now() + clock.duration(inv.world.timing("cluster_sync", 15.0))
    cluster.synced = True
    inv.world.clusters.save(cluster)
    inv.out.line("Verification has completed normally.")
    return 0


def verify_cluster(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    errors = _verify(inv, cluster)
    if errors:
        return fail(inv, errors)
    inv.out.line("Verification has completed normally.")
    return 0


def _startable(inv: Invocation, cluster: Cluster, names: list[str]) -> list[str]:
    errors = [
        f'ERROR: "{n}" is not a node of cluster "{cluster.name}".'
        for n in names
        if n not in cluster.nodes
    ]
    if not cluster.synced:
        errors.append(
            "ERROR: the cluster configuration has changed since it was last "
            'synchronized. Run "clmgr sync cluster" before starting cluster services.'
        )
    if cluster.repository is None:
        errors.append('ERROR: no repository disk is defined: run "clmgr add repository hdiskN".')
    if cluster.repository_lost:
        errors += [f'ERROR: "{n}": {NOT_LOADED}' for n in names if cluster.state_of(n) == ST_INIT]
    events = inv.world.clusters.events
    for name in names:
        node = events.node(cluster, name)
        if node is None or not node.is_up or node.record.subsystems.get("clcomd") != "active":
            errors.append(f'ERROR: unable to communicate with "{name}"({name},)')
    return errors


def online(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    if request.cls == "cluster":
        names = [
            n
            for n in cluster.nodes
            if (nd := inv.world.clusters.events.node(cluster, n)) and nd.is_up
        ]
    else:
        names = _named_nodes(inv, request)
    errors = _startable(inv, cluster, names)
    if errors:
        return fail(inv, errors)
    manage, errors = _manage_option(request, ("auto", "manual", "delayed"))
    if errors:
        return fail(inv, errors)
    inv.world.clusters.events.start_nodes(cluster, names, manage)
    return _saved_services(inv, cluster, "Starting", names)


def offline(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    names = list(cluster.nodes) if request.cls == "cluster" else _named_nodes(inv, request)
    missing = [n for n in names if n not in cluster.nodes]
    if missing:
        return fail(
            inv, [f'ERROR: "{n}" is not a node of cluster "{cluster.name}".' for n in missing]
        )
    manage, errors = _manage_option(request, ("offline", "move", "unmanage"))
    if errors:
        return fail(inv, errors)
    inv.world.clusters.events.stop_nodes(cluster, names, manage)
    return _saved_services(inv, cluster, "Stopping", names)


def _saved_services(inv: Invocation, cluster: Cluster, doing: str, names: list[str]) -> int:
    """Save the cluster after an online/offline and say, node by node, what it is `doing`."""
    inv.world.clusters.save(cluster)
    for name in names:
        inv.out.line(f'{doing} PowerHA SystemMirror cluster services on node: "{name}".')
    return 0


def _named_nodes(inv: Invocation, request: Request) -> list[str]:
    """The nodes an online/offline names (by name or NODES), else the node it runs on."""
    return split_list(request.name or request.attrs.get("NODES", "")) or [inv.node.name]


def _manage_option(request: Request, valid: tuple[str, ...]) -> tuple[str, list[str]]:
    """MANAGE, lower-cased (the first valid value by default), and the error if it is not valid."""
    manage = request.attrs.get("MANAGE", valid[0]).lower()
    if manage in valid:
        return manage, []
    return manage, [
        f'ERROR: "{manage}" is not a valid value for MANAGE. Valid values: {", ".join(valid)}.'
    ]


def node_attributes(inv: Invocation, cluster: Cluster, name: str) -> dict[str, str]:
    node = inv.world.clusters.events.node(cluster, name)
    raw = cluster.state_of(name)
    state = {ST_INIT: "OFFLINE", ST_STABLE: "NORMAL"}.get(raw, "UNSTABLE")
    return {
        "NAME": name,
        "STATE": state,
        "RAW_STATE": raw,
        "HOSTNAME": name,
        "COMMPATH": node.addresses[0] if node and node.addresses else "",
        "VERSION": node.record.powerha_version or "" if node else "",
        "LOCALHOST": "true" if node is inv.node else "false",
        "NETWORKS": " ".join(cluster.networks),
        "RESOURCE_GROUPS": " ".join(g.name for g in cluster.resource_groups if name in g.nodes),
    }


def query_node(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    objects = {n: node_attributes(inv, cluster, n) for n in cluster.nodes}
    return print_query(inv, request, "node", objects)


HANDLERS: dict[tuple[str, str], Handler] = {
    ("add", "cluster"): add_cluster,
    ("modify", "cluster"): modify_cluster,
    ("delete", "cluster"): delete_cluster,
    ("query", "cluster"): query_cluster,
    ("sync", "cluster"): sync_cluster,
    ("verify", "cluster"): verify_cluster,
    ("online", "cluster"): online,
    ("offline", "cluster"): offline,
    ("online", "node"): online,
    ("offline", "node"): offline,
    ("query", "node"): query_node,
    ("add", "node"): add_node,
    ("delete", "node"): delete_node,
    ("add", "repository"): add_repository,
    ("delete", "repository"): delete_repository,
    ("query", "repository"): query_repository,
    **network_handlers(),
}
