"""What the cluster is built on once PowerVC has made it: node addresses, disks by WWN.

The workflow fills a `Topology` from PowerVC (servers' addresses, volumes' WWNs) after the
nodes are deployed; the node-side commands (`ha.node_commands`) are a pure function of the
spec and the topology, so `ha script` prints exactly what the workflow runs.

Disks are matched on the nodes by the volume's WWN as real storage reports it (PowerVC's
`volume_wwn` metadata; `lspv -u` shows it inside the UDID), never by an emulator id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["DiskRole", "NodeFacts", "SharedDisk", "Topology"]

DiskRole = Literal["repository", "backup_repository", "data"]


@dataclass(frozen=True)
class NodeFacts:
    """One deployed node: its name, the address the cluster uses, its server and host."""

    name: str
    address: str
    server_id: str | None = None
    host: str | None = None
    netmask: str | None = None


@dataclass(frozen=True)
class SharedDisk:
    """A volume every node sees: its role, PowerVC name and id, and the WWN it shows as."""

    role: DiskRole
    volume_name: str
    wwn: str
    volume_id: str | None = None
    size_gb: int | None = None


@dataclass(frozen=True)
class Topology:
    """The spec's nodes in priority order with their facts, the service address, the disks."""

    nodes: tuple[NodeFacts, ...]
    service_address: str
    disks: tuple[SharedDisk, ...]
    domain: str | None = None  # appended to short names for /etc/hosts' FQDN column

    def node(self, name: str) -> NodeFacts:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def disks_of(self, role: DiskRole) -> tuple[SharedDisk, ...]:
        return tuple(disk for disk in self.disks if disk.role == role)

    @property
    def repository(self) -> SharedDisk:
        return self.disks_of("repository")[0]
