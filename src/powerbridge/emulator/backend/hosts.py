"""Managed hosts (PowerVM systems): capacity, claims, deploy slots and placement.

Free capacity lives in plain counters per host, updated on claim and release, so placing a VM
is a pass over in-memory hosts with no database round trip. A host runs at most
`max_concurrent_deploys` deploys at once; placement does not wait for a slot (the claim is
taken at once, as PowerVC reserves capacity when it schedules), the deploy itself queues.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from powerbridge.emulator.estate import HostSpec


class NoValidHost(Exception):
    """Placement failed; the message says which resource was short, and where."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"No valid host was found. {reason}")
        self.reason = reason


@dataclass(frozen=True)
class Claim:
    memory_mb: int
    proc_units: Decimal


@dataclass
class Host:
    spec: HostSpec
    memory_used_mb: int = 0
    units_used: Decimal = Decimal(0)
    servers: set[str] = field(default_factory=set)
    deploying: set[str] = field(default_factory=set)
    waiting: deque[str] = field(default_factory=deque)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def memory_free_mb(self) -> int:
        return self.spec.memory_mb - self.memory_used_mb

    @property
    def units_total(self) -> Decimal:
        return Decimal(self.spec.processors)

    @property
    def units_free(self) -> Decimal:
        return self.units_total - self.units_used

    def fits(self, claim: Claim) -> bool:
        return claim.memory_mb <= self.memory_free_mb and claim.proc_units <= self.units_free


class HostInventory:
    def __init__(self, specs: list[HostSpec]) -> None:
        self.hosts: dict[str, Host] = {spec.name: Host(spec) for spec in specs}

    def host(self, name: str) -> Host | None:
        return self.hosts.get(name)

    def by_display_name(self, name: str) -> Host | None:
        host = self.hosts.get(name)
        if host is not None:
            return host
        return next((h for h in self.hosts.values() if h.spec.display_name == name), None)

    def place(self, server_id: str, claim: Claim, only: str | None = None) -> Host:
        """Choose a host (striping: the one with the fewest VMs, then the most free memory),
        claim the resources there, and return it."""
        candidates = self._candidates(only)
        fitting = [h for h in candidates if h.fits(claim)]
        if not fitting:
            raise NoValidHost(self._shortage(candidates, claim))
        best = min(fitting, key=lambda h: (len(h.servers), -h.memory_free_mb, h.name))
        self.claim(best, server_id, claim)
        return best

    def _candidates(self, only: str | None) -> list[Host]:
        if only is not None:
            host = self.by_display_name(only)
            if host is None:
                raise NoValidHost(f"Host {only} is not managed by PowerVC.")
            hosts = [host]
        else:
            hosts = list(self.hosts.values())
        usable = [h for h in hosts if h.spec.state == "operating"]
        if not usable:
            names = ", ".join(h.name for h in hosts)
            raise NoValidHost(f"No host is in the operating state ({names}).")
        return usable

    @staticmethod
    def _shortage(hosts: list[Host], claim: Claim) -> str:
        most_memory = max(hosts, key=lambda h: h.memory_free_mb)
        most_units = max(hosts, key=lambda h: h.units_free)
        if claim.memory_mb > most_memory.memory_free_mb:
            return (
                f"Insufficient memory: {claim.memory_mb} MB requested, at most "
                f"{most_memory.memory_free_mb} MB free on any host ({most_memory.name})."
            )
        if claim.proc_units > most_units.units_free:
            return (
                f"Insufficient processing units: {claim.proc_units} requested, at most "
                f"{most_units.units_free} free on any host ({most_units.name})."
            )
        return (
            f"No single host has both {claim.memory_mb} MB of memory and {claim.proc_units} "
            "processing units free."
        )

    def claim(self, host: Host, server_id: str, claim: Claim) -> None:
        host.memory_used_mb += claim.memory_mb
        host.units_used += claim.proc_units
        host.servers.add(server_id)

    def release(self, host_name: str | None, server_id: str, claim: Claim) -> None:
        host = self.hosts.get(host_name or "")
        if host is None or server_id not in host.servers:
            return
        host.memory_used_mb -= claim.memory_mb
        host.units_used -= claim.proc_units
        host.servers.discard(server_id)
        host.deploying.discard(server_id)
        if server_id in host.waiting:
            host.waiting.remove(server_id)

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
