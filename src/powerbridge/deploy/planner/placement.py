"""Placement: the usable hosts a server may land on (its host, host group and SCG) and the
availability zone that asks Nova for them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias

from powerbridge.deploy.cloudview import CloudView, Host, HostGroup, StorageConnectivityGroup
from powerbridge.deploy.model import ServerSpec
from powerbridge.deploy.plan_model import Kind
from powerbridge.deploy.planner.findings import Findings
from powerbridge.deploy.planner.resolution import resolve

__all__ = ["Domain", "Placement", "Placer"]

_DomainKey: TypeAlias = tuple[str | None, str | None, str | None]


@dataclass(frozen=True)
class Domain:
    """Where a server may land: the usable hosts its host, host group and SCG allow."""

    kind: Kind
    label: str
    hosts: frozenset[str]


@dataclass(frozen=True)
class Placement:
    domain: Domain
    zone: str | None


class Placer:
    """Each server's placement; the domain of each (host, host group, SCG) is made once."""

    def __init__(self, view: CloudView, findings: Findings) -> None:
        self.view = view
        self.findings = findings
        self.domains: dict[_DomainKey, Domain | str] = {}

    def place(self, server: ServerSpec, scg: StorageConnectivityGroup | None) -> Placement | None:
        """Where `server` may land, or None with an issue when nowhere."""
        group = host = None
        if server.host_group is not None:
            group = resolve(
                self.findings,
                self.view.host_group_index,
                Kind.HOST_GROUP,
                server.host_group,
                "server",
                server.name,
            )
        if server.host is not None:
            host = resolve(
                self.findings, self.view.host_index, Kind.HOST, server.host, "server", server.name
            )
        if ("server", server.name) in self.findings.failed:
            return None
        if group is not None and not group.availability_zone:
            message = f"host group '{group.name}' has no availability zone"
            kind = Kind.HOST_GROUP
            self.findings.issue(kind, group.name, "no_zone", message, "server", server.name)
            return None
        key = (host.name if host else None, group.id if group else None, scg.id if scg else None)
        domain = self.domains.get(key)
        if domain is None:
            domain = self.domains[key] = self._make_domain(host, group, scg)
        if isinstance(domain, str):
            kind, name = Kind.HOST, "hosts"
            if host is not None:
                kind, name = Kind.HOST, host.name
            elif group is not None:
                kind, name = Kind.HOST_GROUP, group.name
            elif scg is not None:
                kind, name = Kind.STORAGE_CONNECTIVITY_GROUP, scg.name
            self.findings.issue(kind, name, "no_host", domain, "server", server.name)
            return None
        zone = group.availability_zone if group else None
        if host is not None:
            zone = f"{zone or ''}:{host.name}"
        return Placement(domain, zone)

    def _make_domain(
        self, host: Host | None, group: HostGroup | None, scg: StorageConnectivityGroup | None
    ) -> Domain | str:
        """The usable hosts a server may land on, or why there is none."""
        hosts = {item.name for item in self.view.hosts if item.usable}
        labels: list[str] = []
        kind = Kind.HOST
        if group is not None:
            hosts &= self._host_names(group.hosts)
            labels.append(f"host group '{group.name}'")
            kind = Kind.HOST_GROUP
        if group is not None and scg is not None and self.view.hosts_visible:
            uncovered = _uncovered(
                group, scg, self._host_names(group.hosts), self._host_names(scg.hosts)
            )
            if uncovered is not None:
                return uncovered
        if scg is not None:
            hosts &= self._host_names(scg.hosts)
            labels.append(f"storage connectivity group '{scg.name}'")
            kind = kind if group else Kind.STORAGE_CONNECTIVITY_GROUP
        where = " and ".join(labels)
        if not self.view.hosts_visible:  # placement is PowerVC's to check
            return Domain(kind, where or "all hosts", frozenset())
        if host is not None:
            label = f"host '{host.display_name or host.name}'"
            if host.display_name:
                label += f" ({host.name})"
            if not host.usable:
                return f"{label} is {host.state} and {host.status}"
            if host.name not in hosts:
                return f"{label} is not in {where}"
            return Domain(Kind.HOST, label, frozenset({host.name}))
        if not hosts:
            return f"no usable host in {where or 'the cloud'}"
        return Domain(kind, where or "all hosts", frozenset(hosts))

    def _host_names(self, refs: Iterable[str]) -> set[str]:
        names = set()
        for ref in refs:
            found = self.view.host_index.find(ref)
            if len(found) == 1:
                names.add(found[0].name)
        return names


def _uncovered(
    group: HostGroup, scg: StorageConnectivityGroup, members: set[str], covered: set[str]
) -> str | None:
    """Why no host of `group` can reach storage through `scg`, or None when some can."""
    if members & covered:
        return None
    return (
        f"storage connectivity group '{scg.name}' covers none of the hosts of host group"
        f" '{group.name}' ({', '.join(sorted(members)) or 'none'}); it covers"
        f" {', '.join(sorted(covered)) or 'no host'}: pick a host group with hosts it covers,"
        " or another storage connectivity group"
    )
