"""Collocation feasibility: anti-affinity needs enough distinct usable hosts not holding a
member; affinity needs a common host with room for all members."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from powerbridge import powervm
from powerbridge.deploy.cloudview import CloudView
from powerbridge.deploy.cloudview import CollocationRule as ExistingRule
from powerbridge.deploy.plan_model import Block, Kind, Ref, ServerCreate
from powerbridge.deploy.planner.findings import plural

__all__ = ["Rule", "collocation_blocks"]


@dataclass
class Rule:
    """A collocation rule servers of this plan join: its policy and, if it exists, itself."""

    ref: Ref
    policy: str
    existing: ExistingRule | None = None
    members: list[ServerCreate] = field(default_factory=list)


def collocation_blocks(view: CloudView, rule: Rule) -> Iterator[Block]:
    if not rule.members or not view.hosts_visible:
        return
    taken = _member_hosts(view, rule.existing)
    if rule.policy == "anti-affinity":
        yield from _anti_affinity_blocks(rule, taken)
    elif rule.policy == "affinity":
        yield from _affinity_blocks(view, rule, taken)


def _member_hosts(view: CloudView, rule: ExistingRule | None) -> set[str]:
    """The hosts the rule's existing members run on."""
    hosts: set[str] = set()
    for member in rule.members if rule else ():
        server = view.server_index.by_id(member)
        found = view.host_index.find(server.host) if server and server.host else []
        if len(found) == 1:
            hosts.add(found[0].name)
    return hosts


def _anti_affinity_blocks(rule: Rule, taken: set[str]) -> Iterator[Block]:
    counts: dict[frozenset[str], int] = {}
    for member in rule.members:
        counts[member.hosts] = counts.get(member.hosts, 0) + 1
    counts.setdefault(frozenset().union(*counts), 0)
    for hosts in counts:
        need = sum(n for other, n in counts.items() if other <= hosts)
        free = hosts - taken
        if need > len(free):
            message = (
                f"anti-affinity rule '{rule.ref.name}': {need} servers to create need"
                f" different hosts; only {plural(len(free), 'usable host')}"
                f" can take them ({', '.join(sorted(free)) or 'none'})"
            )
            affects = tuple(m.name for m in rule.members if m.hosts <= hosts)
            yield Block(Kind.COLLOCATION_RULE, rule.ref.name, message, "collocation", affects)
            return  # one shortfall says it; the wider sets would repeat it


def _affinity_blocks(view: CloudView, rule: Rule, taken: set[str]) -> Iterator[Block]:
    common = frozenset.intersection(*(member.hosts for member in rule.members))
    if taken:
        common &= taken
    affects = tuple(member.name for member in rule.members)
    name = rule.ref.name
    if not common:
        message = f"affinity rule '{name}': its servers have no usable host in common"
        yield Block(Kind.COLLOCATION_RULE, name, message, "collocation", affects)
        return
    memory = sum(member.memory_mb for member in rule.members)
    units = sum((member.proc_units for member in rule.members), Decimal(0))
    hosts = [host for host in view.hosts if host.name in common]
    if not any(h.free_memory_mb >= memory and h.free_proc_units >= units for h in hosts):
        message = (
            f"affinity rule '{name}': no host has {memory} MB of memory and"
            f" {powervm.format_units(units)} processing units free for its"
            f" {plural(len(rule.members), 'server')}"
        )
        yield Block(Kind.COLLOCATION_RULE, name, message, "collocation", affects)
