"""clmgr for the resources: service_ip, application_controller, application_monitor,
volume_group, logical_volume, file_system, resource_group (with move) and snapshot. Each add
or modify is checked on every node first; a refused one changes nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from powerbridge.emulator.aix.commands.base import Invocation
from powerbridge.emulator.aix.commands.clmgr_listing import delete_resource, query_resource
from powerbridge.emulator.aix.commands.clmgr_output import (
    cluster_of,
    fail,
    no_cluster,
    save_changed,
    split_list,
)
from powerbridge.emulator.aix.powerha.model import (
    DEFAULT_NETWORK,
    Controller,
    Monitor,
    ResourceGroup,
    ServiceIp,
    SharedVolumeGroup,
    Snapshot,
    Storage,
)
from powerbridge.emulator.aix.powerha.sync import cluster_nodes
from powerbridge.emulator.aix.powerha.validation import (
    group_resource_errors,
    policy_errors,
    script_errors,
    service_ip_errors,
    volume_errors,
)

if TYPE_CHECKING:
    from powerbridge.emulator.aix.commands.clmgr import Handler, Request

T = TypeVar("T")


def _put(items: list[T], old: T | None, new: T) -> None:
    """Put `new` in the place of `old` (a modify), or at the end when there is none (an add)."""
    if old is not None:
        items[items.index(old)] = new
    else:
        items.append(new)


def _named(request: Request, existing: list[str]) -> list[str]:
    if not request.name:
        return [f"ERROR: a {request.cls} name is required."]
    if request.action == "add" and request.name in existing:
        return [f'ERROR: "{request.name}" already exists.']
    return []


def _saved_name(request: Request, existing: list[str], found: bool) -> list[str]:
    """The name errors of an add or a modify (`found`: the object to modify exists)."""
    errors = _named(request, existing)
    if request.action == "modify" and not found:
        errors.append(f'ERROR: "{request.name}" does not appear to exist!')
    return errors


def add_service_ip(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    errors = _named(request, [s.label for s in cluster.service_ips])
    network = request.attrs.get("NETWORK", DEFAULT_NETWORK)
    if network not in cluster.networks:
        errors.append(f'ERROR: the network "{network}" does not exist.')
    nodes, missing = cluster_nodes(inv.world, cluster)
    address, ip_errors = service_ip_errors(nodes, request.name) if not errors else (None, [])
    errors += missing + ip_errors
    if errors or address is None:
        return fail(inv, errors)
    netmask = request.attrs.get("NETMASK", request.attrs.get("PREFIX", ""))
    cluster.service_ips.append(ServiceIp(request.name, address, network, netmask))
    return save_changed(inv, cluster)


def save_controller(inv: Invocation, request: Request) -> int:
    """`clmgr add|modify application_controller AC STARTSCRIPT=.. STOPSCRIPT=..`: the
    scripts must exist and be executable on every node."""
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    old = cluster.controller(request.name)
    errors = _saved_name(request, [c.name for c in cluster.controllers], old is not None)
    start = request.attrs.get("STARTSCRIPT", old.start_script if old else "")
    stop = request.attrs.get("STOPSCRIPT", old.stop_script if old else "")
    if not start or not stop:
        errors.append("ERROR: STARTSCRIPT and STOPSCRIPT are required.")
    nodes, missing = cluster_nodes(inv.world, cluster)
    errors += missing
    if not errors:
        errors += script_errors(nodes, start) + script_errors(nodes, stop)
    if errors:
        return fail(inv, errors)
    default_mode = old.startup_mode if old else "background"
    mode = request.attrs.get("STARTUP_MODE", default_mode).lower()
    controller = Controller(request.name, start, stop, mode)
    _put(cluster.controllers, old, controller)
    return save_changed(inv, cluster)


def add_monitor(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    errors = _named(request, [m.name for m in cluster.monitors])
    apps = split_list(request.attrs.get("APPLICATIONS", ""))
    known = [c.name for c in cluster.controllers]
    errors += [
        f'ERROR: the application controller "{a}" does not exist.' for a in apps if a not in known
    ]
    if not apps:
        errors.append("ERROR: APPLICATIONS is required.")
    if errors:
        return fail(inv, errors)
    extra = {k: v for k, v in request.attrs.items() if k != "APPLICATIONS"}
    cluster.monitors.append(Monitor(request.name, apps, extra))
    return save_changed(inv, cluster)


def add_volume_group(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    errors = _named(request, [v.name for v in cluster.volume_groups])
    names = split_list(request.attrs.get("NODES", "")) or list(cluster.nodes)
    errors += [
        f'ERROR: "{n}" is not a node of "{cluster.name}".' for n in names if n not in cluster.nodes
    ]
    members = [n for n in cluster_nodes(inv.world, cluster)[0] if n.name in names]
    volume_ids = []
    for spec in split_list(request.attrs.get("PHYSICAL_VOLUMES", "")):
        disk = inv.world.disks.find(inv.node, spec)
        if disk is None:
            errors.append(f'ERROR: "{spec}" is not a valid physical volume on "{inv.node.name}".')
            continue
        if disk.volume_id in [cluster.repository, *cluster.backup_repositories]:
            errors.append(f'ERROR: "{spec}" is a repository disk.')
        errors += volume_errors(inv.world, members, disk, repository=False, vg=request.name)
        volume_ids.append(disk.volume_id)
    if not volume_ids and not errors:
        errors.append("ERROR: PHYSICAL_VOLUMES is required.")
    group = (
        cluster.group(request.attrs.get("RESOURCE_GROUP", ""))
        if "RESOURCE_GROUP" in request.attrs
        else None
    )
    if "RESOURCE_GROUP" in request.attrs and group is None:
        errors.append(
            f'ERROR: the resource group "{request.attrs["RESOURCE_GROUP"]}" does not exist.'
        )
    vg_type = request.attrs.get("TYPE", "scalable").lower()
    if not errors:
        refused = inv.world.disks.create_shared_vg(
            inv.node, members, volume_ids, request.name, scalable=vg_type == "scalable"
        )
        errors += [f"ERROR: {line.strip()}" for line in refused]
    if errors:
        return fail(inv, errors)
    cluster.volume_groups.append(SharedVolumeGroup(request.name, names, volume_ids, vg_type))
    if group is not None:
        group.volume_groups.append(request.name)
    return save_changed(inv, cluster)


def add_storage(inv: Invocation, request: Request) -> int:
    """A logical volume or a file system over a shared volume group."""
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    target = cluster.logical_volumes if request.cls == "logical_volume" else cluster.file_systems
    errors = _named(request, [s.name for s in target])
    vg = request.attrs.get("VOLUME_GROUP", "")
    lv_name = request.attrs.get("LOGICAL_VOLUME", "")
    if request.cls == "file_system" and not vg and lv_name:
        # IBM's second form: `clmgr add file_system MOUNT LOGICAL_VOLUME=lv` (the LV's VG)
        lv = next((s for s in cluster.logical_volumes if s.name == lv_name), None)
        if lv is None:
            return fail(inv, [f'ERROR: the logical volume "{lv_name}" does not exist.'])
        vg = lv.volume_group
    if cluster.volume_group(vg) is None:
        errors.append(
            f'ERROR: the volume group "{vg}" is not a shared volume group of the cluster.'
        )
    if errors:
        return fail(inv, errors)
    target.append(
        Storage(request.name, vg, {k: v for k, v in request.attrs.items() if k != "VOLUME_GROUP"})
    )
    return save_changed(inv, cluster)


def _group_from(request: Request, base: ResourceGroup) -> ResourceGroup:
    attrs = request.attrs
    lists = {
        "nodes": "NODES",
        "service_labels": "SERVICE_LABEL",
        "applications": "APPLICATIONS",
        "volume_groups": "VOLUME_GROUP",
    }
    changes: dict[str, object] = {
        field: split_list(attrs[key]) for field, key in lists.items() if key in attrs
    }
    for field, key in (("startup", "STARTUP"), ("fallover", "FALLOVER"), ("fallback", "FALLBACK")):
        if key in attrs:
            changes[field] = attrs[key].upper()
    if "NODE_PRIORITY_POLICY" in attrs:
        changes["node_priority_policy"] = attrs["NODE_PRIORITY_POLICY"].lower()
    return replace(base, **changes)  # type: ignore[arg-type]


GROUP_ATTRS = {
    "NODES",
    "SERVICE_LABEL",
    "APPLICATIONS",
    "VOLUME_GROUP",
    "STARTUP",
    "FALLOVER",
    "FALLBACK",
    "NODE_PRIORITY_POLICY",
    "FILESYSTEM",
    "FS_BEFORE_IPADDR",
}


def save_group(inv: Invocation, request: Request) -> int:
    """`clmgr add resource_group` and `clmgr modify resource_group`: the new definition is
    built apart and checked whole before it replaces anything."""
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    old = cluster.group(request.name)
    errors = _saved_name(request, [g.name for g in cluster.resource_groups], old is not None)
    if old is not None and old.holders and request.action == "modify" and "NODES" in request.attrs:
        errors.append(f'ERROR: "{request.name}" is online: bring it offline to change its nodes.')
    errors += [
        f'ERROR: "{a}" is not a valid attribute for resource_group.'
        for a in request.attrs
        if a not in GROUP_ATTRS
    ]
    if errors:
        return fail(inv, errors)
    base = old if old is not None else ResourceGroup(request.name, [])
    group = _group_from(request, base)
    if not group.nodes:
        errors.append("ERROR: NODES is required.")
    errors += policy_errors(group) + group_resource_errors(cluster, group)
    if errors:
        return fail(inv, errors)
    _put(cluster.resource_groups, old, group)
    return save_changed(inv, cluster)


def move_group(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    group = cluster.group(request.name)
    target = request.attrs.get("NODE", "")
    if group is None:
        return fail(inv, [f'ERROR: "{request.name}" does not appear to exist!'])
    errors = []
    if target not in group.nodes:
        errors.append(f'ERROR: "{target}" is not a node of resource group "{group.name}".')
    elif target not in cluster.stable_nodes:
        errors.append(f'ERROR: cluster services are not stable on node "{target}".')
    elif target in group.holders:
        errors.append(f'ERROR: "{group.name}" is already online on "{target}".')
    if errors:
        return fail(inv, errors)
    inv.world.clusters.events.move_group(cluster, group, target)
    inv.world.clusters.save(cluster)
    inv.out.line(f"Attempting to move resource group {group.name} to node {target}.")
    return 0


def add_snapshot(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    errors = _named(request, [s.name for s in cluster.snapshots])
    if errors:
        return fail(inv, errors)
    description = request.attrs.get("DESCRIPTION", "")
    snapshot = Snapshot(request.name, description, inv.world.now(), cluster.configuration())
    cluster.snapshots.append(snapshot)
    inv.world.clusters.save(cluster)
    inv.out.line(f"clsnapshot: Succeeded creating Cluster Snapshot: {request.name}")
    return 0


RESOURCE_CLASSES = (
    "service_ip",
    "application_controller",
    "application_monitor",
    "volume_group",
    "logical_volume",
    "file_system",
    "resource_group",
    "snapshot",
)  # the classes a generic query or delete serves

HANDLERS: dict[tuple[str, str], Handler] = {
    ("add", "service_ip"): add_service_ip,
    ("add", "application_controller"): save_controller,
    ("modify", "application_controller"): save_controller,
    ("add", "application_monitor"): add_monitor,
    ("add", "volume_group"): add_volume_group,
    ("add", "logical_volume"): add_storage,
    ("add", "file_system"): add_storage,
    ("add", "resource_group"): save_group,
    ("modify", "resource_group"): save_group,
    ("move", "resource_group"): move_group,
    ("add", "snapshot"): add_snapshot,
    **{("query", cls): query_resource for cls in RESOURCE_CLASSES},
    **{("delete", cls): delete_resource for cls in RESOURCE_CLASSES},
}
