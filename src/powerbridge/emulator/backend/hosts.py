"""Managed hosts (PowerVM systems): capacity counters, claims, maintenance state, deploy slots.

Free capacity lives in plain counters per host, updated on claim and release; every change is
announced to the listeners (the scheduler's sorted indexes), so placing a VM never scans the
hosts or touches the database. A host runs at most `max_concurrent_deploys` deploys at once;
placement does not wait for a slot (the claim is taken at once, as PowerVC reserves capacity
when it schedules), the deploy itself queues.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from powerbridge.emulator.estate import HostSpec

OPERATING = "operating"
MAINTENANCE_OK = "ok"
_HOST_NAMESPACE = uuid.UUID("5b8f2f3e-8c1a-4d3e-9a57-2f6f0c1d9e42")


class NoValidHost(Exception):
    """Placement failed; the message says which resource was short, and where."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"No valid host was found. {reason}")
        self.reason = reason


@dataclass(frozen=True)
class Claim:
    """What a partition takes from its host: desired memory, entitlement, virtual processors."""

    memory_mb: int
    proc_units: Decimal
    vcpus: int = 0


@dataclass
class Host:
    """A managed system. Free memory and processing units are kept as counters (not derived
    from the used ones) because `fits` runs in the scheduler's innermost loop."""

    spec: HostSpec
    number: int  # nova's integer hypervisor id (before microversion 2.53)
    memory_free_mb: int = field(init=False)
    units_total: Decimal = field(init=False)
    units_free: Decimal = field(init=False)
    vcpus_used: int = 0
    servers: set[str] = field(default_factory=set)
    deploying: set[str] = field(default_factory=set)
    waiting: deque[str] = field(default_factory=deque)
    maintenance: str = MAINTENANCE_OK  # ok | entering | on | error (PowerVC's statuses)
    maintenance_action: str = "none"  # none | active-only | all

    def __post_init__(self) -> None:
        self.units_total = Decimal(self.spec.processors)
        self.memory_free_mb = self.spec.memory_mb
        self.units_free = self.units_total

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def display_name(self) -> str:
        return self.spec.display_name or self.spec.name

    @property
    def uuid(self) -> str:
        """The hypervisor id from microversion 2.53: stable across restarts."""
        return str(uuid.uuid5(_HOST_NAMESPACE, self.spec.name))

    @property
    def host_ip(self) -> str:
        return self.spec.host_ip or f"10.20.{self.number // 250}.{self.number % 250 + 1}"

    @property
    def memory_used_mb(self) -> int:
        return self.spec.memory_mb - self.memory_free_mb

    @property
    def units_used(self) -> Decimal:
        return self.units_total - self.units_free

    @property
    def usable(self) -> bool:
        """New placements may land here: operating and not in maintenance."""
        return self.spec.state == OPERATING and self.maintenance == MAINTENANCE_OK

    def fits(self, claim: Claim) -> bool:
        return claim.memory_mb <= self.memory_free_mb and claim.proc_units <= self.units_free


Listener = Callable[[Host], None]


class HostInventory:
    def __init__(self, specs: list[HostSpec]) -> None:
        self.hosts: dict[str, Host] = {
            spec.name: Host(spec, number) for number, spec in enumerate(specs, start=1)
        }
        self._by_alias: dict[str, Host] = {}
        for host in self.hosts.values():
            for alias in (host.display_name, str(host.number), host.uuid):
                self._by_alias.setdefault(alias, host)
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        """Call `listener(host)` after every change of a host's usage or availability."""
        self._listeners.append(listener)

    def _changed(self, host: Host) -> None:
        for listener in self._listeners:
            listener(host)

    # -- lookups ---------------------------------------------------------------------------
    def host(self, name: str) -> Host | None:
        return self.hosts.get(name)

    def by_display_name(self, name: str) -> Host | None:
        """A host by hypervisor hostname (MTM-SN), display name, integer id or uuid."""
        return self.hosts.get(name) or self._by_alias.get(name)

    # -- usage -----------------------------------------------------------------------------
    def claim(self, host: Host, server_id: str, claim: Claim) -> None:
        host.memory_free_mb -= claim.memory_mb
        host.units_free -= claim.proc_units
        host.vcpus_used += claim.vcpus
        host.servers.add(server_id)
        self._changed(host)

    def release(self, host_name: str | None, server_id: str, claim: Claim) -> None:
        host = self.hosts.get(host_name or "")
        if host is None or server_id not in host.servers:
            return
        host.memory_free_mb += claim.memory_mb
        host.units_free += claim.proc_units
        host.vcpus_used -= claim.vcpus
        host.servers.discard(server_id)
        host.deploying.discard(server_id)
        if server_id in host.waiting:
            host.waiting.remove(server_id)
        self._changed(host)

    def change_claim(self, host: Host, old: Claim, new: Claim) -> None:
        """A resize in place: the server keeps its host, its claim grows or shrinks."""
        host.memory_free_mb -= new.memory_mb - old.memory_mb
        host.units_free -= new.proc_units - old.proc_units
        host.vcpus_used += new.vcpus - old.vcpus
        self._changed(host)

    def set_maintenance(self, host: Host, status: str, action: str) -> None:
        host.maintenance, host.maintenance_action = status, action
        self._changed(host)

    # -- deploy slots ----------------------------------------------------------------------
    def start_or_queue(self, host: Host, server_id: str) -> bool:
        """True if the deploy may start now; otherwise it waits for a slot on this host."""
        if len(host.deploying) < host.spec.max_concurrent_deploys:
            host.deploying.add(server_id)
            return True
        host.waiting.append(server_id)
        return False

    def finish_deploy(self, host_name: str | None, server_id: str) -> str | None:
        """Free the slot; return the next waiting server to start, if any."""
        host = self.hosts.get(host_name or "")
        if host is None:
            return None
        host.deploying.discard(server_id)
        if host.waiting and len(host.deploying) < host.spec.max_concurrent_deploys:
            next_id = host.waiting.popleft()
            host.deploying.add(next_id)
            return next_id
        return None
