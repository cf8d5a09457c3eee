"""Read a cluster's topology from PowerVC: its nodes' addresses and its disks' WWNs.

Only resources tagged `powerbridge:cluster=<name>` count. A disk is known to the nodes by
the WWN PowerVC records for the volume (`volume_wwn` in the volume's metadata, the LUN's
WWN on the storage provider), which `lspv -u` shows inside each hdisk's UDID.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from powerbridge.ha.deployment import (
    backup_repository_name,
    repository_name,
    service_port_name,
)
from powerbridge.ha.errors import StepFailed
from powerbridge.ha.model import CLUSTER_TAG
from powerbridge.ha.topology import DiskRole, NodeFacts, SharedDisk, Topology

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.client.compute import Server
    from powerbridge.ha.model import ClusterSpec

__all__ = ["WWN_KEY", "disk_role", "read_topology"]

WWN_KEY = "volume_wwn"


def disk_role(cluster: str, volume_name: str) -> DiskRole | None:
    """The role of a cluster volume, from the name `ha.deployment` gives it (data volumes
    added later by `ha add-disk` follow the same pattern)."""
    if volume_name == repository_name(cluster):
        return "repository"
    if volume_name == backup_repository_name(cluster):
        return "backup_repository"
    if volume_name.startswith(f"{cluster}-data-"):
        return "data"
    return None


async def read_topology(cloud: Cloud, spec: ClusterSpec) -> Topology:
    servers = {
        server.name: server
        for server in await cloud.compute.servers()
        if server.metadata.get(CLUSTER_TAG) == spec.name
    }
    nodes = tuple(_node(spec, servers.get(node.name), node.name) for node in spec.nodes)
    disks = await _disks(cloud, spec)
    address = spec.service_ip.address or await _reserved_address(cloud, spec.name)
    return Topology(nodes=nodes, service_address=address, disks=disks)


def _node(spec: ClusterSpec, server: Server | None, name: str) -> NodeFacts:
    if server is None:
        raise StepFailed("deploy", f"node {name} has no server tagged {CLUSTER_TAG}={spec.name}")
    on_network = [a.addr for a in server.addresses if a.network == spec.network]
    addresses = on_network or list(server.ips)
    if not addresses:
        raise StepFailed("deploy", f"server {name} has no IP address on network {spec.network}")
    return NodeFacts(name, addresses[0], server_id=server.id, host=server.host)


async def _disks(cloud: Cloud, spec: ClusterSpec) -> tuple[SharedDisk, ...]:
    disks = []
    for volume in await cloud.volume.volumes():
        role = disk_role(spec.name, volume.name)
        if role is None or volume.metadata.get(CLUSTER_TAG) != spec.name:
            continue
        wwn = volume.metadata.get(WWN_KEY)
        if not wwn:
            raise StepFailed(
                "deploy",
                f"volume {volume.name} has no {WWN_KEY} in PowerVC's metadata: its disk"
                " cannot be found on the nodes (is the storage provider managed by PowerVC?)",
            )
        disks.append(SharedDisk(role, volume.name, wwn, volume.id, volume.size))
    order = {"repository": 0, "backup_repository": 1, "data": 2}
    disks.sort(key=lambda disk: (order[disk.role], _data_index(disk.volume_name)))
    if not any(disk.role == "repository" for disk in disks):
        raise StepFailed("deploy", f"no repository volume {spec.name}-repository in PowerVC")
    return tuple(disks)


def _data_index(name: str) -> int:
    tail = name.rpartition("-")[2]
    return int(tail) if tail.isdigit() else 0


async def _reserved_address(cloud: Cloud, cluster: str) -> str:
    name = service_port_name(cluster)
    for port in await cloud.network.ports():
        if port.name == name and port.ips:
            return sorted(port.ips, key=ipaddress.ip_address)[0]
    raise StepFailed("service_ip", f"no port {name} holds the service address")
