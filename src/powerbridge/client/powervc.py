"""What PowerVC adds to OpenStack: hosts and their usage, host groups, collocation rules,
storage connectivity groups.

- Hosts are nova's hypervisors (`os-hypervisors/detail`): a PowerVM system each, named by
  machine type, model and serial (`8286-42A_215A0BV`), with the display name PowerVC shows.
- Host groups are nova aggregates (`os-aggregates`) with one availability zone each: a deploy
  to a host group sends that zone; a deploy to one host sends the zone `:<host>`.
- Collocation rules are nova server groups (`os-server-groups`, affinity or anti-affinity),
  honoured through the scheduler hint `group`.
- Storage connectivity groups (`/storage-connectivity-groups` under the compute endpoint) say
  which hosts and VIOS reach which storage; a template's `powervm:storage_connectivity_group`
  names one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from powerbridge.client import _resource
from powerbridge.client._records import WireRecord, computed, raw_payload, wire
from powerbridge.client._wire import as_object, opt_text, strings, text, text_map
from powerbridge.client.compute import Compute
from powerbridge.client.errors import AmbiguousName, NameNotFound
from powerbridge.client.session import Session

SERVICE = "compute"


def _display_name(body: Mapping[str, Any]) -> str | None:
    return (
        opt_text(body.get("host_display_name"))
        or opt_text(as_object(body.get("service")).get("host_display_name"))
        or opt_text(body.get("display_name"))
    )


def _service_host(value: Any) -> str | None:
    return opt_text(as_object(value).get("host"))


@dataclass(frozen=True)
class Host(WireRecord):
    """A managed PowerVM host and its usage."""

    id: str
    name: str = field(  # what `:<host>` availability zones name
        metadata=wire("hypervisor_hostname")
    )
    display_name: str | None = field(default=None, metadata=computed(_display_name))
    state: str | None = None  # up / down
    status: str | None = None  # enabled / disabled (maintenance)
    hypervisor_type: str | None = None
    memory_mb: int = 0
    memory_mb_used: int = 0
    vcpus: int = 0  # physical processors
    vcpus_used: int = 0
    proc_units: Decimal | None = None  # PowerVC: processing units, total and used
    proc_units_used: Decimal | None = None
    running_vms: int = 0
    service_host: str | None = field(default=None, metadata=wire("service", conv=_service_host))
    host_ip: str | None = None
    raw: Mapping[str, Any] = raw_payload()

    @property
    def memory_mb_free(self) -> int:
        return self.memory_mb - self.memory_mb_used

    def names(self) -> set[str]:
        """Everything a user may call this host by."""
        return {n for n in (self.id, self.name, self.display_name, self.service_host) if n}


def _zone(body: Mapping[str, Any]) -> str | None:
    return opt_text(body.get("availability_zone")) or text_map(body.get("metadata")).get(
        "availability_zone"
    )


@dataclass(frozen=True)
class HostGroup(WireRecord):
    """A PowerVC host group (a nova aggregate with its availability zone)."""

    id: str
    name: str
    availability_zone: str | None = field(default=None, metadata=computed(_zone))
    hosts: tuple[str, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)
    raw: Mapping[str, Any] = raw_payload()

    @property
    def placement_policy(self) -> str | None:
        return next(
            (v for k, v in self.metadata.items() if k.endswith("placement_policy")),
            None,
        )

    @property
    def zone(self) -> str:
        """The availability zone a deploy to this group sends."""
        return self.availability_zone or self.name


def _policy(body: Mapping[str, Any]) -> str | None:
    policies = strings(body.get("policies"))  # before microversion 2.64
    return opt_text(body.get("policy")) or (policies[0] if policies else None)


@dataclass(frozen=True)
class CollocationRule(WireRecord):
    """A PowerVC collocation rule (a nova server group): affinity or anti-affinity."""

    id: str
    name: str
    policy: str | None = field(default=None, metadata=computed(_policy))
    members: tuple[str, ...] = ()
    raw: Mapping[str, Any] = raw_payload()


def _scg_name(body: Mapping[str, Any]) -> str:
    return text(body.get("display_name")) or str(body.get("name") or "")


def _host_names(body: Mapping[str, Any]) -> tuple[str, ...]:
    """Hosts as `host_list: [{"name": ...}]`, `hosts: [...]` or strings."""
    listed = body.get("host_list")
    if listed is None:
        listed = body.get("hosts")
    if not isinstance(listed, list):
        return ()
    names = []
    for item in listed:
        if isinstance(item, Mapping):
            name = item.get("name") or item.get("hypervisor_hostname") or item.get("id")
            if name:
                names.append(str(name))
        elif item:
            names.append(str(item))
    return tuple(names)


@dataclass(frozen=True)
class StorageConnectivityGroup(WireRecord):
    """Which hosts (and how many VIOS each) reach storage, and how (npiv, vscsi...)."""

    id: str
    name: str = field(metadata=computed(_scg_name))
    enabled: bool = True
    auto_defined: bool = False
    boot_connectivity: tuple[str, ...] = ()
    data_connectivity: tuple[str, ...] = ()
    vios_redundancy: str | None = None
    hosts: tuple[str, ...] = field(default=(), metadata=computed(_host_names))
    description: str | None = None
    raw: Mapping[str, Any] = raw_payload()


class PowerVC:
    """Hosts, host groups, collocation rules and storage connectivity groups."""

    def __init__(self, session: Session, compute: Compute | None = None) -> None:
        self.session = session
        self.compute = compute or Compute(session)

    async def _list(self, path: str, key: str) -> list[dict[str, Any]]:
        return await _resource.list_all(
            self.session, SERVICE, path, key, microversion=await self.compute.microversion()
        )

    async def _show(self, path: str, item_id: str, key: str) -> Mapping[str, Any]:
        body = await _resource.get_json(
            self.session,
            SERVICE,
            _resource.item_path(path, item_id),
            microversion=await self.compute.microversion(),
        )
        found = body.get(key)
        return found if isinstance(found, Mapping) else {}

    # hosts
    async def hosts(self) -> list[Host]:
        return [
            Host.from_wire(row) for row in await self._list("/os-hypervisors/detail", "hypervisors")
        ]

    async def host(self, host_id: str) -> Host:
        return Host.from_wire(await self._show("/os-hypervisors", host_id, "hypervisor"))

    async def find_host(self, name_or_id: str) -> Host:
        """By id, hypervisor host name or display name."""
        hosts = await self.hosts()
        return _one("host", name_or_id, hosts, [h for h in hosts if name_or_id in h.names()])

    # host groups
    async def host_groups(self) -> list[HostGroup]:
        return [
            HostGroup.from_wire(row) for row in await self._list("/os-aggregates", "aggregates")
        ]

    async def host_group(self, group_id: str) -> HostGroup:
        return HostGroup.from_wire(await self._show("/os-aggregates", group_id, "aggregate"))

    async def find_host_group(self, name_or_id: str) -> HostGroup:
        """By id, name or availability zone."""
        groups = await self.host_groups()
        matching = [g for g in groups if name_or_id in (g.id, g.name, g.availability_zone)]
        return _one("host group", name_or_id, groups, matching)

    # collocation rules
    async def collocation_rules(self) -> list[CollocationRule]:
        rows = await self._list("/os-server-groups", "server_groups")
        return [CollocationRule.from_wire(row) for row in rows]

    async def collocation_rule(self, rule_id: str) -> CollocationRule:
        return CollocationRule.from_wire(
            await self._show("/os-server-groups", rule_id, "server_group")
        )

    async def find_collocation_rule(self, name_or_id: str) -> CollocationRule:
        return await _resource.find(
            "collocation rule",
            name_or_id,
            self.collocation_rule,
            lambda _: self.collocation_rules(),
            complete=True,
        )

    # storage connectivity groups
    async def storage_connectivity_groups(self) -> list[StorageConnectivityGroup]:
        rows = await self._list(
            "/storage-connectivity-groups/detail", "storage_connectivity_groups"
        )
        return [StorageConnectivityGroup.from_wire(row) for row in rows]

    async def storage_connectivity_group(self, scg_id: str) -> StorageConnectivityGroup:
        body = await self._show(
            "/storage-connectivity-groups", scg_id, "storage_connectivity_group"
        )
        return StorageConnectivityGroup.from_wire(body)

    async def storage_connectivity_group_templates(self, scg_id: str) -> list[str]:
        """The ids of the storage templates (volume types) on storage providers the group
        reaches: PowerVC's `GET .../storage-connectivity-groups/{id}/volume-types`, the one
        place it says which storage a group can attach (its record lists hosts and VIOS only)."""
        path = _resource.item_path("/storage-connectivity-groups", scg_id) + "/volume-types"
        body = await _resource.get_json(
            self.session, SERVICE, path, microversion=await self.compute.microversion()
        )
        rows = body.get("volume_types")
        return [str(row["id"]) for row in rows or () if isinstance(row, Mapping) and row.get("id")]

    async def find_storage_connectivity_group(self, name_or_id: str) -> StorageConnectivityGroup:
        return await _resource.find(
            "storage connectivity group",
            name_or_id,
            self.storage_connectivity_group,
            lambda _: self.storage_connectivity_groups(),
            complete=True,
        )


T = TypeVar("T", Host, HostGroup)


def _one(kind: str, name_or_id: str, everything: Sequence[T], matching: Sequence[T]) -> T:
    if len(matching) == 1:
        return matching[0]
    if matching:
        raise AmbiguousName(kind, name_or_id, [item.id for item in matching])
    names = ", ".join(sorted(item.name for item in everything))
    hint = f"{kind}s: {names}" if names else f"there are no {kind}s"
    raise NameNotFound(kind, name_or_id, hint=hint)
