"""Day-two operations on a built cluster, each a job of the shared store: the machinery.

```python
job = await failover(cloud, store, "appha", identity, OperationOptions(to_node="appha-node2"))
```
An operation is a job (kind "cluster", its own action: `failover`, `stop`, `start`,
`add_disk`, `delete`) of named steps recorded as a create's are (`ha.workflow.run_steps`):
every remote command with its output, one SSH connection per node through `NodeExecutor`,
host keys compared with the pins the cluster's jobs recorded. The cluster's spec is the one
its create job kept (`{"text": yaml}`); its servers and volumes are read from PowerVC. While
another job of the cluster runs, an operation is refused (`ClusterBusy`); a name no create
job knows is `NotACluster`. The operations themselves: `ha.failover`, `ha.services`,
`ha.add_disk`, `ha.delete`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from powerbridge.ha.errors import HAError, NotACluster, StepFailed, StepsStopped
from powerbridge.ha.journal import (
    CLUSTER,
    CREATE,
    Journal,
    StepEvent,
    pinned_host_keys,
    refuse_while_busy,
)
from powerbridge.ha.workflow import ALWAYS_RUN, Build, Step, failed_summary, run_steps
from powerbridge.jobs import Job, JobStatus, JobStore

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.ha.command_result import CommandResult
    from powerbridge.ha.health import ClusterObservation, Health
    from powerbridge.ha.identity import Identity
    from powerbridge.ha.model import ClusterSpec

__all__ = [
    "ADD_DISK",
    "DELETE",
    "FAILOVER",
    "START",
    "STOP",
    "OperationOptions",
    "Progress",
    "Seen",
    "connect_nodes",
    "connect_step",
    "connect_wait",
    "ensure_idle",
    "load_cluster_spec_of",
    "look",
    "operation_steps",
    "run_operation",
    "wait_for_health",
]

FAILOVER, STOP, START, ADD_DISK, DELETE = "failover", "stop", "start", "add_disk", "delete"
LEASE_RENEWAL_SECONDS = 20.0
HEALTH_WAIT_SECONDS = 900.0  # a fallover or a start: events, application scripts
HEALTH_POLL_SECONDS = 1.0

Progress = Callable[[StepEvent], None]


@dataclass(frozen=True)
class OperationOptions:
    """What the operations take; each reads the fields that concern it."""

    to_node: str | None = None  # failover: the node to move the group to (None: the next up)
    size_gb: int | None = None  # add-disk: the new disk's size
    storage_template: str | None = None  # add-disk: None: the spec's shared_storage one
    delete_data: bool = False  # delete: the data volumes too
    ssh_configs: tuple[Path, ...] | None = None  # None: the executor's defaults
    health_wait_seconds: float = HEALTH_WAIT_SECONDS
    connect_wait_seconds: float | None = None  # how long a node may take to answer (None:
    # the spec's ssh.connect_timeout); delete gives up on a silent node after it
    owner: str | None = None  # who asked, in which project of which cloud, and through
    project: str | None = None  # what (the portal's per-project views; None: the CLI)
    cloud: str | None = None
    source: str | None = None
    # a worker's name: the job is held under its lease, not attached to this process, so
    # should the process die another worker continues it (the portal; None: the CLI)
    worker: str | None = None
    lease_seconds: float = 30.0  # with `worker`: how long a silent holder is trusted
    # more for the job's spec, kept beside its options (the portal: the sealed application
    # credential of the user the job runs as, for whichever worker takes the job over)
    job_spec: Mapping[str, Any] | None = None
    # awaited just before the job ends for good (succeeded, failed, cancelled), with the job
    # still held, so what it does can be told in the job's events (the portal deletes the
    # job's credential); not when the job goes back to the queue for another worker
    at_end: Callable[[Job], Awaitable[None]] | None = None


def load_cluster_spec_of(store: JobStore, name: str) -> ClusterSpec:
    """The spec the cluster's create job kept; NotACluster when no create job knows `name`
    or the cluster was deleted since."""
    from powerbridge.deploy import SpecErrors
    from powerbridge.ha.spec import parse_cluster_spec

    create = store.latest(name, kind=CLUSTER, action=CREATE)
    if create is None:
        raise NotACluster(
            f"{name} is not a cluster: no `ha create` job of that name in the job store",
            hint="`powerbridge ha list` shows the clusters (check --store / POWERBRIDGE_STORE)",
        )
    deleted = store.latest(name, kind=CLUSTER, action=DELETE)
    if deleted is not None and deleted.id > create.id and deleted.status is JobStatus.SUCCEEDED:
        raise NotACluster(f"cluster {name} was deleted by job {deleted.id}")
    text = create.spec.get("text")
    if not isinstance(text, str) or not text:
        raise HAError(
            f"the create job {create.id} of cluster {name} kept no spec text",
            hint="run `powerbridge ha create SPEC --resume` once with the spec file",
        )
    try:
        return parse_cluster_spec(text, source=create.source)
    except SpecErrors as problem:
        raise HAError(
            f"the spec kept by job {create.id} of cluster {name} no longer parses:"
            f" {problem.errors[0]}"
        ) from None


def ensure_idle(store: JobStore, name: str) -> None:
    """ClusterBusy while any job of the cluster runs in a live process."""
    refuse_while_busy(store, name)


def _options_record(options: OperationOptions) -> dict[str, Any]:
    return {
        "to_node": options.to_node,
        "size_gb": options.size_gb,
        "storage_template": options.storage_template,
        "delete_data": options.delete_data,
    }


async def run_operation(
    cloud: Cloud,
    store: JobStore,
    spec: ClusterSpec,
    identity: Identity,
    action: str,
    steps: Mapping[str, Step],
    options: OperationOptions,
    progress: Progress | None = None,
) -> Job:
    """Run `steps` as a new `action` job of the cluster; the finished job (its summary is
    what the steps left in `build.facts["summary"]`)."""
    from powerbridge.jobs.worker import keep_leased

    ensure_idle(store, spec.name)
    command = f"{action.replace('_', '-')} {spec.name}"
    job = store.create_job(
        CLUSTER,
        spec.name,
        action=action,
        spec={"options": _options_record(options), **(options.job_spec or {})},
        source=options.source,
        owner=options.owner,
        project=options.project,
        cloud=options.cloud,
        worker=options.worker,
        lease_seconds=options.lease_seconds,
    )
    task = asyncio.current_task()
    assert task is not None  # always awaited inside a task
    every = LEASE_RENEWAL_SECONDS if options.worker is None else options.lease_seconds / 3
    why: list[str] = []  # the lease "lost" to another worker
    asked = asyncio.Event()  # a cancel (the portal's button): stop before the next step
    renewal = keep_leased(store, job.id, every, task, why, on_cancel=asked.set)
    beat = asyncio.create_task(renewal)
    try:
        summary = await operation_steps(
            cloud, store, job, spec, identity, steps, options, progress, stop_asked=asked.is_set
        )
    except StepFailed as failure:
        await _ending(options, job)
        store.finish(job.id, JobStatus.FAILED, failed_summary(failure))
        failure.hint = (  # not create's "--resume": an operation is simply run again
            f"`powerbridge ha show {spec.name}` has the full output; fix the cause, then run"
            f" `powerbridge ha {command}` again"
        )
        raise
    except StepsStopped as stopped:
        await _ending(options, job)
        _cancelled(store, job, list(steps), stopped, command)
        raise
    except Exception as problem:  # PowerVC refused something: the job failed, not stopped
        await _ending(options, job)
        store.finish(job.id, JobStatus.FAILED, {"error": str(problem)})
        raise
    except BaseException:
        _stopped(store, job, command, options, why)
        raise
    finally:
        beat.cancel()
    await _ending(options, job)
    store.finish(job.id, JobStatus.SUCCEEDED, summary)
    return store.job(job.id)


async def _ending(options: OperationOptions, job: Job) -> None:
    """The caller's `at_end`, before the job's final write; its failure does not change how
    the operation ended (it says so in its own way)."""
    if options.at_end is not None:
        with contextlib.suppress(Exception):
            await options.at_end(job)


def _stopped(
    store: JobStore, job: Job, command: str, options: OperationOptions, why: list[str]
) -> None:
    """A worker's job goes back to the queue for the next worker (a portal stopping), unless
    a cancel stopped it or another worker holds it now; a foreground one ends interrupted,
    to be run again."""
    from powerbridge.jobs import LeaseLost

    if options.worker is not None:
        with contextlib.suppress(LeaseLost):
            if why == ["cancel"]:
                store.finish(job.id, JobStatus.CANCELLED)
            elif not why:
                store.release(job.id)
        return
    store.event(job.id, f"interrupted: run `powerbridge ha {command}` again")
    store.finish(job.id, JobStatus.INTERRUPTED)


async def operation_steps(
    cloud: Cloud,
    store: JobStore,
    job: Job,
    spec: ClusterSpec,
    identity: Identity,
    steps: Mapping[str, Step],
    options: OperationOptions,
    progress: Progress | None = None,
    *,
    rerun: bool = False,
    stop_asked: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Run `steps` for `job` (held by this store); the job's summary. `rerun`: a job taken
    over runs every step again, the done ones too: each queries first, and what a step
    decided (the failover's target, the new disk) is in memory or in the job's items."""
    from powerbridge.ha.executor import NodeExecutor, default_ssh_configs

    journal = Journal(store, job, progress)
    if stop_asked is not None:  # a cancel stops the operation before its next step
        journal.stop_asked = stop_asked
    configs = options.ssh_configs if options.ssh_configs is not None else default_ssh_configs()
    executor = NodeExecutor(
        identity,
        user=spec.ssh.user,
        ssh_configs=configs,
        pins=pinned_host_keys(store, spec.name),
        connect_timeout=spec.ssh.connect_timeout,
        command_timeout=spec.ssh.command_timeout,
        cluster=spec.name,
    )
    build = Build(cloud, spec, journal, executor, identity)
    build.facts["options"] = options
    async with executor:
        await run_steps(build, dict(steps), always=frozenset(steps) if rerun else ALWAYS_RUN)
    return {**build.facts.get("summary", {}), "seconds": round(journal.elapsed, 1)}


def _cancelled(
    store: JobStore, job: Job, steps: list[str], stopped: StepsStopped, command: str
) -> None:
    """A cancel stopped the operation before a step: the job ends cancelled, saying where."""
    journal = Journal(store, job)  # the steps done, as recorded
    done = [name for name in steps if journal.step_done(name)]
    ended = {"cancelled_before": stopped.step, "steps_done": done}
    store.finish(job.id, JobStatus.CANCELLED, ended)
    stopped.hint = f"run `powerbridge ha {command}` again to do it"


def connect_wait(build: Build) -> float:
    options: OperationOptions = build.facts["options"]
    wait = options.connect_wait_seconds
    return build.spec.ssh.connect_timeout if wait is None else wait


async def connect_step(build: Build) -> str:
    """The `connect` step every operation starts with."""
    return await connect_nodes(build, step="connect")


async def connect_nodes(build: Build, *, step: str) -> str:
    """Read the topology from PowerVC and open one connection per node (pinned host keys)."""
    from powerbridge.ha.topology_reader import read_topology

    topology = await read_topology(build.cloud, build.spec)
    build.topology = topology
    deadline = time.monotonic() + connect_wait(build)

    async def reach(name: str, address: str) -> None:
        await build.executor.connect(name, address, deadline=deadline)
        build.journal.say(step, "up", address, node=name)

    await asyncio.gather(*(reach(node.name, node.address) for node in topology.nodes))
    return f"{len(topology.nodes)} nodes answer over SSH"


@dataclass(frozen=True)
class Seen:
    """One look at the cluster: what each node said, the judgement, the commands' results."""

    observation: ClusterObservation
    health: Health
    results: tuple[CommandResult, ...]

    def stable_nodes(self) -> list[str]:
        return [
            n.name
            for n in self.observation.nodes
            if n.reachable and n.clstrmgr_state == "ST_STABLE"
        ]


async def look(build: Build, step: str, *, record: bool = False) -> Seen:
    """Every node's state, CAA view, groups and cluster attributes, read at once through
    the verify commands and judged by `ha.health` (recorded in the job when `record`)."""
    from powerbridge.ha import node_commands
    from powerbridge.ha.health import assess, cluster_observation

    assert build.topology is not None  # the connect step read it
    commands = node_commands.verify_commands(build.spec, build.topology)
    results = await asyncio.gather(
        *(build.executor.run(c.node, c.command, stdin=c.stdin, step=step) for c in commands)
    )
    outputs: dict[str, str | None] = {r.node: r.stdout if r.ok else None for r in results}
    why = {r.node: r.error_line for r in results if not r.ok}
    observation = cluster_observation(build.spec.home_node, outputs, unreachable=why)
    if record:
        for result in results:
            build.journal.command(step, result)
    return Seen(observation, assess(observation), tuple(results))


async def wait_for_health(build: Build, step: str, reached: Callable[[Seen], str | None]) -> Seen:
    """Poll the nodes until `reached(seen)` says None (nothing missing); the last look is
    recorded. StepFailed with what is still missing when the wait runs out."""
    options: OperationOptions = build.facts["options"]
    deadline = time.monotonic() + options.health_wait_seconds
    while True:
        seen = await look(build, step)
        missing = reached(seen)
        if missing is None or time.monotonic() > deadline:
            break
        await asyncio.sleep(HEALTH_POLL_SECONDS)
    for result in seen.results:
        build.journal.command(step, result)
    if missing is not None:
        health = seen.health
        reasons = "; ".join(health.reasons)
        said = f"{health.state} / {health.status}" + (f": {reasons}" if reasons else "")
        raise StepFailed(step, f"{missing} ({said})")
    return seen
