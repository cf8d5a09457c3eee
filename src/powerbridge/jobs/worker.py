"""Workers: claim queued jobs, run each with a lease kept alive by a heartbeat, fenced.

```python
async def build_cluster(run: Run) -> JobStatus | None:
    ...                        # run.job.spec says what; run.store records items and events
    return JobStatus.SUCCEEDED

worker = Worker(store, {"cluster": build_cluster}, lease_seconds=30)
await worker.run(stop)         # until `stop` (an asyncio.Event) is set
```

A runner is registered per job kind. It gets the job and the store and returns the status
to finish with (None: succeeded), with what it put in `run.summary` as the job's summary; an
exception fails the job with its message (and that summary). While it
runs, a heartbeat renews the lease every third of `lease_seconds`; when the heartbeat finds
the job taken over (this worker stalled past its lease) the runner is cancelled and
nothing more is written: the store refuses writes under the old epoch anyway (`LeaseLost`).
A cancel asked for (`JobStore.cancel`) cancels the runner and finishes the job cancelled;
for the kinds named in `stops_at_steps` it sets `Run.cancel_asked` instead, and the runner
stops at its next step boundary and returns CANCELLED with what it made in its summary.
A job whose worker died is claimed again once its lease expires: `Run.taken_over` tells
the runner to resume (its steps must be idempotent), not to start over. A worker stopped
(cancelled: its service shuts down) hands its job back to the queue (`JobStore.release`), so
the next worker continues it at once instead of after the lease.

Runners must not block the event loop: the heartbeat runs on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Callable, Collection, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from powerbridge.jobs.records import Job, JobStatus
from powerbridge.jobs.store import JobStore, LeaseLost

__all__ = ["Run", "Runner", "Worker", "keep_leased", "worker_name"]


@dataclass(frozen=True)
class Run:
    """What a runner gets: the job as claimed, and the store that holds it."""

    job: Job
    store: JobStore
    summary: dict[str, Any] = field(default_factory=dict)  # the finished job's summary
    # set when a cancel is asked for a runner that stops at its step boundaries
    cancel_asked: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def taken_over(self) -> bool:
        """An earlier runner of this job vanished mid-way."""
        return self.job.epoch > 1


Runner = Callable[[Run], Coroutine[Any, Any, JobStatus | None]]


def worker_name() -> str:
    """Unique per process and start: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """Runs the store's queued jobs of the kinds it has runners for, one at a time."""

    def __init__(
        self,
        store: JobStore,
        runners: Mapping[str, Runner],
        *,
        name: str | None = None,
        lease_seconds: float = 30.0,
        poll_seconds: float = 1.0,
        stops_at_steps: Collection[str] = (),
    ) -> None:
        self.store = store
        self.runners = dict(runners)
        self.stops_at_steps = frozenset(stops_at_steps)
        self.name = name or worker_name()
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and run jobs until `stop` is set; idle, look again every poll_seconds."""
        while not stop.is_set():
            if await self.run_next() is None:
                # asyncio.timeout, not wait_for: in Python 3.11 wait_for can swallow a cancel
                # that lands as the wait completes (cpython gh-86296)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_seconds):
                        await stop.wait()

    async def run_next(self) -> Job | None:
        """Claim one job and run it to its end; None when none is waiting."""
        job = self.store.claim_next(
            self.name, kinds=list(self.runners), lease_seconds=self.lease_seconds
        )
        if job is None:
            return None
        if job.epoch > 1:
            self.store.event(
                job.id, f"continued by worker {self.name}: an earlier run of this job stopped"
            )
        await self._run(job)
        return job

    async def _run(self, job: Job) -> None:
        run = Run(job, self.store)
        task: asyncio.Task[JobStatus | None] = asyncio.create_task(self.runners[job.kind](run))
        why_stopped: list[str] = []
        every = self.lease_seconds / 3
        asked = run.cancel_asked.set if job.kind in self.stops_at_steps else None
        beat = asyncio.create_task(
            keep_leased(self.store, job.id, every, task, why_stopped, on_cancel=asked)
        )
        try:
            status = await task
        except asyncio.CancelledError:
            if not why_stopped:  # this worker itself is being stopped (a portal's shutdown):
                with contextlib.suppress(LeaseLost):  # the next worker continues the job now
                    self.store.release(job.id)
                raise
            if why_stopped == ["cancel"]:
                self.store.finish(job.id, JobStatus.CANCELLED)
            return
        except LeaseLost:
            return
        except Exception as problem:  # a runner's failure is the job's, not the worker's
            self._fail(run, problem)
            return
        finally:
            beat.cancel()
        with contextlib.suppress(LeaseLost):
            self.store.finish(job.id, status or JobStatus.SUCCEEDED, run.summary or None)

    def _fail(self, run: Run, problem: Exception) -> None:
        message = str(problem) or type(problem).__name__
        with contextlib.suppress(LeaseLost), self.store.batch():
            self.store.event(run.job.id, f"failed: {message}")
            self.store.finish(run.job.id, JobStatus.FAILED, {"error": message, **run.summary})


async def keep_leased(
    store: JobStore,
    job_id: int,
    every: float,
    task: asyncio.Task[Any],
    why: list[str],
    *,
    on_cancel: Callable[[], None] | None = None,
) -> None:
    """Renew the lease on `job_id` every `every` seconds while `task` runs it. The job taken
    over by another runner ("lost") or a cancel asked for ("cancel") cancels `task`, with the
    reason appended to `why` so the runner's caller can tell that from a Ctrl-C. With
    `on_cancel`, a cancel calls it instead and the lease is kept until the task ends."""
    while True:
        await asyncio.sleep(every)
        try:
            cancel_asked = store.heartbeat(job_id)
        except LeaseLost:
            why.append("lost")
            task.cancel()
            return
        if cancel_asked and on_cancel is not None:
            on_cancel()
        elif cancel_asked:
            why.append("cancel")
            task.cancel()
            return
