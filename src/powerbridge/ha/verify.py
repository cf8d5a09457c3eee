"""The create's last check: what the nodes themselves say about the cluster.

Verified means: `Current state: ST_STABLE` in every node's `lssrc -ls clstrmgrES`, the
resource group ONLINE on its home node (`clRGinfo -s`), and every node UP in CAA's view
(`lscluster -m`). Anything else is a problem named in words, polled until it clears or the
step's time runs out.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from powerbridge.ha.parse import clstrmgr_state, lscluster_nodes, rginfo_rows

if TYPE_CHECKING:
    from powerbridge.ha.executor import CommandResult
    from powerbridge.ha.workflow import Build

__all__ = ["Observed", "observe", "problems"]

CLSTRMGR = "lssrc -ls clstrmgrES"
GROUPS = "clRGinfo -s"
CAA = "lscluster -m"


@dataclass(frozen=True)
class Observed:
    manager_states: dict[str, str | None]  # node -> ST_STABLE, ST_INIT, ...
    group_rows: dict[str, str]  # node -> the resource group's state there
    caa_states: dict[str, str]  # node -> UP / DOWN
    results: tuple[CommandResult, ...]


async def observe(build: Build) -> Observed:
    spec, executor = build.spec, build.executor
    managers = await asyncio.gather(*(executor.run(n, CLSTRMGR) for n in spec.node_names))
    groups = await executor.run(spec.home_node, GROUPS)
    caa = await executor.run(spec.home_node, CAA)
    group = spec.resource_group.name
    return Observed(
        manager_states={r.node: clstrmgr_state(r.stdout) for r in managers},
        group_rows={
            row.node: row.state for row in rginfo_rows(groups.stdout) if row.group == group
        },
        caa_states=lscluster_nodes(caa.stdout),
        results=(*managers, groups, caa),
    )


def problems(build: Build, seen: Observed) -> list[str]:
    spec = build.spec
    found = [
        f"node {node} is {state or 'not answering clstrmgrES'}"
        for node, state in seen.manager_states.items()
        if state != "ST_STABLE"
    ]
    found += [
        f"CAA sees node {node} {seen.caa_states.get(node, 'missing')}"
        for node in spec.node_names
        if seen.caa_states.get(node) != "UP"
    ]
    group, home = spec.resource_group.name, spec.home_node
    where = seen.group_rows.get(home)
    if where is None or not where.startswith("ONLINE"):
        online = [n for n, s in seen.group_rows.items() if s.startswith("ONLINE")]
        now = f"ONLINE on {', '.join(online)}" if online else (where or "not listed")
        found.append(f"resource group {group} is {now}, not ONLINE on its home node {home}")
    return found
