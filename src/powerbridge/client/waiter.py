"""One generic waiter: many servers (or volumes), one list call per tick.

```python
outcomes = await wait_for_servers(compute, ids, timeout=1800, on_change=print)
for outcome in outcomes.values():
    print(outcome.name, outcome.result, outcome.fault)
```

Each tick lists the resources once, following pages, instead of one GET per resource: for
servers `GET /servers/detail?changes-since=<watermark>` after a first full listing, so a tick
returns only what changed (deleted servers included); the watermark is the newest `updated`
the server itself reported, so a client clock that is off does not matter. Volumes are listed
in full (`GET /volumes/detail`, cinder has no changes-since). Every change of status or task
state goes to `on_change`. The wait ends for a resource when it reaches a done status (with no
task in progress), a failed one (ERROR, with the server's `fault`), is deleted, or the timeout
passes; the result holds one `Outcome` per id. Retries are the session's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from powerbridge.client._wire import Record
from powerbridge.client.compute import Compute, Fault, Server
from powerbridge.client.volume import BlockStorage, Volume

Result = Literal["done", "failed", "deleted", "missing", "timeout"]
DELETED = "DELETED"  # the status a vanished resource is reported with
WATERMARK_MARGIN = timedelta(seconds=2)  # nova's timestamps have one-second resolution


@dataclass(frozen=True)
class Observation:
    """One resource as one list call saw it."""

    id: str
    name: str
    status: str
    task_state: str | None
    updated: datetime | None
    fault: Fault | None
    record: Any


@dataclass(frozen=True)
class StateChange(Record):
    """A resource moved: its new status and task state, and the previous ones."""

    id: str
    name: str
    status: str
    task_state: str | None
    previous_status: str | None
    previous_task_state: str | None
    elapsed: float  # seconds since the wait began

    @property
    def state(self) -> str:
        return f"{self.status} ({self.task_state})" if self.task_state else self.status


@dataclass(frozen=True)
class Outcome(Record):
    """How the wait ended for one resource."""

    id: str
    name: str
    result: Result
    status: str | None
    task_state: str | None = None
    fault: Fault | None = None
    elapsed: float = 0.0
    record: Any = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.result == "done"


class Source(Protocol):
    """What the waiter lists: `observe(ids)` makes one tick's list call(s) and returns what
    it saw of `ids`; `settles` says whether (and how) an observation ends the wait."""

    kind: str
    calls: int  # list requests made so far (pages included)

    async def observe(self, ids: Collection[str]) -> list[Observation]: ...

    def settles(self, item: Observation) -> Result | None: ...


Callback = Callable[[StateChange], None]
TickCallback = Callable[[int, float], None]  # (resources still pending, elapsed seconds)
Sleep = Callable[[float], Awaitable[None]]


async def wait_for(
    source: Source,
    ids: Iterable[str],
    *,
    timeout: float | None = None,
    interval: float = 2.0,
    on_change: Callback | None = None,
    on_tick: TickCallback | None = None,
    sleep: Sleep = asyncio.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> dict[str, Outcome]:
    """Watch `ids` until each settles or `timeout` seconds pass (None: no limit)."""
    pending = dict.fromkeys(ids)
    seen: dict[str, Observation] = {}
    outcomes: dict[str, Outcome] = {}
    started = monotonic()
    first = True
    while pending:
        observed = {item.id: item for item in await source.observe(list(pending))}
        elapsed = monotonic() - started
        for resource_id in list(pending):
            item = observed.get(resource_id)
            if item is None:
                if first:  # the first listing is complete: it does not exist
                    outcomes[resource_id] = Outcome(resource_id, "", "missing", None)
                    del pending[resource_id]
                continue
            _report(seen.get(resource_id), item, elapsed, on_change)
            seen[resource_id] = item
            result = source.settles(item)
            if result is not None:
                outcomes[resource_id] = _outcome(item, result, elapsed)
                del pending[resource_id]
        first = False
        if on_tick is not None:
            on_tick(len(pending), elapsed)
        if not pending:
            break
        if timeout is not None and elapsed >= timeout:
            for resource_id in pending:
                last = seen.get(resource_id)
                outcomes[resource_id] = (
                    _outcome(last, "timeout", elapsed)
                    if last
                    else Outcome(resource_id, "", "timeout", None, elapsed=elapsed)
                )
            break
        # the last look comes at the deadline itself
        await sleep(interval if timeout is None else max(0.0, min(interval, timeout - elapsed)))
    return outcomes


def _report(
    before: Observation | None, now: Observation, elapsed: float, on_change: Callback | None
) -> None:
    if on_change is None:
        return
    if before is not None and (before.status, before.task_state) == (now.status, now.task_state):
        return
    on_change(
        StateChange(
            id=now.id,
            name=now.name,
            status=now.status,
            task_state=now.task_state,
            previous_status=before.status if before else None,
            previous_task_state=before.task_state if before else None,
            elapsed=elapsed,
        )
    )


def _outcome(item: Observation, result: Result, elapsed: float) -> Outcome:
    return Outcome(
        id=item.id,
        name=item.name,
        result=result,
        status=item.status,
        task_state=item.task_state,
        fault=item.fault,
        elapsed=elapsed,
        record=item.record,
    )


# -- servers ----------------------------------------------------------------------------------
class ServerSource:
    """Servers through `GET /servers/detail`, then only what changed since the watermark."""

    kind = "server"

    def __init__(
        self,
        compute: Compute,
        *,
        done: Collection[str] = ("ACTIVE",),
        failed: Collection[str] = ("ERROR",),
        deleted_is_done: bool = False,
        all_projects: bool = False,
    ) -> None:
        self.compute = compute
        self.done = frozenset(s.upper() for s in done)
        self.failed = frozenset(s.upper() for s in failed)
        self.deleted_is_done = deleted_is_done
        self.all_projects = all_projects
        self.watermark: datetime | None = None
        self.calls = 0

    def _count(self) -> None:
        self.calls += 1

    async def observe(self, ids: Collection[str]) -> list[Observation]:
        since = self.watermark - WATERMARK_MARGIN if self.watermark else None
        servers = await self.compute.servers(
            changes_since=since, all_projects=self.all_projects, on_page=self._count
        )
        stamps = [s.updated for s in servers if s.updated is not None]
        if stamps:
            newest = max(stamps)
            self.watermark = max(newest, self.watermark) if self.watermark else newest
        wanted = set(ids)
        return [_server_observation(s) for s in servers if s.id in wanted]

    def settles(self, item: Observation) -> Result | None:
        if item.status == DELETED:
            return "done" if self.deleted_is_done else "deleted"
        if item.status in self.failed:
            return "failed"
        if item.status in self.done and item.task_state is None:
            return "done"
        return None


def _server_observation(server: Server) -> Observation:
    return Observation(
        id=server.id,
        name=server.name,
        status=server.status,
        task_state=server.task_state,
        updated=server.updated,
        fault=server.fault,
        record=server,
    )


async def wait_for_servers(
    compute: Compute,
    ids: Iterable[str],
    *,
    done: Collection[str] = ("ACTIVE",),
    timeout: float | None = None,
    interval: float = 2.0,
    on_change: Callback | None = None,
    on_tick: TickCallback | None = None,
    sleep: Sleep = asyncio.sleep,
) -> dict[str, Outcome]:
    """Wait until each server is ACTIVE (or another `done` status) or ERROR."""
    source = ServerSource(compute, done=done)
    return await wait_for(
        source,
        ids,
        timeout=timeout,
        interval=interval,
        on_change=on_change,
        on_tick=on_tick,
        sleep=sleep,
    )


async def wait_for_server_deletion(
    compute: Compute,
    ids: Iterable[str],
    *,
    timeout: float | None = None,
    interval: float = 2.0,
    on_change: Callback | None = None,
    sleep: Sleep = asyncio.sleep,
) -> dict[str, Outcome]:
    """Wait until each server is gone (a server already gone counts as done)."""
    source = ServerSource(compute, done=(), deleted_is_done=True)
    outcomes = await wait_for(
        source, ids, timeout=timeout, interval=interval, on_change=on_change, sleep=sleep
    )
    return {
        key: _replace_result(o, "done") if o.result == "missing" else o
        for key, o in outcomes.items()
    }


def _replace_result(outcome: Outcome, result: Result) -> Outcome:
    return Outcome(
        outcome.id,
        outcome.name,
        result,
        outcome.status,
        outcome.task_state,
        outcome.fault,
        outcome.elapsed,
        outcome.record,
    )


# -- volumes ----------------------------------------------------------------------------------
class VolumeSource:
    """Volumes through `GET /volumes/detail` (every page, each tick)."""

    kind = "volume"

    def __init__(
        self,
        volumes: BlockStorage,
        *,
        done: Collection[str] = ("available", "in-use"),
        deleted_is_done: bool = False,
    ) -> None:
        self.volumes = volumes
        self.done = frozenset(s.lower() for s in done)
        self.deleted_is_done = deleted_is_done
        self.calls = 0
        self._seen: set[str] = set()

    def _count(self) -> None:
        self.calls += 1

    async def observe(self, ids: Collection[str]) -> list[Observation]:
        found = {v.id: v for v in await self.volumes.volumes(on_page=self._count)}
        observations = []
        for volume_id in ids:
            volume = found.get(volume_id)
            if volume is not None:
                self._seen.add(volume_id)
                observations.append(_volume_observation(volume))
            elif volume_id in self._seen:  # it was there: it has been deleted since
                observations.append(Observation(volume_id, "", DELETED, None, None, None, None))
        return observations

    def settles(self, item: Observation) -> Result | None:
        if item.status == DELETED:
            return "done" if self.deleted_is_done else "deleted"
        if item.status.startswith("error"):
            return "failed"
        if item.status in self.done:
            return "done"
        return None


def _volume_observation(volume: Volume) -> Observation:
    return Observation(
        id=volume.id,
        name=volume.name,
        status=volume.status,
        task_state=None,
        updated=volume.updated_at,
        fault=None,
        record=volume,
    )


async def wait_for_volumes(
    volumes: BlockStorage,
    ids: Iterable[str],
    *,
    done: Collection[str] = ("available", "in-use"),
    timeout: float | None = None,
    interval: float = 1.0,
    on_change: Callback | None = None,
    sleep: Sleep = asyncio.sleep,
) -> dict[str, Outcome]:
    """Wait until each volume is available (or another `done` status) or in error."""
    source = VolumeSource(volumes, done=done)
    return await wait_for(
        source, ids, timeout=timeout, interval=interval, on_change=on_change, sleep=sleep
    )
