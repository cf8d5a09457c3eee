"""Host groups: nova aggregates with one availability zone and a placement policy each.

As in PowerVC, every host is in exactly one host group: hosts outside the declared groups are
members of the default host group ("Default Group", zone `nova`), which cannot be deleted; its
membership is computed, so adding a host to a group takes it out of the default one and
removing it puts it back. The placement policy is the group's `placement_policy` metadata key
(striping when absent). A group without an availability zone keeps its hosts in zone `nova`.
Every change re-configures the scheduler's indexes through `on_change`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.dro_rules import settings_of
from powerbridge.emulator.backend.hosts import HostInventory
from powerbridge.emulator.backend.placement import Scope
from powerbridge.emulator.errors import ApiError, bad_request, conflict, not_found
from powerbridge.emulator.estate import (
    DEFAULT_HOST_GROUP,
    DEFAULT_ZONE,
    PLACEMENT_POLICIES,
    placement_policy,
)

POLICY_KEY = "placement_policy"
ZONE_KEY = "availability_zone"


@dataclass
class HostGroup:
    id: int
    uuid: str
    name: str
    availability_zone: str | None
    created_at: float
    hosts: list[str] = field(default_factory=list)  # empty for the default group (computed)
    metadata: dict[str, str] = field(default_factory=dict)
    updated_at: float | None = None
    default: bool = False

    @property
    def zone(self) -> str:
        return self.availability_zone or DEFAULT_ZONE


class HostGroupBackend:
    def __init__(
        self, ctx: BackendContext, inventory: HostInventory, on_change: Callable[[], None]
    ) -> None:
        self.ctx = ctx
        self.inventory = inventory
        self.on_change = on_change
        self.groups: dict[int, HostGroup] = {}
        for body in ctx.store.load("host_group"):
            group = HostGroup(**body)
            self.groups[group.id] = group
        if not any(g.default for g in self.groups.values()):
            self._add_default()

    def _add_default(self) -> None:
        policy = placement_policy(self.ctx.estate.default_placement_policy) or "striping"
        group = self._new(DEFAULT_HOST_GROUP, DEFAULT_ZONE, default=True)
        group.metadata = {POLICY_KEY: policy}
        self._save(group)

    def seed(self) -> None:
        for spec in self.ctx.estate.host_groups:
            group = self._new(spec.name, spec.availability_zone or spec.name)
            group.hosts = list(spec.hosts)
            policy = placement_policy(spec.placement_policy) or "striping"
            group.metadata = {**spec.metadata, POLICY_KEY: policy}
            self._save(group)
        self.on_change()

    def _new(self, name: str, zone: str | None, *, default: bool = False) -> HostGroup:
        group = HostGroup(
            id=max(self.groups, default=0) + 1,
            uuid=str(uuid.uuid4()),
            name=name,
            availability_zone=zone,
            created_at=self.ctx.clock.now(),
            default=default,
        )
        self.groups[group.id] = group
        return group

    def _save(self, group: HostGroup) -> None:
        self.ctx.store.put("host_group", str(group.id), asdict(group))

    def _changed(self, group: HostGroup) -> None:
        group.updated_at = self.ctx.clock.now()
        self._save(group)
        self.on_change()

    # -- views -----------------------------------------------------------------------------
    def default_group(self) -> HostGroup:
        return next(g for g in self.groups.values() if g.default)

    def hosts_of(self, group: HostGroup) -> list[str]:
        if not group.default:
            return list(group.hosts)
        grouped = {h for g in self.groups.values() for h in g.hosts}
        return [name for name in self.inventory.hosts if name not in grouped]

    def group_of(self, host_name: str) -> HostGroup:
        for group in self.groups.values():
            if host_name in group.hosts:
                return group
        return self.default_group()

    def policy(self, group: HostGroup) -> str:
        return placement_policy(group.metadata.get(POLICY_KEY, "striping")) or "striping"

    def scopes(self) -> dict[str, Scope]:
        """Availability zone -> (policy, hosts), for the scheduler."""
        members: dict[str, list[str]] = {}
        policies: dict[str, str] = {}
        for group in sorted(self.groups.values(), key=lambda g: (not g.default, g.id)):
            members.setdefault(group.zone, []).extend(self.hosts_of(group))
            policies.setdefault(group.zone, self.policy(group))
        return {zone: Scope(policies[zone], tuple(hosts)) for zone, hosts in members.items()}

    def default_policy(self) -> str:
        return self.policy(self.default_group())

    def zones(self) -> set[str]:
        return {g.zone for g in self.groups.values()}

    def get(self, ref: str) -> HostGroup:
        for group in self.groups.values():
            if ref in (str(group.id), group.uuid):
                return group
        raise not_found(f"Aggregate {ref} could not be found.")

    # -- changes ---------------------------------------------------------------------------
    def create(self, name: str, zone: str | None) -> HostGroup:
        self._check_name(name)
        self._check_zone(zone, None)
        group = self._new(name, zone)
        group.metadata = {POLICY_KEY: "striping"}
        self._changed(group)
        return group

    def update(
        self, ref: str, *, name: str | None, zone: str | None, zone_given: bool
    ) -> HostGroup:
        group = self.get(ref)
        if name is not None and name != group.name:
            self._check_name(name)
            group.name = name
        if zone_given and zone != group.availability_zone:
            self._check_zone_change(group, zone)
            group.availability_zone = zone
        self._changed(group)
        return group

    def delete(self, ref: str) -> None:
        group = self.get(ref)
        if group.default:
            raise bad_request(
                f"Cannot delete aggregate {group.id}. Reason: the default host group cannot be "
                "deleted."
            )
        if group.hosts:
            raise bad_request(
                f"Cannot delete aggregate {group.id}. Reason: Host aggregate is not empty."
            )
        del self.groups[group.id]
        self.ctx.store.delete("host_group", str(group.id))
        self.on_change()

    def add_host(self, ref: str, host_name: str) -> HostGroup:
        group = self.get(ref)
        host = self.inventory.host(host_name)
        if host is None:
            raise not_found(f"Compute host {host_name} could not be found.")
        current = self.group_of(host.name)
        if current.id == group.id:
            raise conflict(f"Aggregate {group.id} already has host {host.name}.")
        if not current.default:
            raise conflict(
                f"Cannot add host to aggregate {group.id}. Reason: One or more hosts already "
                f"in availability zone(s) ['{current.zone}'] (host group {current.name}); a "
                "host belongs to one host group."
            )
        group.hosts.append(host.name)
        self._changed(group)
        return group

    def remove_host(self, ref: str, host_name: str) -> HostGroup:
        group = self.get(ref)
        if group.default:
            raise bad_request(
                f"Cannot remove host {host_name} from the default host group: every host is in "
                "a host group; add it to another host group instead."
            )
        if host_name not in group.hosts:
            raise not_found(f"Aggregate {group.id} has no host {host_name}.")
        group.hosts.remove(host_name)
        self._changed(group)
        return group

    def set_metadata(self, ref: str, changes: Mapping[str, str | None]) -> HostGroup:
        """Merge `changes` (None deletes a key); `availability_zone` and `placement_policy`
        are checked and applied."""
        group = self.get(ref)
        metadata = dict(group.metadata)
        for key, value in changes.items():
            if key == ZONE_KEY:
                self._check_zone_change(group, value)
                group.availability_zone = value
            elif value is None:
                metadata.pop(key, None)
            elif key == POLICY_KEY:
                metadata[key] = _policy_value(value)
            else:
                metadata[key] = value
        if any(key.startswith("dro_") for key in changes):
            settings_of(metadata)  # the optimizer's settings: a bad value is a 400 here
        group.metadata = metadata
        self._changed(group)
        return group

    # -- checks ----------------------------------------------------------------------------
    def _check_name(self, name: str) -> None:
        if any(g.name == name for g in self.groups.values()):
            raise conflict(f"Aggregate {name} already exists.")

    def _check_zone(self, zone: str | None, group: HostGroup | None) -> None:
        if zone is None:
            return
        for other in self.groups.values():
            if other is not group and other.availability_zone == zone:
                raise conflict(
                    f"Availability zone {zone} is already used by host group {other.name}; "
                    "an availability zone maps to one host group."
                )

    def _check_zone_change(self, group: HostGroup, zone: str | None) -> None:
        if group.default:
            raise bad_request("The availability zone of the default host group cannot change.")
        self._check_zone(zone, group)


def _policy_value(value: str) -> str:
    policy = placement_policy(value)
    if policy is None:
        raise ApiError(
            "badRequest",
            f"Invalid placement_policy {value!r}: use one of {', '.join(PLACEMENT_POLICIES)}.",
        )
    return policy
