"""`CloudView`: a frozen snapshot of what the planner needs to know about one PowerVC cloud.

The view is plain data. Code that talks to the cloud (the client SDK) builds it from list calls;
tests and benchmarks build it by hand. The planner only reads it, so a plan is a pure function
of a spec and a view, and building one performs no I/O.

Lookups accept an id or a name (a host also by its display name). Names need not be unique in
OpenStack: `CloudView.find` returns every match, and the planner reports an ambiguity.
Indexes are built on first use, once per view, so lookups are O(1) however big the cloud.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

__all__ = [
    "UNLIMITED",
    "CloudView",
    "CollocationRule",
    "ComputeTemplate",
    "FlavorCopy",
    "Host",
    "HostGroup",
    "Image",
    "Index",
    "Named",
    "Network",
    "ProjectLimits",
    "Server",
    "StorageConnectivityGroup",
    "StorageProvider",
    "StorageTemplate",
    "Volume",
]

UNLIMITED = -1
"""A project limit's maximum when there is none (OpenStack's convention)."""


@dataclass(frozen=True)
class ComputeTemplate:
    """A compute template (flavor): desired memory (MB), virtual processors, disk, extra specs."""

    id: str
    name: str
    ram_mb: int
    vcpus: int
    disk_gb: int = 0
    extra_specs: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Image:
    id: str
    name: str
    min_disk_gb: int = 0
    status: str = "active"
    # custom image properties (PowerVC's and the admin's: e.g. `powerha_version`)
    properties: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Network:
    """A network; `free_ips` None when unknown; `cidrs` of its subnets; `used_ips` if known,
    with the port (and server) holding each in `holders`."""

    id: str
    name: str
    free_ips: int | None = None
    cidrs: tuple[str, ...] = ()
    used_ips: frozenset[str] = frozenset()
    gateways: frozenset[str] = frozenset()
    # who holds each used address: (port id, server id or None), when known
    holders: Mapping[str, tuple[str, str | None]] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class StorageTemplate:
    """A storage template (volume type) and the storage provider its volumes land on."""

    id: str
    name: str
    provider: str | None = None
    is_default: bool = False


@dataclass(frozen=True)
class StorageProvider:
    name: str
    free_gb: int | None = None
    id: str | None = None


@dataclass(frozen=True)
class Host:
    """A managed host: `name` is the hypervisor hostname `:<host>` zones name."""

    name: str
    display_name: str | None = None
    free_memory_mb: int = 0
    free_proc_units: Decimal = Decimal(0)
    state: str = "up"
    status: str = "enabled"

    @property
    def usable(self) -> bool:
        """Up and not in maintenance: the scheduler may place a new VM here."""
        return self.state == "up" and self.status == "enabled"


@dataclass(frozen=True)
class HostGroup:
    """A host group (aggregate); `hosts` holds member host names."""

    id: str
    name: str
    availability_zone: str | None = None
    hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class StorageConnectivityGroup:
    """A storage connectivity group: its hosts, and the ids of the storage templates on the
    storage providers it reaches (None when the cloud did not say)."""

    id: str
    name: str
    hosts: tuple[str, ...] = ()
    storage_templates: frozenset[str] | None = None


@dataclass(frozen=True)
class CollocationRule:
    """A collocation rule (server group); `members` are server ids."""

    id: str
    name: str
    policy: str
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class FlavorCopy:
    """The compute template a server was built with, as nova keeps a copy of it: `name` is
    the template's name then ("inline" for PowerVC's inline flavors), the specs as they were."""

    name: str | None
    ram_mb: int
    vcpus: int
    disk_gb: int = 0
    extra_specs: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Server:
    """A server; `networks` pairs each address with its network's name, `volume_ids` are the
    volumes attached to it; `flavor` is None when the cloud did not show its copy."""

    id: str
    name: str
    status: str = "ACTIVE"
    metadata: Mapping[str, str] = field(default_factory=dict, hash=False)
    host: str | None = None
    addresses: tuple[str, ...] = ()
    flavor: FlavorCopy | None = None
    image_id: str | None = None
    networks: tuple[tuple[str, str], ...] = ()
    volume_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Volume:
    """A volume; `attachments` are the ids of the servers it is attached to."""

    id: str
    name: str
    size_gb: int
    status: str = "available"
    metadata: Mapping[str, str] = field(default_factory=dict, hash=False)
    attachments: tuple[str, ...] = ()
    multiattach: bool = False
    storage_template: str | None = None  # its volume type, as cinder names it


@dataclass(frozen=True)
class ProjectLimits:
    """Absolute project limits: what is used and the maximum (`UNLIMITED` for none)."""

    instances_used: int = 0
    instances_max: int = UNLIMITED
    cores_used: int = 0
    cores_max: int = UNLIMITED
    ram_used_mb: int = 0
    ram_max_mb: int = UNLIMITED


class Named(Protocol):
    """What an index holds: anything with a name (and usually an `id`)."""

    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=Named)


class Index(Generic[T]):
    """Items by id and by name (and by any alias `extra` gives); built once, read many times."""

    def __init__(
        self, items: Iterable[T], extra: Callable[[T], Iterable[str]] = lambda item: ()
    ) -> None:
        self.items: tuple[T, ...] = tuple(items)
        self._by_id: dict[str, T] = {}
        self._by_name: dict[str, list[T]] = {}
        for item in self.items:
            identifier = getattr(item, "id", None)
            if isinstance(identifier, str):
                self._by_id[identifier] = item
            for name in dict.fromkeys((item.name, *extra(item))):
                self._by_name.setdefault(name, []).append(item)

    def find(self, ref: str) -> list[T]:
        """Every item `ref` names: the one with that id, else all with that name."""
        if ref in self._by_id:
            return [self._by_id[ref]]
        return list(self._by_name.get(ref, ()))

    def named(self, name: str) -> list[T]:
        """Every item with this name (or alias), ids aside."""
        return list(self._by_name.get(name, ()))

    def by_id(self, identifier: str) -> T | None:
        return self._by_id.get(identifier)

    def names(self) -> list[str]:
        return list(self._by_name)


@dataclass(frozen=True)
class CloudView:
    """What the planner can see of one cloud and one project, as plain frozen data."""

    templates: tuple[ComputeTemplate, ...] = ()
    images: tuple[Image, ...] = ()
    networks: tuple[Network, ...] = ()
    storage_templates: tuple[StorageTemplate, ...] = ()
    storage_providers: tuple[StorageProvider, ...] = ()
    hosts: tuple[Host, ...] = ()
    # False when the caller may not list hosts (a non-admin on PowerVC): the planner then
    # skips the host capacity and collocation checks instead of finding no usable host
    hosts_visible: bool = True
    host_groups: tuple[HostGroup, ...] = ()
    storage_connectivity_groups: tuple[StorageConnectivityGroup, ...] = ()
    collocation_rules: tuple[CollocationRule, ...] = ()
    servers: tuple[Server, ...] = ()
    volumes: tuple[Volume, ...] = ()
    limits: ProjectLimits = ProjectLimits()

    @functools.cached_property
    def template_index(self) -> Index[ComputeTemplate]:
        return Index(self.templates)

    @functools.cached_property
    def image_index(self) -> Index[Image]:
        return Index(self.images)

    @functools.cached_property
    def network_index(self) -> Index[Network]:
        return Index(self.networks)

    @functools.cached_property
    def storage_template_index(self) -> Index[StorageTemplate]:
        return Index(self.storage_templates)

    @functools.cached_property
    def provider_index(self) -> Index[StorageProvider]:
        return Index(self.storage_providers)

    @functools.cached_property
    def host_index(self) -> Index[Host]:
        return Index(self.hosts, lambda host: (host.display_name,) if host.display_name else ())

    @functools.cached_property
    def host_group_index(self) -> Index[HostGroup]:
        return Index(self.host_groups)

    @functools.cached_property
    def scg_index(self) -> Index[StorageConnectivityGroup]:
        return Index(self.storage_connectivity_groups)

    @functools.cached_property
    def rule_index(self) -> Index[CollocationRule]:
        return Index(self.collocation_rules)

    @functools.cached_property
    def server_index(self) -> Index[Server]:
        return Index(self.servers)

    @functools.cached_property
    def volume_index(self) -> Index[Volume]:
        return Index(self.volumes)

    @property
    def default_storage_template(self) -> StorageTemplate | None:
        return next((item for item in self.storage_templates if item.is_default), None)
