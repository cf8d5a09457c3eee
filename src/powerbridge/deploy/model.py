"""The deployment model both spec formats parse into: servers, volumes, collocation rules.

Names here are the names a person writes (compute template `powervm.small`, image
`PowerHA713`); the planner resolves them against a `CloudView`. Every object is a frozen
dataclass; the mappings inside are private copies and are not to be mutated.

A `DeploymentSpec` is consistent by construction: server names are unique, every volume a
server names is in `volumes`, every collocation rule a server names is either in
`collocation_rules` or left for the planner to find in the cloud. `line` fields record where
an object was written (1-based) for messages; they take no part in equality.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from powerbridge import powervm

__all__ = [
    "CLUSTER_TAG",
    "COLLOCATION_POLICIES",
    "DEPLOYMENT_TAG",
    "OWNER_TAGS",
    "CollocationRuleSpec",
    "DeploymentSpec",
    "NetworkSpec",
    "ServerSpec",
    "VolumeSpec",
    "normalise_powervm_key",
]

DEPLOYMENT_TAG: Final = "powerbridge:deployment"
"""Metadata key whose value names the deployment a server or volume belongs to."""

CLUSTER_TAG: Final = "powerbridge:cluster"
"""Metadata key whose value names the HA cluster a server, volume or rule belongs to."""

OWNER_TAGS: Final[tuple[str, ...]] = (DEPLOYMENT_TAG, CLUSTER_TAG)
"""The reserved metadata keys: powerbridge sets them, a spec may not."""

COLLOCATION_POLICIES: Final[tuple[str, ...]] = (
    "affinity",
    "anti-affinity",
    "soft-affinity",
    "soft-anti-affinity",
)


def normalise_powervm_key(key: str) -> str:
    """`max_mem` and `powervm:max_mem` both become `powervm:max_mem`."""
    key = key.strip()
    return key if key.startswith(powervm.PREFIX) else powervm.PREFIX + key


@dataclass(frozen=True)
class VolumeSpec:
    """A data volume: size, storage template (None: the cloud's default), shared = multiattach."""

    name: str
    size_gb: int
    storage_template: str | None = None
    shared: bool = False
    description: str | None = None
    line: int | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a volume needs a name")
        if self.size_gb < 1:
            raise ValueError(f"volume {self.name!r}: size_gb must be at least 1")


@dataclass(frozen=True)
class NetworkSpec:
    """One network interface: the network's name and an optional fixed IP address."""

    name: str
    fixed_ip: str | None = None


@dataclass(frozen=True)
class ServerSpec:
    """One virtual machine to deploy.

    `volumes` names entries of `DeploymentSpec.volumes`, attached in this order. `powervm`
    holds per-server overrides of the compute template's extra specs, keys normalised to
    `powervm:<key>`, values as strings. `host`, `host_group`, `storage_connectivity_group` and
    `collocation_rule` are None when PowerVC may choose. `user_data` is a file path, read by
    apply, never by the planner; `user_data_text` the document itself, for callers that write
    it (the HA workflow's cloud-config): one or the other.
    """

    name: str
    template: str
    image: str
    networks: tuple[NetworkSpec, ...] = ()
    volumes: tuple[str, ...] = ()
    host: str | None = None
    host_group: str | None = None
    storage_connectivity_group: str | None = None
    collocation_rule: str | None = None
    powervm: Mapping[str, str] = field(default_factory=dict, hash=False)
    metadata: Mapping[str, str] = field(default_factory=dict, hash=False)
    user_data: str | None = None
    key_name: str | None = None  # the nova key pair the server is deployed with
    line: int | None = field(default=None, compare=False, repr=False)
    user_data_text: str | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a server needs a name")
        if self.user_data and self.user_data_text:
            raise ValueError(f"server {self.name!r}: user data from a file or as text, not both")
        overrides = {normalise_powervm_key(k): str(v) for k, v in self.powervm.items()}
        object.__setattr__(self, "powervm", overrides)
        object.__setattr__(self, "metadata", dict(self.metadata))
        for reserved in OWNER_TAGS:
            if reserved in self.metadata:
                raise ValueError(f"server {self.name!r}: metadata key {reserved} is reserved")

    @property
    def network(self) -> str | None:
        """The first network's name (the pipe format's `vlan_name`), None without networks."""
        return self.networks[0].name if self.networks else None

    @property
    def fixed_ip(self) -> str | None:
        """The first network's fixed IP, if any."""
        return self.networks[0].fixed_ip if self.networks else None


@dataclass(frozen=True)
class CollocationRuleSpec:
    """A collocation rule (Nova server group) to create, unless it exists with this policy."""

    name: str
    policy: str

    def __post_init__(self) -> None:
        if self.policy not in COLLOCATION_POLICIES:
            allowed = ", ".join(COLLOCATION_POLICIES)
            raise ValueError(f"collocation rule {self.name!r}: policy must be one of {allowed}")


@dataclass(frozen=True)
class DeploymentSpec:
    """A whole deployment: its name (the metadata tag value) and what it is made of.

    `volumes` and `collocation_rules` are keyed by name, in the order they are created.
    `source` is the file the spec came from (provenance only: not compared). `owner_tag` is
    the metadata key whose value (`name`) marks what this deployment owns: `DEPLOYMENT_TAG`
    for a batch deployment, `CLUSTER_TAG` for the nodes and disks of an HA cluster.
    """

    name: str
    servers: tuple[ServerSpec, ...]
    volumes: Mapping[str, VolumeSpec] = field(default_factory=dict, hash=False)
    collocation_rules: Mapping[str, CollocationRuleSpec] = field(default_factory=dict, hash=False)
    source: str | None = field(default=None, compare=False)
    owner_tag: str = DEPLOYMENT_TAG

    def __post_init__(self) -> None:
        if self.owner_tag not in OWNER_TAGS:
            raise ValueError(f"owner_tag must be one of {', '.join(OWNER_TAGS)}")
        object.__setattr__(self, "volumes", dict(self.volumes))
        object.__setattr__(self, "collocation_rules", dict(self.collocation_rules))
        check_deployment_name(self.name)
        _check_consistent(self)

    def users_of(self) -> dict[str, tuple[str, ...]]:
        """Volume name -> the servers attaching it, in spec order (every volume is a key)."""
        users: dict[str, list[str]] = {name: [] for name in self.volumes}
        for server in self.servers:
            for volume in server.volumes:
                users[volume].append(server.name)
        return {name: tuple(servers) for name, servers in users.items()}


def check_deployment_name(name: str) -> None:
    """Raise ValueError unless `name` can name a deployment (and tag its resources)."""
    if not name or name != name.strip() or len(name) > 255:
        raise ValueError(
            f"deployment name {name!r}: 1 to 255 characters, no surrounding whitespace"
        )


def _check_consistent(spec: DeploymentSpec) -> None:
    names: set[str] = set()
    for server in spec.servers:
        if server.name in names:
            raise ValueError(f"server name {server.name!r} is used twice")
        names.add(server.name)
        missing = [volume for volume in server.volumes if volume not in spec.volumes]
        if missing:
            raise ValueError(f"server {server.name!r} names unknown volumes {missing}")
        if len(set(server.volumes)) != len(server.volumes):
            raise ValueError(f"server {server.name!r} names a volume twice")
    for key, volume in spec.volumes.items():
        if key != volume.name:
            raise ValueError(f"volume keyed {key!r} is named {volume.name!r}")
    for name, users in spec.users_of().items():
        if len(users) > 1 and not spec.volumes[name].shared:
            raise ValueError(f"volume {name!r} is attached to {list(users)} but is not shared")
    for key, rule in spec.collocation_rules.items():
        if key != rule.name:
            raise ValueError(f"collocation rule keyed {key!r} is named {rule.name!r}")
