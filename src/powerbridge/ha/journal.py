"""A cluster job's record in the shared job store: its steps, nodes and every remote command.

A cluster create is one job (kind "cluster", action "create", target the cluster's name).
Its items are
- one per step (kind "step": pending, building while it runs, done, failed) with its start,
  end and what it found or changed in `details`;
- one per remote command (kind "command", named `<step>/<node>/<n>`) with the command line,
  exit status, stdout and stderr (secrets already redacted by the executor) and its times;
- one per node (kind "node") with its server, address and pinned host key;
- the deployer's own items (servers, volumes, the collocation rule), written by `deploy`.
Events are the progress lines `ha show` and the portal replay. A resumed job keeps all of it
and skips the steps already done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from powerbridge.ha.errors import ClusterBusy, ClusterInterrupted
from powerbridge.jobs import Item, ItemState, Job, JobStatus, JobStore, holder_alive

__all__ = [
    "CLUSTER",
    "CREATE",
    "Journal",
    "StepEvent",
    "cluster_nodes",
    "pinned_host_keys",
    "refuse_while_busy",
    "start_job",
    "stopped_create",
]

CLUSTER = "cluster"  # the job store's kind for every cluster job
CREATE = "create"
STEP, COMMAND, NODE = "step", "command", "node"


class Recorded(Protocol):
    """What the journal keeps of a remote command (the executor's CommandResult)."""

    @property
    def node(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class StepEvent:
    """A progress line for whoever shows the job: a step began or ended, or a node's part."""

    step: str
    state: str  # "running", "done", "skipped", "failed", or a node's word ("up", "prepared")
    elapsed: float
    node: str | None = None
    message: str = ""


def start_job(
    store: JobStore, cluster: str, *, resume: bool, source: str | None, spec: Mapping[str, Any]
) -> Job:
    """The job a create runs as: new, or (`resume`) the stopped or failed one it continues."""
    stopped = stopped_create(store, cluster, resume=resume)
    if stopped is None:
        return store.create_job(CLUSTER, cluster, action=CREATE, source=source, spec=spec)
    job = store.attach(stopped.id)
    store.event(job.id, "resumed")
    return job


RESUME_HINT = "run the same command with --resume to continue it"


def stopped_create(
    store: JobStore, cluster: str, *, resume: bool, resume_hint: str = RESUME_HINT
) -> Job | None:
    """The cluster's stopped or failed create, which `resume` continues; None when there is
    none. A create that runs or waits for a worker is ClusterBusy; a stopped one without
    `resume` is ClusterInterrupted: nothing new starts over it."""
    latest = store.latest(cluster, kind=CLUSTER, action=CREATE)
    if latest is None:
        return None
    queued = latest.status is JobStatus.QUEUED
    if queued or (latest.status is JobStatus.RUNNING and holder_alive(latest)):
        who = "waits for a worker" if queued else f"runs ({latest.holder})"
        raise ClusterBusy(
            f"cluster {cluster} is being created: job {latest.id} {who}; wait for it to end",
            hint=f"follow it with `powerbridge ha status {cluster} --watch`",
        )
    refuse_while_busy(store, cluster, besides=CREATE)  # e.g. a failover running
    # a cancelled create stopped at a step boundary: resumed as an interrupted one is
    stopped = (JobStatus.RUNNING, JobStatus.INTERRUPTED, JobStatus.FAILED, JobStatus.CANCELLED)
    if latest.status not in stopped or (
        latest.status is JobStatus.CANCELLED and latest.started_at is None
    ):
        return None
    if not resume:
        raise ClusterInterrupted(
            f"an earlier create of cluster {cluster} (job {latest.id}) stopped"
            f" ({latest.status.value}); nothing new was started",
            hint=resume_hint,
        )
    return latest


def refuse_while_busy(store: JobStore, cluster: str, *, besides: str | None = None) -> None:
    """ClusterBusy while a job of the cluster (other than a `besides` one) runs in a live
    process: a create and an operation, or two operations, never run at once."""
    for job in store.jobs(cluster, kind=CLUSTER, status=JobStatus.RUNNING):
        if job.action != besides and holder_alive(job):
            raise ClusterBusy(
                f"cluster {cluster} is busy: job {job.id} ({job.action}, {job.holder}) is"
                " running; nothing was started",
                hint=f"wait for it to end (`powerbridge ha show {cluster}` follows it)",
            )


class Journal:
    """Writes one job's steps, nodes and commands; reads what an earlier run recorded."""

    def __init__(
        self, store: JobStore, job: Job, progress: Callable[[StepEvent], None] | None = None
    ) -> None:
        self.store = store
        self.job = job
        self.progress = progress
        # a worker's runner sets it: True once a cancel was asked (stop before the next step)
        self.stop_asked: Callable[[], bool] = lambda: False
        self.started = time.monotonic()
        self.items: dict[tuple[str, str], Item] = {
            (item.kind, item.name): item for item in store.items(job.id)
        }
        self._counts: dict[str, int] = {}
        for kind, name in self.items:
            if kind == COMMAND:
                prefix = name.rpartition("/")[0]
                self._counts[prefix] = self._counts.get(prefix, 0) + 1

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def step_done(self, step: str) -> bool:
        item = self.items.get((STEP, step))
        return item is not None and item.state is ItemState.DONE

    def details(self, kind: str, name: str) -> Mapping[str, Any]:
        item = self.items.get((kind, name))
        return item.details if item is not None else {}

    def nodes(self) -> dict[str, Mapping[str, Any]]:
        return {name: item.details for (kind, name), item in self.items.items() if kind == NODE}

    def plan_steps(self, steps: list[str]) -> None:
        """Record every step as pending once, so `ha show` lists what is still to come."""
        with self.store.batch():
            for step in steps:
                if (STEP, step) not in self.items:
                    self._put(STEP, step, ItemState.PENDING)

    def begin(self, step: str, message: str = "") -> None:
        self._put(STEP, step, ItemState.BUILDING, details={"started": time.time()})
        self.say(step, "running", message)

    def done(self, step: str, message: str = "", **details: Any) -> None:
        previous = dict(self.details(STEP, step))
        self._put(STEP, step, ItemState.DONE, details={**previous, **details, "ended": time.time()})
        self.say(step, "done", message)

    def failed(self, step: str, error: str, **details: Any) -> None:
        previous = dict(self.details(STEP, step))
        record = {**previous, **details, "ended": time.time(), "error": error}
        self._put(STEP, step, ItemState.FAILED, details=record, fault=error)
        self.say(step, "failed", error)

    def note(self, step: str, **details: Any) -> None:
        """Keep what a running step decided in its record (a worker that takes the job over
        reads it: the failover's target)."""
        previous = dict(self.details(STEP, step))
        self._put(STEP, step, ItemState.BUILDING, details={**previous, **details})

    def command(self, step: str, result: Recorded) -> None:
        prefix = f"{step}/{result.node}"
        number = self._counts.get(prefix, 0) + 1
        self._counts[prefix] = number
        self._put(COMMAND, f"{prefix}/{number}", ItemState.DONE, details=result.to_dict())

    def node(self, name: str, **details: Any) -> None:
        merged = {**self.details(NODE, name), **details}
        self._put(NODE, name, ItemState.DONE, details=merged)

    def say(self, step: str, state: str, message: str = "", node: str | None = None) -> None:
        # a node's part reads `prepare appha-node2: done: ...`, as the CLI prints it, so a
        # step's own `prepare: done` line stays the one that ends it
        words = f"{step} {node}: {state}" if node else f"{step}: {state}"
        words += f": {message}" if message else ""
        self.store.event(self.job.id, words, kind=STEP, name=step)
        if self.progress is not None:
            self.progress(StepEvent(step, state, self.elapsed, node, message))

    def _put(self, kind: str, name: str, state: ItemState, **fields: Any) -> None:
        self.store.put_item(self.job.id, kind, name, state, **fields)
        old = self.items.get((kind, name))
        details = fields.get("details", old.details if old else {})
        self.items[(kind, name)] = Item(self.job.id, kind, name, state, details=details)


def cluster_nodes(store: JobStore, cluster: str) -> dict[str, Mapping[str, Any]]:
    """What the cluster's jobs recorded of each node (address, server, pinned host key),
    the newest job's word winning: a `trust-host-key` job re-pins a key a create recorded."""
    nodes: dict[str, dict[str, Any]] = {}
    for job in reversed(store.jobs(cluster, kind=CLUSTER)):  # oldest first
        for item in store.items(job.id):
            if item.kind == NODE:
                nodes.setdefault(item.name, {}).update(item.details)
    return dict(nodes)


def pinned_host_keys(store: JobStore, cluster: str) -> dict[str, str]:
    """Node -> the host key every contact with it is compared with."""
    return {
        name: str(details["host_key"])
        for name, details in cluster_nodes(store, cluster).items()
        if details.get("host_key")
    }
