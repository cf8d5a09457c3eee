"""One listener per portal process wakes every event stream whose job got new events.

Each SSE stream used to wait for its job's events on its own: a LISTEN connection to
PostgreSQL per stream, or a 50 ms poll per stream on SQLite, each wait holding a thread of
the event loop's small default pool (6 threads on 2 cores). 50 browsers following jobs then
queued behind each other: events reached them up to 600 ms late. The hub waits once for all:
- PostgreSQL: one thread holds one LISTEN connection and, for each notification (its payload
  is the job's id, sent by the writer's fence when it commits events), wakes that job's
  streams on the event loop;
- SQLite (no notifications across processes): one task reads `last_seq` of the watched jobs
  every POLL_SECONDS, in one query, and wakes the streams that have not seen the newest.
A wake-up only says "read again": streams read their events by number, so none is missed,
and each still reads at least every `wait_seconds` should a wake-up be lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from powerbridge.jobs import Event, JobStore, schema
from powerbridge.jobs.statements import EVENTS_CHANNEL

__all__ = ["EventHub", "Waiter"]

POLL_SECONDS = 0.05
LISTEN_SECONDS = 1.0  # the listener looks at whether it should stop this often
RETRY_SECONDS = 1.0  # after the database went away
logger = logging.getLogger("powerbridge.portal")


@dataclass(eq=False)
class Waiter:
    """One stream's wait on one job: `after` is the last event number it has sent."""

    job_id: int
    after: int = 0
    woken: asyncio.Event = field(default_factory=asyncio.Event)
    timed_out: bool = False  # the last wait ran out: its next read goes to the store

    async def wait(self, seconds: float) -> None:
        """Until woken, at most `seconds`; then not woken until the next wake-up."""
        self.timed_out = False
        try:
            async with asyncio.timeout(seconds):
                await self.woken.wait()
        except TimeoutError:
            self.timed_out = True
        self.woken.clear()


@dataclass(eq=False)
class _Shared:
    """A job's events read once for all its streams since the first of them started."""

    start: int  # the events after this number are here
    events: list[Event] = field(default_factory=list)
    wakes: int = 0  # wake-ups so far; `read_at`: how many there had been at the last read
    read_at: int = -1
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def last(self) -> int:
        return self.events[-1].seq if self.events else self.start


class EventHub:
    """Started on the first stream, in the event loop that serves it; `close` ends it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.waiters: dict[int, set[Waiter]] = {}
        self.shared: dict[int, _Shared] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None

    @contextlib.contextmanager
    def watch(self, job_id: int, after: int = 0) -> Iterator[Waiter]:
        self._start()
        waiter = Waiter(job_id, after)
        self.waiters.setdefault(job_id, set()).add(waiter)
        try:
            yield waiter
        finally:
            watching = self.waiters.get(job_id, set())
            watching.discard(waiter)
            if not watching:
                self.waiters.pop(job_id, None)
                self.shared.pop(job_id, None)

    def _start(self) -> None:
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        if self.engine.dialect.name == "postgresql":
            self._thread = threading.Thread(target=self._listen, name="portal-events", daemon=True)
            self._thread.start()
        else:
            self._task = asyncio.create_task(self._poll(), name="portal-events")

    def _wake(self, job_id: int | None) -> None:
        """Wake the job's streams (None: every stream)."""
        chosen = list(self.waiters) if job_id is None else [job_id]
        for job in chosen:
            if job in self.shared:
                self.shared[job].wakes += 1
            for waiter in self.waiters.get(job, set()):
                waiter.woken.set()

    async def events(self, store: JobStore, waiter: Waiter) -> list[Event]:
        """The job's events after `waiter.after`: one store read per wake-up for all the
        job's streams (50 browsers on one job: one query per new event, not 50)."""
        job_id, after = waiter.job_id, waiter.after
        shared = self.shared.get(job_id)
        if shared is None or after < shared.start or waiter.timed_out:
            found = await asyncio.to_thread(store.events, job_id, after)
            if shared is None and job_id in self.waiters:
                self.shared[job_id] = _Shared(after, found, read_at=0)
            return found
        async with shared.lock:
            if shared.read_at < shared.wakes:  # woken since: read what came, once for all
                shared.read_at = shared.wakes
                more = await asyncio.to_thread(store.events, job_id, shared.last)
                shared.events.extend(more)
        return [event for event in shared.events if event.seq > after]

    # -- PostgreSQL ----------------------------------------------------------------------------
    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen_once()
            except Exception as problem:  # the database restarted: streams read, we retry
                logger.info("event listener: %s; listening again", problem)
                self._call(None)
                self._stopping.wait(RETRY_SECONDS)

    def _listen_once(self) -> None:
        import psycopg

        url = self.engine.url.set(drivername="postgresql")
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as db:
            db.execute(f"LISTEN {EVENTS_CHANNEL}")
            self._call(None)  # anything committed before LISTEN: read it
            while not self._stopping.is_set():
                for note in db.notifies(timeout=LISTEN_SECONDS):
                    self._call(int(note.payload) if note.payload.isdigit() else None)

    def _call(self, job_id: int | None) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake, job_id)

    # -- SQLite ---------------------------------------------------------------------------------
    async def _poll(self) -> None:
        jobs = schema.jobs
        while True:
            await asyncio.sleep(POLL_SECONDS)
            if not self.waiters:
                continue
            query = sa.select(jobs.c.id, jobs.c.last_seq).where(jobs.c.id.in_(list(self.waiters)))
            try:
                newest = dict(await asyncio.to_thread(self._rows, query))
            except sa.exc.SQLAlchemyError as problem:  # locked for long: streams read anyway
                logger.info("event poll: %s", problem)
                self._wake(None)
                continue
            for job_id, watching in list(self.waiters.items()):
                last = newest.get(job_id, 0)
                shared = self.shared.get(job_id)
                if shared is not None and last > shared.last:
                    shared.wakes += 1  # the streams' next read goes to the store
                for waiter in watching:
                    if last > waiter.after:
                        waiter.woken.set()

    def _rows(self, query: sa.Select[Any]) -> list[tuple[int, int]]:
        with self.engine.connect() as db:
            return [(int(row[0]), int(row[1])) for row in db.execute(query)]

    async def close(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, LISTEN_SECONDS * 2)
