"""clmgr query and delete for the resource classes: each object's attributes as clmgr
prints them, and removal refused while a resource group uses the object or is online."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from powerbridge.emulator.aix.commands.base import Invocation
from powerbridge.emulator.aix.commands.clmgr_output import cluster_of, fail, no_cluster, print_query
from powerbridge.emulator.aix.powerha.model import Cluster, ResourceGroup

if TYPE_CHECKING:
    from powerbridge.emulator.aix.commands.clmgr import Request

Attributes = dict[str, str]


def group_attributes(group: ResourceGroup) -> Attributes:
    return {
        "NAME": group.name,
        "CURRENT_NODE": group.current_node,
        "NODES": " ".join(group.nodes),
        "STATE": group.summary_state,
        "TYPE": "",
        "STARTUP": group.startup,
        "FALLOVER": group.fallover,
        "FALLBACK": group.fallback,
        "NODE_PRIORITY_POLICY": group.node_priority_policy or "default",
        "SERVICE_LABEL": " ".join(group.service_labels),
        "APPLICATIONS": " ".join(group.applications),
        "VOLUME_GROUP": " ".join(group.volume_groups),
    }


def _user(cluster: Cluster, name: str) -> str:
    for group in cluster.resource_groups:
        if name in group.service_labels + group.applications + group.volume_groups:
            return group.name
    return ""


def _objects(inv: Invocation, cluster: Cluster, cls: str) -> dict[str, Attributes]:
    builders: dict[str, Callable[[], dict[str, Attributes]]] = {
        "service_ip": lambda: {
            s.label: {
                "NAME": s.label,
                "IPADDR": s.address,
                "NETWORK": s.network,
                "NETMASK": s.netmask,
                "RESOURCE_GROUP": _user(cluster, s.label),
                "CURRENT_NODE": _holder(cluster, s.label),
            }
            for s in cluster.service_ips
        },
        "application_controller": lambda: {
            c.name: {
                "NAME": c.name,
                "STARTSCRIPT": c.start_script,
                "STOPSCRIPT": c.stop_script,
                "STARTUP_MODE": c.startup_mode,
                "RESOURCE_GROUP": _user(cluster, c.name),
                "MONITORS": " ".join(m.name for m in cluster.monitors if c.name in m.applications),
            }
            for c in cluster.controllers
        },
        "application_monitor": lambda: {
            m.name: {"NAME": m.name, "APPLICATIONS": " ".join(m.applications), **m.attributes}
            for m in cluster.monitors
        },
        "volume_group": lambda: {
            v.name: {
                "NAME": v.name,
                "NODES": " ".join(v.nodes),
                "TYPE": v.vg_type.upper(),
                "CONCURRENT_ACCESS": "true",
                "RESOURCE_GROUP": _user(cluster, v.name),
                "PHYSICAL_VOLUMES": " ".join(_disk_names(inv, v.volume_ids)),
            }
            for v in cluster.volume_groups
        },
        "logical_volume": lambda: {
            s.name: {"NAME": s.name, "VOLUME_GROUP": s.volume_group, **s.attributes}
            for s in cluster.logical_volumes
        },
        "file_system": lambda: {
            s.name: {"NAME": s.name, "VOLUME_GROUP": s.volume_group, **s.attributes}
            for s in cluster.file_systems
        },
        "resource_group": lambda: {g.name: group_attributes(g) for g in cluster.resource_groups},
        "snapshot": lambda: {
            s.name: {
                "NAME": s.name,
                "DESCRIPTION": s.description,
                "CREATED": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s.created)),
            }
            for s in cluster.snapshots
        },
    }
    return builders[cls]()


def _holder(cluster: Cluster, label: str) -> str:
    for group in cluster.resource_groups:
        if label in group.service_labels:
            return group.current_node
    return ""


def _disk_names(inv: Invocation, volume_ids: list[str]) -> list[str]:
    views = (inv.world.disks.on_node(inv.node, v) for v in volume_ids)
    return [view.name for view in views if view is not None]


def query_resource(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    return print_query(inv, request, request.cls, _objects(inv, cluster, request.cls))


def _collection(cluster: Cluster, cls: str) -> list[Any]:
    collections: dict[str, list[Any]] = {
        "service_ip": cluster.service_ips,
        "application_controller": cluster.controllers,
        "application_monitor": cluster.monitors,
        "volume_group": cluster.volume_groups,
        "logical_volume": cluster.logical_volumes,
        "file_system": cluster.file_systems,
        "resource_group": cluster.resource_groups,
        "snapshot": cluster.snapshots,
    }
    return collections[cls]


def delete_resource(inv: Invocation, request: Request) -> int:
    cluster = cluster_of(inv)
    if cluster is None:
        return no_cluster(inv)
    items = _collection(cluster, request.cls)
    item = next(
        (i for i in items if getattr(i, "name", getattr(i, "label", "")) == request.name), None
    )
    if item is None:
        return fail(inv, [f'ERROR: "{request.name}" does not appear to exist!'])
    user = _user(cluster, request.name) if request.cls != "resource_group" else ""
    if user:
        return fail(inv, [f'ERROR: "{request.name}" is used by resource group "{user}".'])
    if isinstance(item, ResourceGroup) and item.holders:
        return fail(inv, [f'ERROR: "{request.name}" is online: bring it offline first.'])
    if request.cls == "volume_group":
        for volume_id in item.volume_ids:
            inv.world.disks.set_volume_group(volume_id, None)
    items.remove(item)
    if request.cls != "snapshot":
        cluster.synced = False
    inv.world.clusters.save(cluster)
    return 0
