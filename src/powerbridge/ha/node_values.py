"""The values a node-side script needs that PowerVC decides: node addresses, the service
address, the disks' WWNs. Scripts read them from shell variables set at their top, so the
workflow's commands and `ha script`'s one script share every line: the workflow fills the
variables from a `Topology`; `ha script` for nodes not deployed yet prints placeholders the
admin fills in (`FILL_IN`), and the script refuses to run while one is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from powerbridge.ha.model import ClusterSpec
from powerbridge.ha.topology import DiskRole, Topology

__all__ = ["PLACEHOLDER", "DiskRef", "NodeRef", "ShellVariable", "Values", "values_for"]

PLACEHOLDER: Final = "FILL_IN"


@dataclass(frozen=True)
class ShellVariable:
    name: str
    value: str | None  # None: a placeholder the admin fills in
    comment: str


@dataclass(frozen=True)
class NodeRef:
    """A node, the variable holding its cluster address and the address when known."""

    name: str
    variable: str
    address: str | None


@dataclass(frozen=True)
class DiskRef:
    """A cluster disk: how scripts name it in messages and the variable holding its WWN."""

    role: DiskRole
    label: str
    variable: str
    wwn: str | None
    volume_name: str | None = None
    size_gb: int | None = None

    @property
    def what(self) -> str:
        """`the repository disk (volume c1-repository)`, for messages."""
        volume = f" (volume {self.volume_name})" if self.volume_name else ""
        return f"{self.label}{volume}"


@dataclass(frozen=True)
class Values:
    nodes: tuple[NodeRef, ...]
    service_address: str | None
    disks: tuple[DiskRef, ...]
    domain: str | None = None
    netmask: str | None = None
    service_variable: str = "SERVICE_IP"

    def node(self, name: str) -> NodeRef:
        return next(node for node in self.nodes if node.name == name)

    def disks_of(self, role: DiskRole) -> tuple[DiskRef, ...]:
        return tuple(disk for disk in self.disks if disk.role == role)

    @property
    def placeholders(self) -> bool:
        return any(variable.value is None for variable in self.variables())

    def variables(self) -> tuple[ShellVariable, ...]:
        found = [
            ShellVariable(node.variable, node.address, f"{node.name}'s address")
            for node in self.nodes
        ]
        found.append(ShellVariable(self.service_variable, self.service_address, "service IP"))
        found += [ShellVariable(d.variable, d.wwn, f"WWN of {d.what}") for d in self.disks]
        return tuple(found)


def values_for(spec: ClusterSpec, topology: Topology | None) -> Values:
    """The values from a topology, or placeholders (None) shaped by the spec."""
    if topology is None:
        return _placeholders(spec)
    nodes = tuple(
        NodeRef(node.name, f"NODE{index}_IP", topology.node(node.name).address)
        for index, node in enumerate(spec.nodes, start=1)
    )
    disks = []
    for role, prefix, label in _ROLES:
        found = topology.disks_of(role)
        for index, disk in enumerate(found, start=1):
            numbered = len(found) > 1 or role == "data"
            disks.append(
                DiskRef(
                    role,
                    f"{label} {index}" if numbered else label,
                    f"{prefix}{index}_WWN" if numbered else f"{prefix}_WWN",
                    disk.wwn,
                    disk.volume_name,
                    disk.size_gb,
                )
            )
    netmask = next((n.netmask for n in topology.nodes if n.netmask), None)
    return Values(nodes, topology.service_address, tuple(disks), topology.domain, netmask)


_ROLES: tuple[tuple[DiskRole, str, str], ...] = (
    ("repository", "REPOSITORY", "the repository disk"),
    ("backup_repository", "BACKUP_REPOSITORY", "the backup repository disk"),
    ("data", "DATA", "data disk"),
)


def _placeholders(spec: ClusterSpec) -> Values:
    nodes = tuple(
        NodeRef(node.name, f"NODE{index}_IP", node.fixed_ip)
        for index, node in enumerate(spec.nodes, start=1)
    )
    disks = [DiskRef("repository", "the repository disk", "REPOSITORY_WWN", None)]
    if spec.repository.backup:
        disks.append(
            DiskRef(
                "backup_repository", "the backup repository disk", "BACKUP_REPOSITORY_WWN", None
            )
        )
    storage = spec.shared_storage
    disks += [
        DiskRef("data", f"data disk {i}", f"DATA{i}_WWN", None, size_gb=storage.size_gb)
        for i in range(1, storage.count + 1)
    ]
    return Values(nodes, spec.service_ip.address, tuple(disks))
