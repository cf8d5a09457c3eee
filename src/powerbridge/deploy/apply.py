"""Apply a plan: create exactly what it lists, with bounded concurrency and durable progress.

```python
view, plan = await prepare(cloud, spec)          # powerbridge.deploy.service
report = await apply_plan(cloud, plan, view, store, job, ApplyOptions(parallel=4))
```

Order: volumes (all created, then watched with one list call per tick until available),
collocation rules, then servers through a sliding window of `parallel` deploys in flight,
each with its volumes in `block_device_mapping_v2`. One `GET /servers/detail?changes-since`
per tick watches every server in flight; the tick is at most a tenth of the deploy time seen
so far (`Ticker`). A server that fails keeps its fault and the others go on; a volume that
fails stops only the servers that need it.

Durability: each create is recorded in the job store as CREATING before the request is sent
and as BUILDING with its id after the 202, each end state when it is seen. What identifies a
resource as this deployment's is the `powerbridge:deployment` metadata the request carries,
so a resumed run re-plans against the cloud and finds every resource an interrupted run made
(even one whose 202 it never read) as unchanged: nothing is created twice.

`rollback=True` deletes what this job created, servers first, when anything failed; never
what existed before it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import statistics
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from powerbridge.client import Cloud
from powerbridge.client.errors import ClientError, HttpError, NotFound, request_id
from powerbridge.client.waiter import ServerSource, VolumeSource
from powerbridge.deploy.cloudview import CloudView
from powerbridge.deploy.errors import DeployError
from powerbridge.deploy.plan import (
    CollocationRuleCreate,
    Kind,
    Plan,
    RefKey,
    ServerCreate,
    VolumeCreate,
)
from powerbridge.deploy.report import Report, ResourceResult
from powerbridge.jobs import Item, ItemState, Job, JobStatus, JobStore

__all__ = ["ApplyOptions", "Progress", "ProgressEvent", "Ticker", "apply_plan"]

MULTIATTACH_MICROVERSION = "3.50"
BUILDING_STATUSES = frozenset({"BUILD"})
VOLUME_BUSY = frozenset({"creating", "downloading", "attaching", "reserved"})


@dataclass(frozen=True)
class ApplyOptions:
    parallel: int | None = None  # deploys in flight; None: the hosts the plan may land on
    timeout: float | None = 3600.0  # per server deploy and per volume, seconds
    rollback_on_failure: bool = False
    poll_interval: float | None = None  # None: adaptive (Ticker)
    create_concurrency: int = 8  # volume and rule create requests at once


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
    """How long to sleep between list calls: a tenth of the expected duration, bounded.

    The expected duration is the median of those seen so far, or until one is seen, the time
    since the first resource started (so ticks stretch as a long deploy goes on)."""

    def __init__(
        self, fixed: float | None = None, *, shortest: float = 0.1, longest: float = 10.0
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

    def interval(self, now: float) -> float:
        if self.fixed is not None:
            return self.fixed
        if self.durations:
            expected = statistics.median(self.durations)
        else:
            expected = now - (self.started if self.started is not None else now)
        return min(self.longest, max(self.shortest, expected / 10))


@dataclass
class _Counters:
    create: int = 0
    delete: int = 0
    list: int = 0

    def as_dict(self, watchers: Collection[Any]) -> dict[str, int]:
        return {
            "create": self.create,
            "delete": self.delete,
            "list": self.list + sum(w.calls for w in watchers),
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
    counters: _Counters = field(default_factory=_Counters)
    server_source: ServerSource | None = None
    volume_source: VolumeSource | None = None

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
        return item is not None and item.created_here

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

    Cancellation (Ctrl-C) marks the job interrupted and re-raises: `--resume` continues it."""
    if not plan.ok:
        raise DeployError(f"the plan for {plan.deployment} has blocks; nothing was created")
    run = _Run(cloud, plan, view, store, job, options or ApplyOptions(), progress)
    run.previous = {(item.kind, item.name): item for item in store.items(job.id)}
    run.ids.update(plan.existing_ids())
    try:
        _record_plan(run)
        await _volumes(run)
        await _rules(run)
        await _servers(run)
        await _refresh_volumes(run)
        status = _status(run)
        if status is not JobStatus.SUCCEEDED and run.options.rollback_on_failure:
            await _rollback(run)
            status = JobStatus.ROLLED_BACK
    except (asyncio.CancelledError, KeyboardInterrupt):
        store.finish(job.id, JobStatus.INTERRUPTED, _summary(run, JobStatus.INTERRUPTED))
        raise
    except BaseException:
        store.finish(job.id, JobStatus.INTERRUPTED, _summary(run, JobStatus.INTERRUPTED))
        raise
    report = _report(run, status)
    store.finish(job.id, status, _summary(run, status))
    return report


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
    for result in run.results.values():
        counts[result.status] = counts.get(result.status, 0) + 1
    return {
        "status": status.value,
        "seconds": round(run.elapsed(), 2),
        "counts": counts,
        "calls": run.counters.as_dict(run.watchers()),
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
        calls=run.counters.as_dict(run.watchers()),
    )


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


# -- volumes ------------------------------------------------------------------------------------
async def _volumes(run: _Run) -> None:
    creates = run.plan.volume_creates
    gate = asyncio.Semaphore(run.options.create_concurrency)

    async def one(volume: VolumeCreate) -> str | None:
        async with gate:
            return await _create_volume(run, volume)

    made = await asyncio.gather(*(one(volume) for volume in creates))
    watch = {vid: volume.name for vid, volume in zip(made, creates, strict=True) if vid}
    for item in run.plan.unchanged:  # a resumed run: volumes an earlier run left creating
        if item.kind is Kind.VOLUME:
            found = run.view.volume_index.by_id(item.id)
            if found is not None and found.status in VOLUME_BUSY:
                watch[item.id] = item.name
    if watch:
        await _watch_volumes(run, watch)


async def _create_volume(run: _Run, volume: VolumeCreate) -> str | None:
    kind = Kind.VOLUME.value
    run.record(kind, volume.name, ItemState.CREATING)
    run.say(kind, volume.name, "creating", f"creating ({volume.details()})")
    microversion = MULTIATTACH_MICROVERSION if volume.shared else None
    try:
        run.counters.create += 1
        response = await run.cloud.session.request(
            "volumev3",
            "POST",
            "/volumes",
            json=volume.request(),
            microversion=microversion,
            idempotent=False,
        )
    except ClientError as problem:
        _create_failed(run, kind, volume.name, problem)
        return None
    body = response.json().get("volume") or {}
    volume_id = str(body.get("id", ""))
    rid = request_id(response)
    run.ids[(Kind.VOLUME, volume.name)] = volume_id
    run.record(
        kind,
        volume.name,
        ItemState.BUILDING,
        resource_id=volume_id,
        created_here=True,
        request_id=rid,
    )
    run.result(kind, volume.name, id=volume_id, status="creating", request_id=rid)
    return volume_id


def _create_failed(run: _Run, kind: str, name: str, problem: ClientError) -> None:
    message = str(problem)
    rid = problem.request_id if isinstance(problem, HttpError) else None
    run.record(kind, name, ItemState.FAILED, fault=message, request_id=rid)
    run.result(kind, name, status="FAILED", fault=message, request_id=rid)
    run.say(kind, name, "failed", f"create refused: {message}")


async def _watch_volumes(run: _Run, watch: dict[str, str]) -> None:
    """One volume list per tick until each is available (or in error, or timed out)."""
    source = run.volume_source = VolumeSource(run.cloud.volume)
    ticker = Ticker(run.options.poll_interval, shortest=0.05)
    started = time.monotonic()
    ticker.start(started)
    pending = dict(watch)
    last: dict[str, str] = {}
    while pending:
        observed = {item.id: item for item in await source.observe(list(pending))}
        now = time.monotonic()
        for volume_id, name in list(pending.items()):
            item = observed.get(volume_id)
            if item is None:
                continue
            if item.status != last.get(volume_id):
                last[volume_id] = item.status
                run.say(Kind.VOLUME.value, name, item.status)
            settled = source.settles(item)
            if settled is None:
                continue
            del pending[volume_id]
            ticker.seen(now - started)
            _volume_settled(run, name, volume_id, item.status, settled == "done")
        if pending and run.options.timeout is not None and now - started > run.options.timeout:
            for volume_id, name in pending.items():
                _volume_settled(run, name, volume_id, "TIMEOUT", False)
            return
        if pending:
            await asyncio.sleep(ticker.interval(now))


def _volume_settled(run: _Run, name: str, volume_id: str, status: str, ok: bool) -> None:
    kind = Kind.VOLUME.value
    mine = run.created_here(kind, name) or run.results[(kind, name)].changed
    if ok:
        run.record(kind, name, ItemState.DONE, resource_id=volume_id, created_here=mine)
        run.result(kind, name, status=status)
        return
    fault = f"volume {name} ended {status}"
    run.record(kind, name, ItemState.FAILED, resource_id=volume_id, fault=fault)
    run.result(kind, name, status=status if status != "TIMEOUT" else "TIMEOUT", fault=fault)


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
    for rule in run.plan.rule_creates:
        await _create_rule(run, rule)


async def _create_rule(run: _Run, rule: CollocationRuleCreate) -> None:
    kind = Kind.COLLOCATION_RULE.value
    run.record(kind, rule.name, ItemState.CREATING)
    try:
        run.counters.create += 1
        response = await run.cloud.session.request(
            "compute", "POST", "/os-server-groups", json=rule.request(), idempotent=False
        )
    except ClientError as problem:
        _create_failed(run, kind, rule.name, problem)
        return
    body = response.json().get("server_group") or {}
    rule_id = str(body.get("id", ""))
    run.ids[(Kind.COLLOCATION_RULE, rule.name)] = rule_id
    rid = request_id(response)
    run.record(
        kind, rule.name, ItemState.DONE, resource_id=rule_id, created_here=True, request_id=rid
    )
    run.result(kind, rule.name, id=rule_id, status="created", request_id=rid)
    run.say(kind, rule.name, "created", f"created ({rule.policy})")


# -- servers ------------------------------------------------------------------------------------
@dataclass
class _Flight:
    name: str
    started: float
    state: str = "BUILD"


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


async def _servers(run: _Run) -> None:
    queue = list(run.plan.server_creates)
    flights: dict[str, _Flight] = {}
    now = time.monotonic()
    for item in run.plan.unchanged:  # a resumed run: servers an earlier run left building
        if item.kind is Kind.SERVER:
            found = run.view.server_index.by_id(item.id)
            if found is not None and found.status in BUILDING_STATUSES:
                flights[item.id] = _Flight(item.name, now)
    if not queue and not flights:
        return
    source = run.server_source = ServerSource(run.cloud.compute)
    ticker = Ticker(run.options.poll_interval)
    window = _window(run)
    while queue or flights:
        starting: list[ServerCreate] = []
        while queue and len(flights) + len(starting) < window:
            server = queue.pop(0)
            reason = _blocker(run, server)
            if reason is None:
                starting.append(server)
            else:
                _not_started(run, server.name, reason)
        ticker.start(time.monotonic())
        for server, made in zip(
            starting, await asyncio.gather(*(_create_server(run, s) for s in starting)), strict=True
        ):
            if made is not None:
                flights[made] = _Flight(server.name, time.monotonic())
        if not flights:
            continue
        await _observe(run, source, flights, ticker)
        if flights:
            await asyncio.sleep(ticker.interval(time.monotonic()))


def _not_started(run: _Run, name: str, reason: str) -> None:
    kind = Kind.SERVER.value
    run.record(kind, name, ItemState.FAILED, fault=reason)
    run.result(kind, name, status="NOT STARTED", fault=reason)
    run.say(kind, name, "not started", f"not started: {reason}")


async def _create_server(run: _Run, server: ServerCreate) -> str | None:
    kind = Kind.SERVER.value
    try:
        body = server.request(run.ids)
        if server.user_data:
            data = Path(server.user_data).expanduser().read_bytes()
            body["server"]["user_data"] = base64.b64encode(data).decode("ascii")
    except OSError as problem:
        _not_started(run, server.name, f"cannot read user data {server.user_data}: {problem}")
        return None
    run.record(kind, server.name, ItemState.CREATING)
    run.say(kind, server.name, "creating", f"deploying ({server.details()})")
    try:
        run.counters.create += 1
        response = await run.cloud.session.request(
            "compute",
            "POST",
            "/servers",
            json=body,
            microversion=await run.cloud.compute.microversion(),
            idempotent=False,
        )
    except ClientError as problem:
        _create_failed(run, kind, server.name, problem)
        return None
    server_id = str((response.json().get("server") or {}).get("id", ""))
    rid = request_id(response)
    volumes = [ref.name for ref in server.volumes]
    run.record(
        kind,
        server.name,
        ItemState.BUILDING,
        resource_id=server_id,
        created_here=True,
        request_id=rid,
        details={"volumes": volumes},
    )
    run.result(kind, server.name, id=server_id, status="BUILD", request_id=rid, volumes=volumes)
    return server_id


async def _observe(
    run: _Run, source: ServerSource, flights: dict[str, _Flight], ticker: Ticker
) -> None:
    """One list call: report what changed, settle what finished or timed out."""
    observed = await source.observe(list(flights))
    now = time.monotonic()
    for item in observed:
        flight = flights.get(item.id)
        if flight is None:
            continue
        state = item.task_state or item.status
        if state != flight.state:
            flight.state = state
            run.say(Kind.SERVER.value, flight.name, state)
        settled = source.settles(item)
        if settled is None:
            continue
        del flights[item.id]
        ticker.seen(now - flight.started)
        _server_settled(run, flight, item.record, item.status, now - flight.started)
    timeout = run.options.timeout
    if timeout is None:
        return
    for server_id, flight in list(flights.items()):
        if now - flight.started > timeout:
            del flights[server_id]
            fault = f"still {flight.state} after {timeout:.0f} s"
            kind = Kind.SERVER.value
            run.record(kind, flight.name, ItemState.FAILED, resource_id=server_id, fault=fault)
            run.result(
                kind, flight.name, status="TIMEOUT", fault=fault, seconds=now - flight.started
            )
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
    servers = {i.resource_id: i.name for i in mine if i.kind == Kind.SERVER.value}
    volumes = {i.resource_id: i.name for i in mine if i.kind == Kind.VOLUME.value}
    rules = {i.resource_id: i.name for i in mine if i.kind == Kind.COLLOCATION_RULE.value}
    await delete_servers(run.cloud, _as_ids(servers), _deleted(run, Kind.SERVER), run.counters)
    await delete_volumes(run.cloud, _as_ids(volumes), _deleted(run, Kind.VOLUME), run.counters)
    for rule_id, name in _as_ids(rules).items():
        await _delete(run.cloud, "compute", f"/os-server-groups/{rule_id}", run.counters)
        _deleted(run, Kind.COLLOCATION_RULE)(rule_id, name)


def _as_ids(items: Mapping[str | None, str]) -> dict[str, str]:
    return {key: name for key, name in items.items() if key}


def _deleted(run: _Run, kind: Kind) -> Callable[[str, str], None]:
    def mark(resource_id: str, name: str) -> None:
        run.record(kind.value, name, ItemState.DELETED, resource_id=resource_id)
        run.result(kind.value, name, status="deleted")
        run.say(kind.value, name, "deleted", "deleted (rollback)")

    return mark


async def _delete(cloud: Cloud, service: str, path: str, counters: _Counters) -> None:
    counters.delete += 1
    with contextlib.suppress(NotFound):  # already gone: what a delete wants
        await cloud.session.request(service, "DELETE", path)


async def delete_servers(
    cloud: Cloud,
    servers: Mapping[str, str],
    deleted: Callable[[str, str], None],
    counters: _Counters | None = None,
    timeout: float = 1800.0,
) -> None:
    """Delete servers (id -> name) and wait, one list call per tick, until they are gone."""
    if not servers:
        return
    counters = counters or _Counters()
    await asyncio.gather(
        *(_delete(cloud, "compute", f"/servers/{sid}", counters) for sid in servers)
    )
    source = ServerSource(cloud.compute, done=(), deleted_is_done=True)
    await _until_gone(source, servers, deleted, timeout)
    counters.list += source.calls


async def delete_volumes(
    cloud: Cloud,
    volumes: Mapping[str, str],
    deleted: Callable[[str, str], None],
    counters: _Counters | None = None,
    timeout: float = 1800.0,
) -> None:
    """Wait until the volumes are detached, delete them, wait until they are gone."""
    if not volumes:
        return
    counters = counters or _Counters()
    source = VolumeSource(cloud.volume, done=("available", "error"), deleted_is_done=True)
    ready = await _until(source, volumes, timeout)
    await asyncio.gather(
        *(_delete(cloud, "volumev3", f"/volumes/{vid}", counters) for vid in ready)
    )
    gone = VolumeSource(cloud.volume, done=(), deleted_is_done=True)
    gone._seen.update(ready)  # they were there a moment ago
    await _until_gone(gone, {vid: volumes[vid] for vid in ready}, deleted, timeout)
    counters.list += source.calls + gone.calls


async def _until(source: VolumeSource, ids: Mapping[str, str], timeout: float) -> list[str]:
    """The ids that reach a `done` status (or vanish) within `timeout`."""
    pending = set(ids)
    ready: list[str] = []
    ticker = Ticker(shortest=0.05, longest=5.0)
    started = time.monotonic()
    ticker.start(started)
    while pending and time.monotonic() - started < timeout:
        for item in await source.observe(list(pending)):
            if item.status == "DELETED":
                pending.discard(item.id)
            elif item.status in source.done:
                pending.discard(item.id)
                ready.append(item.id)
        if pending:
            await asyncio.sleep(ticker.interval(time.monotonic()))
    return ready


async def _until_gone(
    source: ServerSource | VolumeSource,
    ids: Mapping[str, str],
    deleted: Callable[[str, str], None],
    timeout: float,
) -> None:
    pending = dict(ids)
    ticker = Ticker(shortest=0.05, longest=5.0)
    started = time.monotonic()
    ticker.start(started)
    first = True
    while pending and time.monotonic() - started < timeout:
        seen = {item.id: item for item in await source.observe(list(pending))}
        for resource_id in list(pending):
            item = seen.get(resource_id)
            gone = item is not None and item.status == "DELETED"
            if gone or (item is None and first and isinstance(source, ServerSource)):
                deleted(resource_id, pending.pop(resource_id))
        first = False
        if pending:
            await asyncio.sleep(ticker.interval(time.monotonic()))
