"""The parts of a `ClusterView` from what PowerVC lists and what the nodes answered: pure
functions of the servers, volumes and show outputs (`ha.node_reading`), for `ha.status`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from powerbridge.ha import parse
from powerbridge.ha.cluster_view import DiskOnNode, DiskView, GroupView, NodeView, ServiceIpView
from powerbridge.ha.health import ClusterObservation
from powerbridge.ha.node_reading import GROUP_SECTION, SERVICE_SECTION
from powerbridge.ha.topology_reader import WWN_KEY, disk_role

if TYPE_CHECKING:
    from powerbridge.client.compute import Server
    from powerbridge.client.volume import Volume

__all__ = ["disk_views", "events", "group_views", "node_views", "sections", "service_ip_views"]

ROLE_ORDER = {"repository": 0, "backup_repository": 1, "data": 2}


def sections(outputs: Mapping[str, str | None]) -> dict[str, dict[str, str]]:
    """node -> its output cut at the script's headers (nodes that answered only)."""
    return {node: parse.sections(text) for node, text in outputs.items() if text is not None}


def _objects(found: Mapping[str, dict[str, str]], prefix: str) -> dict[str, dict[str, str]]:
    """Each clmgr object (group, service IP) as the first node that shows it reports it."""
    objects: dict[str, dict[str, str]] = {}
    for per_node in found.values():
        for title, text in per_node.items():
            if title.startswith(prefix):
                objects.setdefault(title[len(prefix) :], parse.clmgr_attributes(text))
    return objects


def group_views(
    found: Mapping[str, dict[str, str]], observation: ClusterObservation
) -> tuple[GroupView, ...]:
    attributes = _objects(found, GROUP_SECTION)
    views = []
    for group in observation.groups:
        attrs = attributes.get(group.name, {})
        policies = {k: attrs[k] for k in ("STARTUP", "FALLOVER", "FALLBACK") if attrs.get(k)}
        views.append(
            GroupView(
                group.name,
                dict(group.rows),
                tuple(group.online_on()),
                tuple(attrs.get("NODES", "").replace(",", " ").split()),
                policies,
            )
        )
    return tuple(views)


def priority_nodes(found: Mapping[str, dict[str, str]]) -> tuple[str, ...]:
    """The first resource group's nodes in priority order, as the nodes report it."""
    groups = _objects(found, GROUP_SECTION)
    first = next(iter(groups.values()), {})
    return tuple(first.get("NODES", "").replace(",", " ").split())


def node_views(
    names: Sequence[str],
    servers: Mapping[str, Server],
    addresses: Mapping[str, tuple[str, ...]],
    observation: ClusterObservation,
) -> tuple[NodeView, ...]:
    seen = {node.name: node for node in observation.nodes}
    views = []
    for name in names:
        server, node = servers.get(name), seen.get(name)
        views.append(
            NodeView(
                name=name,
                server_id=server.id if server else None,
                server_status=server.status if server else None,
                host=server.host if server else None,
                host_id=(server.host_id or None) if server else None,
                addresses=addresses.get(name, ()),
                reachable=bool(node and node.reachable),
                clstrmgr_state=node.clstrmgr_state if node else None,
                caa_state=node.caa_state if node else None,
                reason=(node.reason if node else None) or _no_server(server),
            )
        )
    return tuple(views)


def _no_server(server: Server | None) -> str | None:
    return "no server in PowerVC" if server is None else None


def disk_views(
    cluster: str, volumes: Sequence[Volume], found: Mapping[str, dict[str, str]]
) -> tuple[DiskView, ...]:
    """The cluster's volumes by role, each with its hdisk on the nodes that reported it
    (found by the WWN PowerVC records, inside the UDID `lspv -u` shows)."""
    disks = []
    rows = {node: parse.lspv_rows(per.get("lspv -u", "")) for node, per in found.items()}
    for volume in volumes:
        role = disk_role(cluster, volume.name)
        if role is None:
            continue
        wwn = volume.metadata.get(WWN_KEY) or None
        seen = {}
        for node, node_rows in rows.items():
            row = parse.disk_by_wwn(node_rows, wwn) if wwn else None
            if row is not None:
                seen[node] = DiskOnNode(row.name, row.pvid, row.volume_group)
        disks.append(DiskView(role, volume.name, wwn, volume.id, volume.size, volume.status, seen))
    disks.sort(key=lambda d: (ROLE_ORDER.get(d.role, 9), len(d.volume_name), d.volume_name))
    return tuple(disks)


def service_ip_views(
    found: Mapping[str, dict[str, str]], groups: Sequence[GroupView]
) -> tuple[ServiceIpView, ...]:
    """Each service IP with the node holding it: clmgr's CURRENT_NODE, else where the group
    whose SERVICE_LABEL names it is online."""
    labels = _objects(found, SERVICE_SECTION)
    group_attrs = _objects(found, GROUP_SECTION)
    views = []
    for label, attrs in labels.items():
        node = attrs.get("CURRENT_NODE") or _holder(label, group_attrs, groups)
        views.append(ServiceIpView(label, attrs.get("IPADDR") or None, node or None))
    return tuple(views)


def _holder(
    label: str, group_attrs: Mapping[str, dict[str, str]], groups: Sequence[GroupView]
) -> str | None:
    for group in groups:
        if label in group_attrs.get(group.name, {}).get("SERVICE_LABEL", "").split():
            return group.online_on[0] if group.online_on else None
    return None


def events(found: Mapping[str, dict[str, str]], prefer: Sequence[str]) -> tuple[str, ...]:
    """The latest event lines of hacmp.out, from the first of `prefer` (the node holding the
    group, then the others) that has any: every node that is up logs every event."""
    for node in [*prefer, *found]:
        lines = [line.strip() for line in found.get(node, {}).get("events", "").splitlines()]
        if any(lines):
            return tuple(line for line in lines if line)
    return ()
