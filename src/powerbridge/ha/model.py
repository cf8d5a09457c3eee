"""The cluster model the spec parses into: what a PowerHA SystemMirror 7 cluster is made of.

Names are the names a person writes (compute template `powervm.small`, image `PowerHA72`,
storage template `base template`); `ha.plan` resolves them against the cloud. Every object is
a frozen dataclass and the spec parser (`ha.spec`) is the only place that builds them from
text, so the checks a schema can state live there; the rules that need the cloud or PowerHA's
level live in the planner. `ClusterSpec.line_of` gives the line a key was written on, for
messages that point into the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from powerbridge.deploy.model import CLUSTER_TAG

__all__ = [
    "CLUSTER_TAG",
    "ApplicationCommandSpec",
    "ApplicationSpec",
    "ClusterSpec",
    "FileSystemSpec",
    "LogicalVolumeSpec",
    "MonitorSpec",
    "NodeSpec",
    "PlacementSpec",
    "RepositorySpec",
    "ResourceGroupSpec",
    "ScriptSpec",
    "ServiceIPSpec",
    "SharedStorageSpec",
    "SplitMergeSpec",
    "SshSpec",
]


AntiAffinity = Literal["soft", "hard"]


@dataclass(frozen=True)
class NodeSpec:
    """One cluster node: its name (the VM's, the AIX host name and the PowerHA node name)."""

    name: str
    fixed_ip: str | None = None


@dataclass(frozen=True)
class SshSpec:
    """How the workflow logs in to the nodes.

    `private_key` is a file path (None: `--ssh-key`, else the agent, else ~/.ssh/id_*);
    `key_pair` is the nova key pair the nodes are deployed with, created from the private
    key's public half when it does not exist."""

    key_pair: str
    private_key: str | None = None
    user: str = "root"
    connect_timeout: float = 30.0
    command_timeout: float = 600.0


@dataclass(frozen=True)
class ServiceIPSpec:
    """The service label clients reach the application on; `address` or `allocate`."""

    label: str
    address: str | None = None
    allocate: bool = False


@dataclass(frozen=True)
class RepositorySpec:
    """The CAA repository disk (and an optional backup repository of the same size)."""

    size_gb: int = 1
    storage_template: str | None = None
    backup: bool = False


@dataclass(frozen=True)
class LogicalVolumeSpec:
    name: str
    size_mb: int
    type: str = "jfs2"


@dataclass(frozen=True)
class FileSystemSpec:
    """A JFS2 file system on one of the logical volumes, mounted at `mount_point`."""

    mount_point: str
    logical_volume: str


@dataclass(frozen=True)
class SharedStorageSpec:
    """The shared data volumes (multiattach) and the volume group made of them."""

    count: int = 1
    size_gb: int = 10
    storage_template: str | None = None
    volume_group: str = "datavg"
    logical_volumes: tuple[LogicalVolumeSpec, ...] = ()
    file_systems: tuple[FileSystemSpec, ...] = ()


@dataclass(frozen=True)
class ResourceGroupSpec:
    name: str
    startup: str = "OHN"
    fallover: str = "FNPN"
    fallback: str = "NFB"
    node_priority_policy: str | None = None  # FUDNP's policy, e.g. cl_highest_free_mem


@dataclass(frozen=True)
class ScriptSpec:
    """A start, stop or monitor script: `content` is written to `path` on every node; without
    content the path must already exist on the image."""

    path: str
    content: str | None = None


@dataclass(frozen=True)
class MonitorSpec:
    name: str
    script: ScriptSpec
    interval: int = 60
    retry_count: int = 3


@dataclass(frozen=True)
class ApplicationSpec:
    """The application controller the resource group starts and stops."""

    name: str
    start: ScriptSpec
    stop: ScriptSpec
    monitor: MonitorSpec | None = None


@dataclass(frozen=True)
class SplitMergeSpec:
    """PowerHA's split and merge policies (lower case, as clmgr prints them)."""

    split: str = "none"
    merge: str = "majority"


@dataclass(frozen=True)
class ApplicationCommandSpec:
    """Run once on the home node after the cluster is online; its output is kept."""

    command: str
    timeout: float = 1800.0


@dataclass(frozen=True)
class PlacementSpec:
    host_group: str | None = None
    storage_connectivity_group: str | None = None


@dataclass(frozen=True)
class ClusterSpec:
    """A whole cluster, as one request asks for it.

    `nodes` are in priority order: the first is the resource group's home node.
    `collocation_rule` names an existing rule to deploy into (None: the workflow creates
    `<name>-anti-affinity` with `anti_affinity`'s policy). `heartbeat` None: the image's
    PowerHA level decides (unicast from 7.1.3). `split_merge` None: PowerHA's default.
    `locations` maps a dotted key path ("repository.size_gb", "nodes.1") to its line.
    """

    name: str
    nodes: tuple[NodeSpec, ...]
    image: str
    template: str
    network: str
    ssh: SshSpec
    service_ip: ServiceIPSpec
    resource_group: ResourceGroupSpec
    application: ApplicationSpec
    repository: RepositorySpec = RepositorySpec()
    shared_storage: SharedStorageSpec = SharedStorageSpec()
    powervm: Mapping[str, str] = field(default_factory=dict, hash=False)
    split_merge: SplitMergeSpec | None = None
    heartbeat: str | None = None
    cluster_type: str = "NSC"
    application_command: ApplicationCommandSpec | None = None
    placement: PlacementSpec = PlacementSpec()
    anti_affinity: AntiAffinity = "soft"
    collocation_rule: str | None = None
    source: str | None = field(default=None, compare=False)
    locations: Mapping[str, int] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "powervm", dict(self.powervm))
        object.__setattr__(self, "locations", dict(self.locations))
        names = [node.name for node in self.nodes]
        if len(set(names)) != len(names):
            raise ValueError(f"cluster {self.name!r}: a node name is used twice")

    @property
    def node_names(self) -> tuple[str, ...]:
        return tuple(node.name for node in self.nodes)

    @property
    def home_node(self) -> str:
        return self.nodes[0].name

    @property
    def rule_name(self) -> str:
        """The collocation rule the nodes are deployed into."""
        return self.collocation_rule or f"{self.name}-anti-affinity"

    def line_of(self, path: str) -> int | None:
        """The line `path` (or the nearest enclosing key written) is on, if known."""
        while path:
            if path in self.locations:
                return self.locations[path]
            path = path.rpartition(".")[0]
        return None
