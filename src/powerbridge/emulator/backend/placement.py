"""The scheduler: PowerVC's placement policies over sorted indexes of the hosts' free capacity.

Every scope (all hosts, and each availability zone, i.e. host group) keeps its usable hosts in
a list sorted by its policy's preference key, updated by bisection whenever a host's usage or
availability changes. A placement walks that list from the best key and takes the first host
that passes the request's filters (collocation, storage connectivity, compatibility) and fits,
so with capacity to spare it looks at a handful of hosts, not all of them:

- striping: fewest VMs, then most free memory (PowerVC: "the host with the fewest VMs");
- packing: least free memory that still fits, then most VMs; the walk starts at the first host
  with enough memory (a bisection), so full hosts cost nothing (PowerVC ranks by VM count; for
  VMs of one size the two orders agree);
- cpu_balanced / memory_balanced: lowest share of processing units / memory allocated (PowerVC's
  allocation-balanced policies; its utilization-balanced ones use allocation as the proxy).

Only a failed placement scans the scope, to say which resource was short and where.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from powerbridge.emulator.backend.hosts import Claim, Host, HostInventory, NoValidHost

PolicyKey = tuple[Any, ...]  # the last item is always the host name


def policy_key(policy: str, host: Host) -> PolicyKey:
    if policy == "packing":
        return (host.memory_free_mb, -len(host.servers), host.name)
    if policy == "cpu_balanced":
        return (float(host.units_used) / max(host.spec.processors, 1), host.name)
    if policy == "memory_balanced":
        return (host.memory_used_mb / max(host.spec.memory_mb, 1), host.name)
    return (len(host.servers), -host.memory_free_mb, host.name)


class PolicyIndex:
    """The usable hosts of one scope, best first for one policy."""

    def __init__(self, policy: str, hosts: Iterable[Host]) -> None:
        self.policy = policy
        self._key_of = {host.name: policy_key(policy, host) for host in hosts}
        self._keys = sorted(self._key_of.values())

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, name: object) -> bool:
        return name in self._key_of

    def key(self, name: str) -> PolicyKey:
        return self._key_of[name]

    def update(self, host: Host) -> None:
        """Re-rank `host` (add it if absent)."""
        self.discard(host.name)
        key = policy_key(self.policy, host)
        self._key_of[host.name] = key
        insort(self._keys, key)

    def discard(self, name: str) -> None:
        old = self._key_of.pop(name, None)
        if old is not None:
            del self._keys[bisect_left(self._keys, old)]

    def names(self, claim: Claim) -> Iterator[str]:
        """Host names best first; for packing, from the first with enough free memory."""
        keys = self._keys
        start = bisect_left(keys, (claim.memory_mb,)) if self.policy == "packing" else 0
        for position in range(start, len(keys)):
            yield keys[position][-1]


@dataclass(frozen=True)
class HostFilter:
    """Keep only `hosts` (keep=True) or every host but them; `reason` says why none passed."""

    hosts: frozenset[str]
    keep: bool
    reason: str

    def allows(self, name: str) -> bool:
        return (name in self.hosts) == self.keep


@dataclass(frozen=True)
class PlacementRequest:
    claim: Claim
    zone: str | None = None  # None: every host, ranked by the default host group's policy
    host: str | None = None  # a named host (hypervisor hostname)
    filters: tuple[HostFilter, ...] = ()
    preferences: tuple[HostFilter, ...] = ()  # soft rules, dropped when nothing fits with them


@dataclass(frozen=True)
class Scope:
    policy: str
    hosts: tuple[str, ...]


class Scheduler:
    def __init__(self, inventory: HostInventory) -> None:
        self.inventory = inventory
        self._scopes: dict[str | None, Scope] = {}
        self._indexes: dict[str | None, PolicyIndex] = {}
        self._zone_of: dict[str, str] = {}
        inventory.listen(self._on_change)

    def configure(self, zones: Mapping[str, Scope], default_policy: str) -> None:
        """(Re)build the indexes: one per availability zone, one over every host."""
        hosts = self.inventory.hosts
        self._scopes = {None: Scope(default_policy, tuple(hosts))}
        self._scopes.update(zones)
        self._zone_of = {name: zone for zone, scope in zones.items() for name in scope.hosts}
        self._indexes = {
            zone: PolicyIndex(scope.policy, (hosts[n] for n in scope.hosts if hosts[n].usable))
            for zone, scope in self._scopes.items()
        }

    def _on_change(self, host: Host) -> None:
        for zone in {None, self._zone_of.get(host.name)}:
            index = self._indexes.get(zone)
            if index is None:
                continue
            if host.usable:
                index.update(host)
            else:
                index.discard(host.name)

    def zones(self) -> list[str]:
        return [zone for zone in self._scopes if zone is not None]

    def zone_of(self, host_name: str) -> str | None:
        return self._zone_of.get(host_name)

    # -- placement -------------------------------------------------------------------------
    def place(self, server_id: str, request: PlacementRequest) -> Host:
        """Choose a host, claim the resources there and return it (or raise NoValidHost)."""
        host = self.select(request)
        self.inventory.claim(host, server_id, request.claim)
        return host

    def select(self, request: PlacementRequest) -> Host:
        index = self._indexes.get(request.zone)
        if index is None:
            raise NoValidHost(f"Availability zone {request.zone} does not exist.")
        if request.host is not None:
            return self._named(request)
        rounds = (request.preferences, ()) if request.preferences else ((),)
        for preferences in rounds:
            found = self._first_fit(index, request.claim, (*request.filters, *preferences))
            if found is not None:
                return found
        raise NoValidHost(self.explain(request))

    def _first_fit(
        self, index: PolicyIndex, claim: Claim, filters: tuple[HostFilter, ...]
    ) -> Host | None:
        hosts = self.inventory.hosts
        for name in self._walk(index, claim, filters):
            for rule in filters:
                if (name in rule.hosts) != rule.keep:
                    break
            else:
                host = hosts[name]
                if host.fits(claim):
                    return host
        return None

    @staticmethod
    def _walk(index: PolicyIndex, claim: Claim, filters: tuple[HostFilter, ...]) -> Iterable[str]:
        """The index order; a small "only these hosts" filter is walked instead of the index."""
        narrow = min((f for f in filters if f.keep), key=lambda f: len(f.hosts), default=None)
        if narrow is not None and len(narrow.hosts) * 4 < len(index):
            return sorted((n for n in narrow.hosts if n in index), key=index.key)
        return index.names(claim)

    def _named(self, request: PlacementRequest) -> Host:
        host = self.inventory.host(request.host or "")
        if host is None:
            raise NoValidHost(f"Host {request.host} is not managed by PowerVC.")
        problem = self._named_problem(host, request)
        if problem:
            raise NoValidHost(problem)
        return host

    def _named_problem(self, host: Host, request: PlacementRequest) -> str | None:
        scope = self._scopes.get(request.zone)
        if scope is not None and request.zone is not None and host.name not in scope.hosts:
            return f"Host {host.name} is not in availability zone {request.zone}."
        if not host.usable:
            return f"Host {host.name} does not accept new virtual machines: {_why(host)}."
        for rule in request.filters:
            if not rule.allows(host.name):
                return rule.reason
        if not host.fits(request.claim):
            return host_shortage(host, request.claim)
        return None

    # -- explanations ----------------------------------------------------------------------
    def explain(self, request: PlacementRequest) -> str:
        """Which resource was short and where (only runs when a placement failed)."""
        scope = self._scopes.get(request.zone)
        where = f"in availability zone {request.zone}" if request.zone else "managed by PowerVC"
        if scope is None or not scope.hosts:
            return f"No host is {where}."
        hosts = [self.inventory.hosts[name] for name in scope.hosts]
        remaining = [h for h in hosts if h.usable]
        if not remaining:
            states = ", ".join(f"{h.name} ({_why(h)})" for h in hosts)
            return f"No host {where} accepts new virtual machines: {states}."
        for rule in request.filters:
            remaining = [h for h in remaining if rule.allows(h.name)]
            if not remaining:
                return rule.reason
        return _shortage(remaining, request.claim)


def _why(host: Host) -> str:
    if host.maintenance != "ok":
        return "in maintenance mode"
    return f"state {host.spec.state}"


def host_shortage(host: Host, claim: Claim) -> str:
    if claim.memory_mb > host.memory_free_mb:
        return (
            f"Insufficient memory on host {host.name}: {claim.memory_mb} MB requested, "
            f"{host.memory_free_mb} MB free."
        )
    return (
        f"Insufficient processing units on host {host.name}: {claim.proc_units} requested, "
        f"{host.units_free} free."
    )


def _shortage(hosts: list[Host], claim: Claim) -> str:
    most_memory = max(hosts, key=lambda h: h.memory_free_mb)
    most_units = max(hosts, key=lambda h: h.units_free)
    if claim.memory_mb > most_memory.memory_free_mb:
        return (
            f"Insufficient memory: {claim.memory_mb} MB requested, at most "
            f"{most_memory.memory_free_mb} MB free on any candidate host ({most_memory.name})."
        )
    if claim.proc_units > most_units.units_free:
        return (
            f"Insufficient processing units: {claim.proc_units} requested, at most "
            f"{most_units.units_free} free on any candidate host ({most_units.name})."
        )
    return (
        f"No single candidate host has both {claim.memory_mb} MB of memory and "
        f"{claim.proc_units} processing units free."
    )
