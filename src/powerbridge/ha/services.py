"""`ha stop NAME` and `ha start NAME`: cluster services off and on, checked afterwards.

```
connect -> stop  (clmgr offline cluster WHEN=now MANAGE=offline) -> verify: Offline
connect -> start (the create's online script)                     -> verify: Active, group up
```
`clmgr stop cluster` / `clmgr start cluster` are clmgr's aliases of `offline` / `online`;
the scripts use the full action names, as IBM advises for scripts. Stop releases the
resource group (its application stopped, its volume group varied off, the service address
dropped); start brings every node's services up, the group on its home node (OHN). Each asks
first: a cluster already stopped (started) is left as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from powerbridge.ha import node_commands
from powerbridge.ha.node_commands import NodeCommand
from powerbridge.ha.operations import (
    START,
    STOP,
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
    from powerbridge.ha.workflow import Build, Step
    from powerbridge.jobs import Job, JobStore

__all__ = ["OFFLINE_CLUSTER", "start_cluster", "stop_cluster"]

OFFLINE_CLUSTER = "clmgr offline cluster WHEN=now MANAGE=offline"


async def _stop(build: Build) -> str:
    seen = await look(build, "stop", record=True)
    if seen.health.state == "Offline":
        return "cluster services are already stopped on every node"
    node = next(iter(seen.stable_nodes()), build.spec.home_node)
    await build.run("stop", NodeCommand(node, "stop", OFFLINE_CLUSTER, OFFLINE_CLUSTER, False))
    return OFFLINE_CLUSTER


def _offline(seen: Seen) -> str | None:
    return None if seen.health.state == "Offline" else "cluster services still run"


async def _stopped(build: Build) -> str:
    await wait_for_health(build, "verify", _offline)
    build.facts["summary"] = {"state": "Offline"}
    return "Offline: cluster services stopped on every node"


async def _start(build: Build) -> str:
    assert build.topology is not None  # the connect step read it
    command = node_commands.online(build.spec, build.topology)
    await build.run("start", command)
    return command.description


def _active(seen: Seen) -> str | None:
    health = seen.health
    if health.state == "Active" and health.group_node is not None and health.status != "Error":
        return None
    return "the cluster is not Active with its resource group online"


async def _started(build: Build) -> str:
    seen = await wait_for_health(build, "verify", _active)
    health = seen.health
    build.facts["summary"] = {"state": health.state, "status": health.status}
    where = f"{build.spec.resource_group.name} online on {health.group_node}"
    return f"{health.state} / {health.status}: {where}"


STOP_STEPS: dict[str, Step] = {"connect": connect_step, "stop": _stop, "verify": _stopped}
START_STEPS: dict[str, Step] = {"connect": connect_step, "start": _start, "verify": _started}


async def stop_cluster(
    cloud: Cloud,
    store: JobStore,
    name: str,
    identity: Identity,
    options: OperationOptions,
    progress: Progress | None = None,
) -> Job:
    """Stop cluster services on every node of `name`; the job ends when they are stopped."""
    spec = load_cluster_spec_of(store, name)
    return await run_operation(cloud, store, spec, identity, STOP, STOP_STEPS, options, progress)


async def start_cluster(
    cloud: Cloud,
    store: JobStore,
    name: str,
    identity: Identity,
    options: OperationOptions,
    progress: Progress | None = None,
) -> Job:
    """Start cluster services where they are stopped; the job ends when the group is up."""
    spec = load_cluster_spec_of(store, name)
    return await run_operation(cloud, store, spec, identity, START, START_STEPS, options, progress)
