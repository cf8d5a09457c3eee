"""The PowerHA cluster model's records: one `Cluster` per cluster, shared by its nodes and
persisted whole as the store kind `powerha_cluster` (configuration, the cluster manager state
of every node, where each resource group is, and the timed steps still to run)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CLUSTER_KIND = "powerha_cluster"
DEFAULT_NETWORK = "net_ether_01"

# clstrmgrES states (`lssrc -ls clstrmgrES`: `Current state: ...`)
ST_INIT, ST_JOINING, ST_BARRIER, ST_STABLE = "ST_INIT", "ST_JOINING", "ST_BARRIER", "ST_STABLE"
NOT_CONFIGURED = "NOT_CONFIGURED"
# resource group states per node (clRGinfo)
ONLINE, OFFLINE, ACQUIRING, RELEASING, ERROR = (
    "ONLINE",
    "OFFLINE",
    "ACQUIRING",
    "RELEASING",
    "ERROR",
)


@dataclass
class ServiceIp:
    label: str
    address: str
    network: str = DEFAULT_NETWORK
    netmask: str = ""


@dataclass
class Controller:
    name: str
    start_script: str
    stop_script: str
    startup_mode: str = "background"


@dataclass
class Monitor:
    name: str
    applications: list[str]
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class SharedVolumeGroup:
    name: str
    nodes: list[str]
    volume_ids: list[str]  # the PowerVC volumes behind its disks, the same on every node
    vg_type: str = "scalable"


@dataclass
class Storage:
    """A logical volume or a file system: recorded for queries and resource groups."""

    name: str
    volume_group: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class ResourceGroup:
    name: str
    nodes: list[str]  # in priority order: the first is the home node
    startup: str = "OHN"
    fallover: str = "FNPN"
    fallback: str = "NFB"
    node_priority_policy: str = ""
    service_labels: list[str] = field(default_factory=list)
    applications: list[str] = field(default_factory=list)
    volume_groups: list[str] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)  # node name -> ONLINE, OFFLINE...

    def state_on(self, node: str) -> str:
        return self.states.get(node, OFFLINE)

    @property
    def holders(self) -> list[str]:
        """The nodes where the group is online or being acquired, in priority order."""
        return [n for n in self.nodes if self.state_on(n) in (ONLINE, ACQUIRING)]

    @property
    def current_node(self) -> str:
        online = [n for n in self.nodes if self.state_on(n) == ONLINE]
        return online[0] if online else ""

    @property
    def summary_state(self) -> str:
        """One state for `clmgr query resource_group`: the busiest of its nodes' states."""
        for state in (ACQUIRING, RELEASING, ERROR, ONLINE):
            if any(self.state_on(n) == state for n in self.nodes):
                return state
        return OFFLINE


@dataclass
class Snapshot:
    name: str
    description: str
    created: float
    configuration: dict[str, Any] = field(default_factory=dict)


@dataclass
class Step:
    """A timed step of event processing, persisted so a restart resumes it."""

    seq: int
    due: float
    action: str  # caa | barrier | stable | acquire | fallover
    node: str = ""
    groups: list[str] = field(default_factory=list)


@dataclass
class Cluster:
    id: str
    name: str
    nodes: list[str]  # node names, in the order given
    server_ids: dict[str, str]  # node name -> server id
    version: str  # the PowerHA level of the node that created it
    cluster_type: str = "NSC"
    heartbeat_type: str = "unicast"
    repository: str | None = None  # the PowerVC volume id of the active repository
    backup_repositories: list[str] = field(default_factory=list)
    repository_lost: bool = False  # restricted mode: no topology change, no node joins
    split_policy: str = "none"
    merge_policy: str = "majority"
    networks: list[str] = field(default_factory=lambda: [DEFAULT_NETWORK])
    service_ips: list[ServiceIp] = field(default_factory=list)
    controllers: list[Controller] = field(default_factory=list)
    monitors: list[Monitor] = field(default_factory=list)
    volume_groups: list[SharedVolumeGroup] = field(default_factory=list)
    logical_volumes: list[Storage] = field(default_factory=list)
    file_systems: list[Storage] = field(default_factory=list)
    resource_groups: list[ResourceGroup] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)
    node_states: dict[str, str] = field(default_factory=dict)  # name -> ST_...
    caa_active: bool = False
    synced: bool = False
    sync_due: float = 0.0  # when the last sync's propagation ends on the clock
    starting: list[str] = field(default_factory=list)  # nodes waiting for CAA to come up
    manual: list[str] = field(default_factory=list)  # nodes started with MANAGE=manual
    steps: list[Step] = field(default_factory=list)
    last_seq: int = 0

    def state_of(self, node: str) -> str:
        return self.node_states.get(node, ST_INIT)

    @property
    def active_nodes(self) -> list[str]:
        """Nodes whose cluster services run (joining, barrier or stable)."""
        return [n for n in self.nodes if self.state_of(n) != ST_INIT]

    @property
    def stable_nodes(self) -> list[str]:
        return [n for n in self.nodes if self.state_of(n) == ST_STABLE]

    @property
    def state(self) -> str:
        """`clmgr query cluster` STATE."""
        active = self.active_nodes
        if not active:
            return "OFFLINE"
        busy = self.steps or any(self.state_of(n) != ST_STABLE for n in active)
        return "UNSTABLE" if busy else "STABLE"

    def group(self, name: str) -> ResourceGroup | None:
        return next((g for g in self.resource_groups if g.name == name), None)

    def service_ip(self, label: str) -> ServiceIp | None:
        return next((s for s in self.service_ips if s.label == label), None)

    def controller(self, name: str) -> Controller | None:
        return next((c for c in self.controllers if c.name == name), None)

    def volume_group(self, name: str) -> SharedVolumeGroup | None:
        return next((v for v in self.volume_groups if v.name == name), None)

    def configuration(self) -> dict[str, Any]:
        """What a snapshot keeps: everything but the runtime state and the snapshots."""
        body = self.to_json()
        runtime_fields = ("node_states", "steps", "starting", "manual", "snapshots", "caa_active")
        for runtime in runtime_fields:
            body.pop(runtime)
        return body

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Cluster:
        nested: dict[str, Any] = {
            "service_ips": [ServiceIp(**b) for b in body.get("service_ips", [])],
            "controllers": [Controller(**b) for b in body.get("controllers", [])],
            "monitors": [Monitor(**b) for b in body.get("monitors", [])],
            "volume_groups": [SharedVolumeGroup(**b) for b in body.get("volume_groups", [])],
            "logical_volumes": [Storage(**b) for b in body.get("logical_volumes", [])],
            "file_systems": [Storage(**b) for b in body.get("file_systems", [])],
            "resource_groups": [ResourceGroup(**b) for b in body.get("resource_groups", [])],
            "snapshots": [Snapshot(**b) for b in body.get("snapshots", [])],
            "steps": [Step(**b) for b in body.get("steps", [])],
        }
        return cls(**{**body, **nested})
