"""`ha failover NAME [--to NODE]`: move the resource group to another node, then check it
is there, read back from the nodes.

```
connect -> state (where the group is, which nodes are stable) -> move -> verify
```
Without `--to`, the group goes to the next node by priority (the resource group's node
list, the spec's node order) after the one holding it whose cluster services are stable.
The move is PowerHA's own: `clmgr move resource_group RG NODE=TARGET`. Already there: the
job says so and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from powerbridge.ha.errors import HAError, StepFailed
from powerbridge.ha.ksh import quote
from powerbridge.ha.node_commands import NodeCommand
from powerbridge.ha.operations import (
    FAILOVER,
    OperationOptions,
    Progress,
    Seen,
    connect_step,
    load_cluster_spec_of,
    look,
    run_operation,
    wait_for_health,
)

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.ha.identity import Identity
    from powerbridge.ha.model import ClusterSpec
    from powerbridge.ha.workflow import Build, Step
    from powerbridge.jobs import Job, JobStore

__all__ = ["failover", "move_command", "next_node"]


def next_node(order: tuple[str, ...], holder: str | None, stable: list[str]) -> str | None:
    """The first stable node after `holder` in priority order, wrapping around."""
    start = order.index(holder) + 1 if holder in order else 0
    for name in order[start:] + order[:start]:
        if name != holder and name in stable:
            return name
    return None


def move_command(spec: ClusterSpec, target: str) -> NodeCommand:
    group = spec.resource_group.name
    return NodeCommand(
        target,
        "move",
        f"clmgr move resource_group {quote(group)} NODE={quote(target)}",
        f"clmgr move resource_group {group} NODE={target}",
        as_script=False,
    )


def _check_target(spec: ClusterSpec, target: str | None) -> None:
    if target is not None and target not in spec.node_names:
        raise HAError(
            f"{target} is not a node of cluster {spec.name} (its nodes:"
            f" {', '.join(spec.node_names)}); nothing was moved",
            hint="give --to one of those nodes, or leave it out for the next node up",
        )


async def _state(build: Build) -> str:
    seen = await look(build, "state", record=True)
    holder = seen.health.group_node
    wanted: str | None = build.facts["options"].to_node
    stable = seen.stable_nodes()
    target = wanted or next_node(build.spec.node_names, holder, stable)
    group = build.spec.resource_group.name
    if not stable:
        raise StepFailed(
            "state",
            f"no node runs stable cluster services (start them: `powerbridge ha start"
            f" {build.spec.name}`)",
        )
    if target is None:
        raise StepFailed("state", f"no other node runs stable cluster services to take {group}")
    if target != holder and target not in stable:
        raise StepFailed(
            "state", f"{target} cannot take {group}: its cluster services are not stable"
        )
    build.facts.update(target=target, holder=holder)
    build.journal.note("state", target=target)  # a takeover moves it there, not further
    if target == holder:
        return f"{group} is online on {target} already"
    return f"{group} is online on {holder or 'no node'}; moving it to {target}"


async def _move(build: Build) -> str:
    target, holder = build.facts["target"], build.facts["holder"]
    if target == holder:
        return f"{build.spec.resource_group.name} is already online on {target}: nothing to do"
    command = move_command(build.spec, target)
    await build.run("move", command)
    return command.description


async def _verify(build: Build) -> str:
    target = build.facts["target"]
    group = build.spec.resource_group.name

    def moved(seen: Seen) -> str | None:
        if seen.health.group_node == target and seen.health.status != "Error":
            return None
        return f"{group} is not online on {target}"

    seen = await wait_for_health(build, "verify", moved)
    build.facts["summary"] = {"group": group, "from": build.facts["holder"], "to": target}
    return f"{group} is online on {target} ({seen.health.state} / {seen.health.status})"


STEPS: dict[str, Step] = {
    "connect": connect_step,
    "state": _state,
    "move": _move,
    "verify": _verify,
}


async def failover(
    cloud: Cloud,
    store: JobStore,
    name: str,
    identity: Identity,
    options: OperationOptions,
    progress: Progress | None = None,
) -> Job:
    """Move cluster `name`'s resource group to `options.to_node` (None: the next node up)."""
    spec = load_cluster_spec_of(store, name)
    _check_target(spec, options.to_node)
    return await run_operation(cloud, store, spec, identity, FAILOVER, STEPS, options, progress)
