"""Apply a plan: create exactly what it lists, with bounded concurrency and durable progress.

```python
prepared = await prepare(cloud, spec)             # powerbridge.deploy.service
job = start_job(store, prepared.plan, resume=False, source="cluster.pipe")
report = await apply_plan(cloud, prepared.plan, prepared.view, store, job, ApplyOptions())
```

Volumes are created in the background, those of the first servers first; a server deploys as
soon as its own volumes are available, through a sliding window of `parallel` deploys in
flight, its volumes in `block_device_mapping_v2`. Per tick, one `GET /volumes/detail` (while
volumes are building) and one `GET /servers/detail?changes-since` watch everything; the tick
is at most a tenth of the deploy time seen so far (`Ticker`). A server that fails keeps its
fault and the others go on; a volume that fails stops only the servers that need it.

Durability: the intent of each create is committed to the job store before its request is
sent; its answer and every state change are committed once per tick, in one transaction
(`JobStore.batch`). What identifies a resource as this deployment's is the
`powerbridge:deployment` metadata the request carries, so a resumed run re-plans against the
cloud and finds everything an interrupted run made (even a create whose answer it never
recorded) as unchanged: nothing is created twice.

`rollback_on_failure` deletes what this job created, servers first, when anything failed;
never what existed before it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import statistics
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from powerbridge.client import Cloud, Lookup, guarded_create, server_lookup, volume_lookup
from powerbridge.client.address_conflicts import explain_taken_address
from powerbridge.client.errors import ClientError, HttpError, NotFound, request_id
from powerbridge.client.waiter import ServerSource, VolumeSource
from powerbridge.deploy.changes import not_replaced_note, replace_servers, resize_servers
from powerbridge.deploy.cloudview import CloudView
from powerbridge.deploy.errors import DeployError
from powerbridge.deploy.plan_model import (
    ChangeMode,
    Kind,
    Plan,
    RefKey,
    ServerChange,
    ServerCreate,
    VolumeCreate,
)
from powerbridge.deploy.report import Report, ResourceResult
from powerbridge.deploy.teardown import Calls, delete_servers, delete_volumes
from powerbridge.jobs import Item, ItemState, Job, JobStatus, JobStore
from powerbridge.jobs.store import ATTACHED_LEASE_SECONDS
from powerbridge.jobs.worker import keep_leased

__all__ = ["ApplyOptions", "Progress", "ProgressEvent", "Ticker", "apply_plan", "still_building"]

MULTIATTACH_MICROVERSION = "3.50"
BUILDING_STATUSES = frozenset({"BUILD"})
VOLUME_BUSY = frozenset({"creating", "downloading", "attaching", "reserved"})
CHANGE_POLL_SECONDS = 0.5  # resizes and detaches: a few servers, watched by one list call


# another host trusts a silent foreground job for ATTACHED_LEASE_SECONDS: renew well before
LEASE_RENEWAL_SECONDS = ATTACHED_LEASE_SECONDS / 3


@dataclass(frozen=True)
class ApplyOptions:
    parallel: int | None = None  # deploys in flight; None: the hosts the plan may land on
    timeout: float | None = 3600.0  # per server deploy and per volume, seconds
    rollback_on_failure: bool = False
    poll_interval: float | None = None  # None: adaptive (Ticker)
    create_concurrency: int = 8  # volume and rule create requests at once
    replace_changed: bool = False  # delete and recreate servers that differ beyond a resize
    # False: the job hosts this apply as one of its steps (an HA create): its items and
    # events are recorded, its status is left to the caller
    finish_job: bool = True
    # set by whoever runs the apply for someone else (a worker): stop as a cancel does
    cancel: asyncio.Event | None = None


@dataclass(frozen=True)
class ProgressEvent:
    """A resource changed: `state` is its status or task state as the run saw it."""

    kind: str
    name: str
    state: str
    elapsed: float
    message: str = ""


Progress = Callable[[ProgressEvent], None]


class Ticker:
    """How long to sleep between list calls: at most a tenth of the expected duration.

    The expected duration is the median of those seen so far. Until one is seen, the tick is a
    twentieth of the time since the first resource started (ticks stretch as a long deploy
    goes on, and the first to finish is noticed within 5% of its duration). Once the
    median is known, each resource in flight is due at its start plus the median: the next look
    comes when the next one is due if that is sooner than a tick, and while one has just come
    due (less than a tick ago) looks come four times as often, so a finished deploy is noticed
    (and its slot refilled) within a fraction of a tick, without polling faster the rest of the
    time, nor forever for one that is merely late."""

    def __init__(
        self, fixed: float | None = None, *, shortest: float = 0.05, longest: float = 10.0
    ) -> None:
        self.fixed = fixed
        self.shortest = shortest
        self.longest = longest
        self.durations: list[float] = []
        self.started: float | None = None

    def start(self, now: float) -> None:
        if self.started is None:
            self.started = now

    def seen(self, duration: float) -> None:
        self.durations.append(duration)

    def interval(self, now: float, in_flight: Collection[float] = ()) -> float:
        """The next sleep; `in_flight` holds when each resource still in flight started."""
        if self.fixed is not None:
            return self.fixed
        if not self.durations:  # it takes longer than this: a twentieth of it is never late
            waited = now - (self.started if self.started is not None else now)
            return self._bounded(waited / 20)
        expected = statistics.median(self.durations)
        tick = expected / 10
        dues = [started + expected - now for started in in_flight]
        upcoming = [due for due in dues if due > 0]
        if upcoming:
            tick = min(tick, min(upcoming))
        if any(-expected / 10 < due <= 0 for due in dues):
            tick = min(tick, expected / 40)
        return self._bounded(tick)

    def _bounded(self, tick: float) -> float:
        return min(self.longest, max(self.shortest, tick))


def _calls(calls: Calls, watchers: Collection[Any]) -> dict[str, int]:
    """The run's API calls; list polls include the watchers' (pages counted)."""
    return {
        "create": calls.create,
        "delete": calls.delete,
        "list": calls.list + sum(w.calls for w in watchers),
    }


@dataclass
class _Run:
    cloud: Cloud
    plan: Plan
    view: CloudView
    store: JobStore
    job: Job
    options: ApplyOptions
    progress: Progress | None
    started: float = field(default_factory=time.monotonic)
    ids: dict[RefKey, str] = field(default_factory=dict)
    results: dict[tuple[str, str], ResourceResult] = field(default_factory=dict)
    previous: dict[tuple[str, str], Item] = field(default_factory=dict)
    counters: Calls = field(default_factory=Calls)
    server_source: ServerSource | None = None
    volume_source: VolumeSource | None = None
    replacements: list[ServerCreate] = field(default_factory=list)  # to create, old ones gone
    notes: list[str] = field(default_factory=list)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def say(self, kind: str, name: str, state: str, message: str = "") -> None:
        self.store.event(self.job.id, f"{name}: {message or state}", kind=kind, name=name)
        if self.progress is not None:
            self.progress(ProgressEvent(kind, name, state, self.elapsed(), message))

    def record(self, kind: str, name: str, state: ItemState, **fields: Any) -> None:
        self.store.put_item(self.job.id, kind, name, state, **fields)

    def created_here(self, kind: str, name: str) -> bool:
        item = self.previous.get((kind, name))
        # an intent without its answer: the request went out, and what carries the tag now
        # is what it created
        sent = (ItemState.CREATING, ItemState.BUILDING)
        return item is not None and (item.created_here or item.state in sent)

    def result(self, kind: str, name: str, **values: Any) -> ResourceResult:
        found = self.results.get((kind, name))
        if found is None:
            found = self.results[(kind, name)] = ResourceResult(kind, name, "pending")
        for key, value in values.items():
            setattr(found, key, value)
        return found

    def watchers(self) -> list[Any]:
        return [w for w in (self.server_source, self.volume_source) if w is not None]


async def apply_plan(
    cloud: Cloud,
    plan: Plan,
    view: CloudView,
    store: JobStore,
    job: Job,
    options: ApplyOptions | None = None,
    progress: Progress | None = None,
) -> Report:
    """Execute `plan` (which must be `ok`) as job `job`; returns the report.

    While it runs the job's lease is renewed, so another host sees a long deploy as alive.
    Cancellation (Ctrl-C) marks the job interrupted and re-raises: `--resume` continues it.
    A run whose job another `--resume` took over stops and writes nothing more."""
    if not plan.ok:
        raise DeployError(f"the plan for {plan.deployment} has blocks; nothing was created")
    run = _Run(cloud, plan, view, store, job, options or ApplyOptions(), progress)
    run.previous = {(item.kind, item.name): item for item in store.items(job.id)}
    run.ids.update(plan.existing_ids())
    stopped_by: list[str] = []
    this_task = asyncio.current_task()
    assert this_task is not None  # apply_plan always runs inside a task
    renewal = keep_leased(store, job.id, LEASE_RENEWAL_SECONDS, this_task, stopped_by)
    beat = asyncio.create_task(renewal)
    asked = asyncio.create_task(_cancel_when(run.options.cancel, this_task, stopped_by))
    try:
        status = await _execute(run)
    except BaseException:  # Ctrl-C, a cancel or a bug: what was done stays resumable
        _stop(run, stopped_by)
        raise
    finally:
        beat.cancel()
        asked.cancel()
    report = _report(run, status)
    if run.options.finish_job:
        store.finish(job.id, status, _summary(run, status))
    return report


async def _cancel_when(
    cancel: asyncio.Event | None, task: asyncio.Task[Any], why: list[str]
) -> None:
    """Cancel `task` as a cancel asked through the store does, once `cancel` is set."""
    if cancel is None:
        return
    await cancel.wait()
    if not why:
        why.append("cancel")
        task.cancel()


async def _execute(run: _Run) -> JobStatus:
    with run.store.batch():
        _record_plan(run)
    interval = run.options.poll_interval or CHANGE_POLL_SECONDS
    await resize_servers(run, run.plan, run.options.timeout, interval)
    await _replace(run)
    await _deploy(run)
    await _refresh_volumes(run)
    status = _status(run)
    if status is not JobStatus.SUCCEEDED and run.options.rollback_on_failure:
        await _rollback(run)
        status = JobStatus.ROLLED_BACK
    return status


async def _replace(run: _Run) -> None:
    """Clear the way for servers to replace (`--replace-changed`), or say why not."""
    changes = run.plan.changes_of(ChangeMode.REPLACE)
    if not changes:
        return
    if not run.options.replace_changed:
        run.notes.append(not_replaced_note(changes))
        return
    gone = await replace_servers(run, changes, run.options.timeout)
    run.replacements.extend(change.replacement for change in gone)


def _stop(run: _Run, stopped_by: list[str]) -> None:
    """Record how an apply that did not finish ended; a taken-over one records nothing."""
    job = run.job
    if stopped_by == ["lost"]:
        raise DeployError(
            f"job {job.id} of deployment {run.plan.deployment} was taken over by another "
            "`deploy apply --resume`; this run stopped and recorded nothing more (what it made "
            "is that run's now)"
        ) from None
    if stopped_by == ["cancel"]:
        run.store.finish(job.id, JobStatus.CANCELLED, _summary(run, JobStatus.CANCELLED))
        raise DeployError(
            f"job {job.id} of deployment {run.plan.deployment} was cancelled; what it made "
            f"stays (`powerbridge deploy destroy {run.plan.deployment}` removes it)"
        ) from None
    if run.options.finish_job:  # else the hosting job records how it ended
        run.store.finish(job.id, JobStatus.INTERRUPTED, _summary(run, JobStatus.INTERRUPTED))


def _status(run: _Run) -> JobStatus:
    failed = [r for r in run.results.values() if r.failed]
    if not failed:
        return JobStatus.SUCCEEDED
    servers = [r for r in run.results.values() if r.kind == Kind.SERVER.value]
    if servers and all(r.failed for r in servers):
        return JobStatus.FAILED
    return JobStatus.PARTIAL


def _summary(run: _Run, status: JobStatus) -> dict[str, Any]:
    counts: dict[str, int] = {}
    created: dict[str, list[str]] = {}  # what a stopped job leaves: said, not left unsaid
    for result in run.results.values():
        counts[result.status] = counts.get(result.status, 0) + 1
        if result.changed and result.status not in ("pending", "NOT STARTED"):
            created.setdefault(result.kind, []).append(result.name)
    return {
        "status": status.value,
        "seconds": round(run.elapsed(), 2),
        "counts": counts,
        "calls": _calls(run.counters, run.watchers()),
        "created": created,
    }


def _report(run: _Run, status: JobStatus) -> Report:
    order = {Kind.VOLUME.value: 0, Kind.COLLOCATION_RULE.value: 1, Kind.SERVER.value: 2}
    resources = sorted(run.results.values(), key=lambda r: order.get(r.kind, 3))
    return Report(
        deployment=run.plan.deployment,
        job_id=run.job.id,
        status=status,
        resources=resources,
        seconds=run.elapsed(),
        calls=_calls(run.counters, run.watchers()),
        notes=list(run.notes),
    )


def still_building(plan: Plan, view: CloudView) -> tuple[dict[str, str], dict[str, str]]:
    """The plan's unchanged servers still in BUILD and volumes still being made (id -> name):
    what an interrupted run left for a resumed one to wait for."""
    servers: dict[str, str] = {}
    volumes: dict[str, str] = {}
    for item in plan.unchanged:
        if item.kind is Kind.SERVER:
            server = view.server_index.by_id(item.id)
            if server is not None and server.status in BUILDING_STATUSES:
                servers[item.id] = item.name
        elif item.kind is Kind.VOLUME:
            volume = view.volume_index.by_id(item.id)
            if volume is not None and volume.status in VOLUME_BUSY:
                volumes[item.id] = item.name
    return servers, volumes


# -- recording the plan -------------------------------------------------------------------------
def _record_plan(run: _Run) -> None:
    """Every planned create PENDING, every unchanged item UNCHANGED (or kept as this job's)."""
    servers = run.view.server_index
    volumes = run.view.volume_index
    for item in run.plan.unchanged:
        mine = run.created_here(item.kind.value, item.name)
        state = ItemState.DONE if mine else ItemState.UNCHANGED
        shown: dict[str, Any] = {"status": "unchanged"}
        if item.kind is Kind.SERVER and (server := servers.by_id(item.id)) is not None:
            attached = [v.name for v in run.view.volumes if server.id in v.attachments]
            shown = {
                "status": server.status,
                "host": server.host,
                "addresses": list(server.addresses),
                "volumes": attached,
            }
        elif item.kind is Kind.VOLUME and (volume := volumes.by_id(item.id)) is not None:
            shown = {"status": volume.status}
        details = {key: value for key, value in shown.items() if key != "status"}
        run.record(
            item.kind.value,
            item.name,
            state,
            resource_id=item.id,
            created_here=mine,
            details=details,
        )
        run.result(item.kind.value, item.name, id=item.id, changed=mine, **shown)
    for create in run.plan.creates:
        run.record(create.kind.value, create.name, ItemState.PENDING)
        run.result(create.kind.value, create.name, status="pending", changed=True)
    for change in run.plan.changes:
        _record_change(run, change)


def _record_change(run: _Run, change: ServerChange) -> None:
    """A server differing from the spec: pending when this run changes it, else unchanged
    with what differs (a replace without `--replace-changed`)."""
    kind = Kind.SERVER.value
    differences = [str(item) for item in change.differences]
    acted = change.mode is not ChangeMode.REPLACE or run.options.replace_changed
    state = ItemState.PENDING if acted else ItemState.UNCHANGED
    details = {"change": change.mode.value, "differences": differences}
    run.record(kind, change.name, state, resource_id=change.id, details=details)
    status = "pending" if acted else "not replaced"
    fault = None if acted else "differs from the spec: " + "; ".join(differences)
    run.result(kind, change.name, id=change.id, status=status, changed=acted, fault=fault)


# -- sending creates ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Sent:
    """What one create request got: the new id and request id, or the error."""

    resource_id: str | None = None
    request_id: str | None = None
    problem: ClientError | None = None
    answered: float = 0.0  # time.monotonic() when the answer came


async def _post(
    run: _Run,
    service: str,
    path: str,
    body: dict[str, Any],
    key: str,
    version: str | None,
    lookup: Lookup | None = None,
) -> _Sent:
    """Send one create; no store writes here, so the caller records outcomes in one batch.

    With a `lookup` (servers, volumes) a lost answer or a 429/502/503/504 is looked up by name
    and client token and sent again only if nothing was made (`guarded_create`); without one
    (collocation rules carry no metadata) it is sent once."""
    run.counters.create += 1
    session = run.cloud.session
    try:
        if lookup is not None:
            created = await guarded_create(
                session, service, path, key, body, lookup=lookup, microversion=version
            )
            return _Sent(created.id, created.request_id, answered=time.monotonic())
        response = await session.request(
            service, "POST", path, json=body, microversion=version, idempotent=False
        )
    except ClientError as problem:
        return _Sent(problem=problem, answered=time.monotonic())
    resource = response.json().get(key) or {}
    return _Sent(str(resource.get("id", "")), request_id(response), answered=time.monotonic())


def _intent(run: _Run, kind: Kind, name: str, message: str) -> None:
    run.record(kind.value, name, ItemState.CREATING)
    run.say(kind.value, name, "creating", message)


def _accepted(run: _Run, kind: Kind, name: str, sent: _Sent, **details: Any) -> bool:
    """Record a create's outcome; True when the cloud accepted it."""
    if sent.problem is not None or not sent.resource_id:
        problem = sent.problem
        message = str(problem) if problem is not None else "the cloud returned no id"
        rid = problem.request_id if isinstance(problem, HttpError) else None
        run.record(kind.value, name, ItemState.FAILED, fault=message, request_id=rid)
        run.result(kind.value, name, status="FAILED", fault=message, request_id=rid)
        run.say(kind.value, name, "failed", f"create refused: {message}")
        return False
    run.ids[(kind, name)] = sent.resource_id
    state = ItemState.DONE if kind is Kind.COLLOCATION_RULE else ItemState.BUILDING
    run.record(
        kind.value,
        name,
        state,
        resource_id=sent.resource_id,
        created_here=True,
        request_id=sent.request_id,
        details=details,
    )
    run.result(kind.value, name, id=sent.resource_id, request_id=sent.request_id, **details)
    return True


# -- volumes ------------------------------------------------------------------------------------
class _Volumes:
    """The plan's volumes as the server loop sees them: ready, failed, or still coming.

    Creates run in the background, those of the first servers first, so the first servers
    deploy while later volumes are still being created; the loop records what the creates
    got (`absorb`) and watches what the cloud is still building with one volume list per tick.
    """

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.building: dict[str, str] = {}  # volume id -> name
        self.since: dict[str, float] = {}  # volume id -> when the cloud accepted its create
        self.looked: float | None = None  # the last volume list
        self.ticker = Ticker(run.options.poll_interval)
        self.unsent = {volume.name for volume in run.plan.volume_creates}
        self.answers: list[tuple[VolumeCreate, _Sent]] = []
        self.last: dict[str, str] = {}
        self.source = run.volume_source = VolumeSource(run.cloud.volume)
        self.started = time.monotonic()
        # volumes are sent for the servers up to `horizon` (in plan order): two windows
        # ahead of the deploys, so early deploys do not queue behind every volume create
        self.horizon = 2 * _window(run)
        self.moved = asyncio.Condition()
        self.building.update(still_building(run.plan, run.view)[1])  # left by a resumed run
        self.since.update(dict.fromkeys(self.building, self.started))
        self.ticker.start(self.started)

    @property
    def pending(self) -> bool:
        return bool(self.building or self.unsent)

    def waiting_for(self, server: ServerCreate) -> bool:
        """Some volume of `server` is not available yet."""
        names = {ref.name for ref in server.volumes}
        return bool(names & self.unsent or names & set(self.building.values()))

    async def advance(self, servers_taken: int) -> None:
        """The server loop took `servers_taken` servers off its queue: send volumes further."""
        horizon = servers_taken + 2 * _window(self.run)
        if horizon > self.horizon:
            self.horizon = horizon
            async with self.moved:
                self.moved.notify_all()

    async def create_all(self) -> None:
        ranked = _in_server_order(self.run.plan)
        with self.run.store.batch():  # every intent durable before the first request
            for _, volume in ranked:
                _intent(self.run, Kind.VOLUME, volume.name, f"creating ({volume.details()})")
        gate = asyncio.Semaphore(max(self.run.options.create_concurrency, _window(self.run)))
        lookup = volume_lookup(self.run.cloud.session)

        async def one(rank: int, volume: VolumeCreate) -> None:
            version = MULTIATTACH_MICROVERSION if volume.shared else None
            async with self.moved:
                await self.moved.wait_for(lambda: rank < self.horizon)
            async with gate:
                sent = await _post(
                    self.run, "volumev3", "/volumes", volume.request(), "volume", version, lookup
                )
            self.answers.append((volume, sent))

        await asyncio.gather(*(one(rank, volume) for rank, volume in ranked))

    def absorb(self) -> None:
        """Record the creates answered since the last call (the caller batches the writes)."""
        answers, self.answers = self.answers, []
        for volume, sent in answers:
            self.unsent.discard(volume.name)
            if _accepted(self.run, Kind.VOLUME, volume.name, sent, status="creating"):
                self.building[sent.resource_id or ""] = volume.name
                self.since[sent.resource_id or ""] = sent.answered
                self.last[sent.resource_id or ""] = "creating"  # the intent's line said so

    def watch_again(self, volume_id: str, name: str) -> None:
        """Wait for a volume again (a failed server's, being detached) before using it."""
        if volume_id not in self.building:
            self.building[volume_id] = name
            self.since[volume_id] = time.monotonic()

    def interval(self, now: float) -> float | None:
        """How soon the next volume list is worth making; None when none is building."""
        return self.ticker.interval(now, self.since.values()) if self.building else None

    async def observe(self) -> None:
        """One list call: settle the volumes that became available or failed."""
        with self.run.store.batch():
            self.absorb()
        if not self.building:
            return
        ids = list(self.building)
        observed = {item.id: item for item in await self.source.observe(ids)}
        now = time.monotonic()
        looked, self.looked = self.looked, now
        timeout = self.run.options.timeout
        failed: list[tuple[str, str]] = []  # volume ids in error, their reason asked below
        with self.run.store.batch():
            for volume_id in ids:
                item = observed.get(volume_id)
                name = self.building[volume_id]
                if item is not None and item.status != self.last.get(volume_id):
                    self.last[volume_id] = item.status
                    self.run.say(Kind.VOLUME.value, name, item.status)
                if item is not None and (settled := self.source.settles(item)) is not None:
                    del self.building[volume_id]
                    since = self.since.pop(volume_id)
                    self.ticker.seen(_ended_within(since, looked, now))
                    if settled != "done" and item.status == "error":
                        failed.append((volume_id, name))
                        continue
                    _volume_settled(self.run, name, volume_id, item.status, settled == "done")
                elif timeout is not None and now - self.since[volume_id] > timeout:
                    del self.building[volume_id]
                    del self.since[volume_id]
                    _volume_settled(self.run, name, volume_id, "TIMEOUT", False)
        if failed:
            await self._settle_failed(failed)

    async def _settle_failed(self, failed: list[tuple[str, str]]) -> None:
        """Record volumes that ended in error with cinder's user message for each (why: the
        storage provider is full ...), asked for on this failure path only."""
        volume = self.run.cloud.volume
        reasons = await asyncio.gather(*(volume.failure_reason(vid) for vid, _ in failed))
        with self.run.store.batch():
            for (volume_id, name), reason in zip(failed, reasons, strict=True):
                _volume_settled(self.run, name, volume_id, "error", False, reason)


def _ended_within(started: float, building_at: float | None, now: float) -> float:
    """How long a resource took, as well as the looks tell: it ended between the last look
    that saw it building and `now`; the midpoint, so the ticks do not inflate the estimate."""
    last = max(started, building_at) if building_at is not None else started
    return (last + now) / 2 - started


def _in_server_order(plan: Plan) -> list[tuple[int, VolumeCreate]]:
    """The volumes to create with the position of the first server needing each (volumes no
    server needs come last), in that order."""
    first: dict[str, int] = {}
    for position, server in enumerate(plan.server_creates):
        for ref in server.volumes:
            first.setdefault(ref.name, position)
    last = len(plan.server_creates)
    ranked = [(first.get(volume.name, last), volume) for volume in plan.volume_creates]
    return sorted(ranked, key=lambda item: item[0])


def _volume_settled(
    run: _Run, name: str, volume_id: str, status: str, ok: bool, reason: str | None = None
) -> None:
    kind = Kind.VOLUME.value
    mine = run.created_here(kind, name) or run.results[(kind, name)].changed
    if ok:
        run.record(kind, name, ItemState.DONE, resource_id=volume_id, created_here=mine)
        run.result(kind, name, status=status)
        return
    fault = f"volume {name} ended {status}" + (f": {reason}" if reason else "")
    run.record(kind, name, ItemState.FAILED, resource_id=volume_id, fault=fault)
    run.result(kind, name, status=status, fault=fault)


async def _refresh_volumes(run: _Run) -> None:
    """One list call at the end: the volumes' final status (in-use once attached)."""
    wanted = {r.id: r for r in run.results.values() if r.kind == Kind.VOLUME.value and r.id}
    if not wanted or all(r.failed for r in wanted.values()):
        return
    run.counters.list += 1
    for volume in await run.cloud.volume.volumes():
        result = wanted.get(volume.id)
        if result is not None and not result.failed:
            result.status = volume.status


# -- collocation rules --------------------------------------------------------------------------
async def _rules(run: _Run) -> None:
    # soft-(anti-)affinity needs compute 2.15; the negotiated microversion has it
    version = await run.cloud.compute.microversion() if run.plan.rule_creates else None
    for rule in run.plan.rule_creates:
        _intent(run, Kind.COLLOCATION_RULE, rule.name, f"creating ({rule.policy})")
        path = "/os-server-groups"
        sent = await _post(run, "compute", path, rule.request(), "server_group", version)
        if _accepted(run, Kind.COLLOCATION_RULE, rule.name, sent, status="created"):
            run.say(Kind.COLLOCATION_RULE.value, rule.name, "created")


# -- servers ------------------------------------------------------------------------------------
@dataclass
class _Flight:
    name: str
    started: float  # when the cloud accepted the create
    state: str = "BUILD"
    building_at: float | None = None  # the last look that still saw it building


def _blocker(run: _Run, server: ServerCreate) -> str | None:
    """Why `server` cannot start: a volume or rule it needs failed."""
    for ref in server.volumes:
        result = run.results.get((Kind.VOLUME.value, ref.name))
        if result is not None and result.failed:
            return f"volume {ref.name} failed: {result.fault or result.status}"
    rule = server.collocation_rule
    if rule is not None:
        result = run.results.get((Kind.COLLOCATION_RULE.value, rule.name))
        if result is not None and result.failed:
            return f"collocation rule {rule.name} failed: {result.fault or result.status}"
    return None


def _window(run: _Run) -> int:
    if run.options.parallel is not None:
        return max(1, run.options.parallel)
    return max(1, len(run.plan.hosts)) if run.plan.hosts else 4


async def _deploy(run: _Run) -> None:
    """Volumes and servers, pipelined: a server starts once its own volumes are available."""
    volumes = _Volumes(run)
    creator = asyncio.create_task(volumes.create_all())
    try:
        await _rules(run)
        await _servers(run, volumes)
        await volumes.advance(len(run.plan.volume_creates) + len(run.plan.server_creates) + 1)
        await creator  # volumes no server waits for
        while volumes.pending:
            await volumes.observe()
            if volumes.pending:
                await asyncio.sleep(0.1)
    finally:
        if not creator.done():
            creator.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await creator


async def _servers(run: _Run, volumes: _Volumes) -> None:
    queue = [*run.plan.server_creates, *run.replacements]
    flights: dict[str, _Flight] = {}
    now = time.monotonic()
    for server_id, name in still_building(run.plan, run.view)[0].items():  # a resumed run
        flights[server_id] = _Flight(name, now)
    source = run.server_source = ServerSource(run.cloud.compute)
    ticker = Ticker(run.options.poll_interval)
    window = _window(run)
    total = len(queue)
    while queue or flights:
        # both list calls at once, then the freed slots refilled at once: a finished deploy's
        # slot is never left idle for a tick
        if flights:
            failed = (
                await asyncio.gather(volumes.observe(), _observe(run, source, flights, ticker))
            )[1]
            _recheck_shared(run, volumes, queue, failed)
        else:
            await volumes.observe()
        await _start(run, queue, volumes, window - len(flights), flights)
        await volumes.advance(total - len(queue) if queue else total + 2 * window)
        ticker.start(time.monotonic())
        if not queue and not flights:
            break
        await asyncio.sleep(_next_look(ticker, volumes, flights, bool(queue)))


def _recheck_shared(
    run: _Run, volumes: _Volumes, queue: list[ServerCreate], failed: list[str]
) -> None:
    """A failed server's volumes are detached by the cloud: those that servers still queued
    need are watched again until available (or in use) before those servers are sent."""
    if not failed or not queue:
        return
    needed = {ref.name for server in queue for ref in server.volumes}
    by_name = {server.name: server for server in run.plan.server_creates}
    for name in failed:
        server = by_name.get(name)
        for ref in server.volumes if server is not None else ():
            volume_id = run.ids.get((Kind.VOLUME, ref.name))
            if ref.name in needed and volume_id is not None:
                volumes.watch_again(volume_id, ref.name)


def _next_look(
    ticker: Ticker, volumes: _Volumes, flights: dict[str, _Flight], queued: bool
) -> float:
    """The sooner of the next server look and, while servers wait for volumes, the next
    volume look."""
    now = time.monotonic()
    looks = (
        [ticker.interval(now, [flight.started for flight in flights.values()])] if flights else []
    )
    volume_look = volumes.interval(now) if queued else None
    if volume_look is not None:
        looks.append(volume_look)
    return min(looks, default=volumes.ticker.shortest)


async def _start(
    run: _Run,
    queue: list[ServerCreate],
    volumes: _Volumes,
    room: int,
    flights: dict[str, _Flight],
) -> None:
    """Deploy up to `room` servers of `queue` whose volumes are all available, in order;
    their intents are recorded (one commit) before any request is sent."""
    starting: list[tuple[ServerCreate, dict[str, Any]]] = []
    with run.store.batch():
        for server in list(queue):
            if len(starting) >= room:
                break
            reason = _blocker(run, server)
            if reason is not None:
                queue.remove(server)
                _not_started(run, server.name, reason)
            elif not volumes.waiting_for(server):
                queue.remove(server)
                body = _server_body(run, server)
                if body is not None:
                    starting.append((server, body))
                    _intent(run, Kind.SERVER, server.name, f"deploying ({server.details()})")
    if not starting:
        return
    version = await run.cloud.compute.microversion()
    lookup = server_lookup(run.cloud.session, version)
    answers = await asyncio.gather(
        *(
            _post(run, "compute", "/servers", body, "server", version, lookup)
            for _, body in starting
        )
    )
    for (server, _), sent in zip(starting, answers, strict=True):
        if sent.problem is not None:  # a fixed IP taken since the plan: say who holds it
            fixed = [(n.network_id, n.network, n.fixed_ip) for n in server.networks if n.fixed_ip]
            await explain_taken_address(run.cloud, sent.problem, fixed)
    with run.store.batch():
        for (server, _), sent in zip(starting, answers, strict=True):
            volumes_of = [ref.name for ref in server.volumes]
            if _accepted(run, Kind.SERVER, server.name, sent, status="BUILD", volumes=volumes_of):
                flights[sent.resource_id or ""] = _Flight(server.name, sent.answered)


def _server_body(run: _Run, server: ServerCreate) -> dict[str, Any] | None:
    """The request body, volume and rule ids filled in, user data read; None if unreadable."""
    body = server.request(run.ids)
    if server.user_data:
        try:
            data = Path(server.user_data).expanduser().read_bytes()
        except OSError as problem:
            reason = f"cannot read user data {server.user_data}: {problem.strerror or problem}"
            _not_started(run, server.name, reason)
            return None
        body["server"]["user_data"] = base64.b64encode(data).decode("ascii")
    return body


def _not_started(run: _Run, name: str, reason: str) -> None:
    kind = Kind.SERVER.value
    run.record(kind, name, ItemState.FAILED, fault=reason)
    run.result(kind, name, status="NOT STARTED", fault=reason)
    run.say(kind, name, "not started", f"not started: {reason}")


async def _observe(
    run: _Run, source: ServerSource, flights: dict[str, _Flight], ticker: Ticker
) -> list[str]:
    """One list call: report what changed, settle what finished or timed out; returns the
    names of the servers that ended in failure."""
    observed = await source.observe(list(flights))
    now = time.monotonic()
    failed: list[str] = []
    with run.store.batch():
        for item in observed:
            flight = flights.get(item.id)
            if flight is None:
                continue
            state = item.task_state or item.status
            if source.settles(item) is None:
                if state != flight.state:
                    flight.state = state
                    run.say(Kind.SERVER.value, flight.name, state)
                continue
            del flights[item.id]  # the settled line says the end state, with host or fault
            ticker.seen(_ended_within(flight.started, flight.building_at, now))
            _server_settled(run, flight, item.record, item.status, now - flight.started)
            if item.status != "ACTIVE":
                failed.append(flight.name)
        for flight in flights.values():  # unchanged since the watermark: still building
            flight.building_at = now
        _time_out(run, flights, now)
    return failed


def _time_out(run: _Run, flights: dict[str, _Flight], now: float) -> None:
    timeout = run.options.timeout
    if timeout is None:
        return
    kind = Kind.SERVER.value
    for server_id, flight in list(flights.items()):
        if now - flight.started > timeout:
            del flights[server_id]
            fault = f"still {flight.state} after {timeout:.0f} s"
            seconds = now - flight.started
            run.record(kind, flight.name, ItemState.FAILED, resource_id=server_id, fault=fault)
            run.result(kind, flight.name, status="TIMEOUT", fault=fault, seconds=seconds)
            run.say(kind, flight.name, "timeout", fault)


def _server_settled(run: _Run, flight: _Flight, server: Any, status: str, seconds: float) -> None:
    kind = Kind.SERVER.value
    name = flight.name
    host = getattr(server, "hypervisor_hostname", None) or getattr(server, "host", None)
    addresses = [a.addr for a in getattr(server, "addresses", ())]
    result = run.result(kind, name, status=status, host=host, addresses=addresses, seconds=seconds)
    details = {"host": host, "addresses": addresses, "seconds": round(seconds, 2)}
    details["volumes"] = result.volumes
    if status == "ACTIVE":
        mine = run.created_here(kind, name) or result.changed
        run.record(kind, name, ItemState.DONE, created_here=mine, details=details)
        run.say(kind, name, "ACTIVE", f"ACTIVE on {host or 'a host'} {' '.join(addresses)}")
        return
    fault = server.fault.message if getattr(server, "fault", None) else f"ended {status}"
    result.fault = fault
    run.record(kind, name, ItemState.FAILED, fault=fault, details=details)
    run.say(kind, name, status, f"{status}: {fault}")


# -- rollback -----------------------------------------------------------------------------------
async def _rollback(run: _Run) -> None:
    """Delete what this job created, servers first, then volumes, then rules."""
    mine = [item for item in run.store.items(run.job.id) if item.created_here and item.resource_id]

    def of(kind: Kind) -> dict[str, str]:
        return {i.resource_id or "": i.name for i in mine if i.kind == kind.value}

    await delete_servers(run.cloud, of(Kind.SERVER), _deleted(run, Kind.SERVER), run.counters)
    await delete_volumes(run.cloud, of(Kind.VOLUME), _deleted(run, Kind.VOLUME), run.counters)
    for rule_id, name in of(Kind.COLLOCATION_RULE).items():
        run.counters.delete += 1
        with contextlib.suppress(NotFound):
            await run.cloud.session.request("compute", "DELETE", f"/os-server-groups/{rule_id}")
        _deleted(run, Kind.COLLOCATION_RULE)(rule_id, name)


def _deleted(run: _Run, kind: Kind) -> Callable[[str, str], None]:
    def mark(resource_id: str, name: str) -> None:
        run.record(kind.value, name, ItemState.DELETED, resource_id=resource_id)
        run.result(kind.value, name, status="deleted")
        run.say(kind.value, name, "deleted", "deleted (rollback)")

    return mark
