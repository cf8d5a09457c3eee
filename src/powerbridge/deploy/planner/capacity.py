"""Capacity the planner can see: host memory and processing units, storage provider free
space and the project's limits."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from powerbridge import powervm
from powerbridge.deploy.cloudview import UNLIMITED, CloudView, Host
from powerbridge.deploy.plan_model import Block, Kind, ServerCreate, VolumeCreate
from powerbridge.deploy.planner.findings import plural
from powerbridge.deploy.planner.placement import Domain

__all__ = ["host_blocks", "limit_blocks", "storage_blocks"]


@dataclass
class _Demand:
    count: int = 0
    memory_mb: int = 0
    proc_units: Decimal = Decimal(0)
    claims: set[tuple[int, Decimal]] = field(default_factory=set)
    servers: list[str] = field(default_factory=list)

    def add(self, server: ServerCreate) -> None:
        self.count += 1
        self.memory_mb += server.memory_mb
        self.proc_units += server.proc_units
        self.claims.add((server.memory_mb, server.proc_units))
        self.servers.append(server.name)

    def merge(self, other: _Demand) -> None:
        self.count += other.count
        self.memory_mb += other.memory_mb
        self.proc_units += other.proc_units


def host_blocks(
    view: CloudView, servers: Sequence[ServerCreate], domains: Mapping[str, Domain]
) -> Iterator[Block]:
    """Hall's condition over the host sets servers are confined to, plus a fit per server.

    For every set of hosts some servers may use (`domains`, by server name), the servers
    confined within it must fit in its free memory and processing units; each server must fit
    on one of its hosts.
    """
    if not view.hosts_visible:
        return
    demands: dict[Domain, _Demand] = {}
    for server in servers:
        demands.setdefault(domains[server.name], _Demand()).add(server)
    everywhere = frozenset().union(*(domain.hosts for domain in demands))
    checked = list(demands)
    if demands and all(domain.hosts != everywhere for domain in checked):
        checked.append(Domain(Kind.HOST, "the hosts this deployment may use", everywhere))
    hosts = {host.name: host for host in view.hosts}
    for domain in checked:
        total = _Demand()
        for other, demand in demands.items():
            if other.hosts <= domain.hosts:
                total.merge(demand)
        members = [hosts[name] for name in sorted(domain.hosts)]
        yield from _domain_blocks(domain, total, members)
        if domain in demands:
            yield from _fit_blocks(domain, demands[domain], members)


def _domain_blocks(domain: Domain, total: _Demand, hosts: Sequence[Host]) -> Iterator[Block]:
    memory = sum(host.free_memory_mb for host in hosts)
    units = sum((host.free_proc_units for host in hosts), Decimal(0))
    where = f"{domain.label} ({plural(len(hosts), 'usable host')})"
    need = f"{plural(total.count, 'server')} to create need"
    if total.memory_mb > memory:
        message = f"not enough memory in {where}: {need} {total.memory_mb} MB, {memory} MB free"
        yield Block(domain.kind, domain.label, message, "memory")
    if total.proc_units > units:
        message = (
            f"not enough processing units in {where}: {need}"
            f" {powervm.format_units(total.proc_units)}, {powervm.format_units(units)} free"
        )
        yield Block(domain.kind, domain.label, message, "proc_units")


def _fit_blocks(domain: Domain, demand: _Demand, hosts: Sequence[Host]) -> Iterator[Block]:
    for memory, units in sorted(demand.claims):
        if any(h.free_memory_mb >= memory and h.free_proc_units >= units for h in hosts):
            continue
        message = (
            f"no host in {domain.label} has {memory} MB of memory and"
            f" {powervm.format_units(units)} processing units free for one server"
        )
        yield Block(domain.kind, domain.label, message, "no_fit", tuple(demand.servers))


def storage_blocks(view: CloudView, volumes: Sequence[VolumeCreate]) -> Iterator[Block]:
    """A storage provider without the free space for the volumes the plan creates on it."""
    needs: dict[str, list[VolumeCreate]] = {}
    for volume in volumes:
        if volume.provider is not None:
            needs.setdefault(volume.provider, []).append(volume)
    for name, items in needs.items():
        found = view.provider_index.find(name)
        free = found[0].free_gb if len(found) == 1 else None
        total = sum(volume.size_gb for volume in items)
        if free is not None and total > free:
            message = (
                f"storage provider '{name}' has {free} GB free; the plan creates"
                f" {plural(len(items), 'volume')} of {total} GB on it"
            )
            affects = tuple(volume.name for volume in items)
            yield Block(Kind.STORAGE_PROVIDER, name, message, "storage", affects)


def limit_blocks(view: CloudView, servers: Sequence[ServerCreate]) -> Iterator[Block]:
    """The project's instance, core and RAM limits."""
    limits = view.limits
    checks = (
        ("instances", limits.instances_used, limits.instances_max, len(servers), ""),
        ("cores", limits.cores_used, limits.cores_max, sum(s.vcpus for s in servers), ""),
        (
            "RAM",
            limits.ram_used_mb,
            limits.ram_max_mb,
            sum(s.memory_mb for s in servers),
            " MB",
        ),
    )
    for what, used, maximum, need, unit in checks:
        if maximum != UNLIMITED and need and used + need > maximum:
            message = (
                f"project limit on {what}: {used}{unit} used of {maximum}{unit};"
                f" the plan needs {need}{unit} more"
            )
            yield Block(Kind.PROJECT, what, message, "limit")
