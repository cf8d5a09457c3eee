"""What `ha show` and the portal display of a cluster: plain frozen records, read at the time
of asking by `ha.status.read_cluster` (never from the job record), with `to_dict()` for
`--format json|yaml` and the REST API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "ClusterSummary",
    "ClusterView",
    "DiskOnNode",
    "DiskView",
    "GroupView",
    "NodeView",
    "ServiceIpView",
]


@dataclass(frozen=True)
class NodeView:
    """One node: PowerVC's server and host, its addresses, what the node itself reports."""

    name: str
    server_id: str | None = None
    server_status: str | None = None  # ACTIVE, SHUTOFF, ... None: no server in PowerVC
    host: str | None = None  # PowerVC names it to administrators only
    host_id: str | None = None  # nova's hostId: the same for the nodes on one host
    addresses: tuple[str, ...] = ()
    reachable: bool = False
    clstrmgr_state: str | None = None  # ST_STABLE, ST_INIT, ...
    caa_state: str | None = None  # UP, DOWN
    reason: str | None = None  # why it was not read (server stopped, SSH refused, host key)


@dataclass(frozen=True)
class GroupView:
    """A resource group: its state per node, where it is online, its nodes by priority."""

    name: str
    states: Mapping[str, str] = field(default_factory=dict)  # node -> ONLINE, OFFLINE, ...
    online_on: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()  # priority order: the first is the home node
    policies: Mapping[str, str] = field(default_factory=dict)  # STARTUP, FALLOVER, FALLBACK


@dataclass(frozen=True)
class DiskOnNode:
    """How one node sees a cluster disk (found by WWN in `lspv -u`)."""

    hdisk: str
    pvid: str | None
    volume_group: str | None


@dataclass(frozen=True)
class DiskView:
    """A cluster volume as PowerVC reports it, with each node's hdisk where it reported it."""

    role: str  # repository, backup_repository, data
    volume_name: str
    wwn: str | None
    volume_id: str | None = None
    size_gb: int | None = None
    status: str | None = None  # PowerVC's: in-use, available, ...
    on_nodes: Mapping[str, DiskOnNode] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceIpView:
    label: str
    address: str | None
    node: str | None  # the node holding it now (None: offline)


@dataclass(frozen=True)
class ClusterView:
    """A cluster now: state and status (`ha.health.assess`) with its reasons, and the parts."""

    name: str
    state: str  # Active, Offline, Deploying, Failed
    status: str  # Normal, Warning, Error
    reasons: tuple[str, ...]
    home_node: str | None
    group_node: str | None  # where the first resource group is online
    nodes: tuple[NodeView, ...]
    groups: tuple[GroupView, ...] = ()
    disks: tuple[DiskView, ...] = ()
    service_ips: tuple[ServiceIpView, ...] = ()
    events: tuple[str, ...] = ()  # the latest cluster events, oldest first
    job: Mapping[str, Any] = field(default_factory=dict)  # the create job: id, status
    hint: str | None = None  # what to do next (an interrupted create: --resume)
    host_key_errors: tuple[str, ...] = ()  # nodes refused for a changed or unknown host key
    failed_command: Mapping[str, Any] = field(default_factory=dict)  # a failed create's last

    def node(self, name: str) -> NodeView:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ClusterSummary:
    """One row of `ha list`."""

    name: str
    state: str
    status: str
    nodes: tuple[str, ...]
    group_node: str | None
    reason: str | None = None  # the first reason when not Normal

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
