"""`JobStore`: durable jobs, items and events in SQLite (default) or PostgreSQL.

```python
store = JobStore.open()                       # ~/.local/share/powerbridge/jobs.sqlite
job = store.create_job("deployment", "web", action="apply", source="web.pipe")
store.put_item(job.id, "server", "web1", ItemState.CREATING)
store.event(job.id, "web1 creating", kind="server", name="web1")
store.finish(job.id, JobStatus.SUCCEEDED)
```

A job runs either attached to the process that created it (`create_job`, `attach`: the
CLI's foreground `deploy apply`), or queued (`enqueue`) until a worker claims it
(`claim_next`, see `powerbridge.jobs.worker`). Either way this store then holds the job's
epoch, and every write for the job is fenced: it first renews the job's lease on condition
that the epoch is still the one held, in the same transaction, so a runner whose job was
taken over gets `LeaseLost` and changes nothing. Each write is its own committed
transaction (or one per `batch()`), so what a job recorded survives a kill at any point.
Events are numbered per job under the job row's lock, so they commit in their order.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from powerbridge.jobs import schema
from powerbridge.jobs.database import (
    StoreError,
    create_store_engine,
    problem_text,
    progress_engine,
)
from powerbridge.jobs.follow import EventSignal, open_signal
from powerbridge.jobs.migrate import prepare_schema
from powerbridge.jobs.records import Event, Item, ItemState, Job, JobStatus
from powerbridge.jobs.rows import event_of, item_of, job_of
from powerbridge.jobs.statements import ITEM_COUNT, item_update, statements

__all__ = ["ATTACHED_LEASE_SECONDS", "JobStore", "LeaseLost"]

ATTACHED_LEASE_SECONDS = 300.0  # how long another host trusts a silent foreground job
_jobs, _items, _events = schema.jobs, schema.items, schema.events


class LeaseLost(StoreError):
    """This process no longer holds the job (its lease expired and another worker claimed
    it, or it finished): the write was refused and nothing changed."""


@dataclass(frozen=True)
class _Hold:
    epoch: int
    lease_seconds: float


@dataclass(frozen=True)
class _Write:
    job_id: int
    event: Mapping[str, Any] | None = None  # an event row, numbered when committed
    apply: Callable[[sa.Connection], object] | None = None
    ends_hold: bool = False  # a finish: the job is no longer this store's to write


class JobStore:
    """Jobs, their items and events; safe to share between processes and hosts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._sql = statements(self.dialect)
        # heartbeats and single progress events (database.py: progress_engine)
        self._single = progress_engine(engine)
        self._pending: list[_Write] | None = None
        self._held: dict[int, _Hold] = {}
        self._signal: EventSignal | None = None
        try:
            prepare_schema(engine)
        except sa.exc.SQLAlchemyError as problem:
            engine.dispose()
            raise StoreError(
                f"cannot open the job store {engine.url}: {problem_text(problem)}; check that"
                " the database runs and the URL (user, password, database) is right"
            ) from None
        except StoreError:
            engine.dispose()
            raise

    @classmethod
    def open(cls, url: str | None = None) -> JobStore:
        """The store at `url` (a URL or a file path), else the default one; its schema is
        upgraded in place when older than this code, refused when newer."""
        return cls(create_store_engine(url))

    def close(self) -> None:
        if self._signal is not None:
            self._signal.close()
            self._signal = None
        if self._single is not self.engine:
            self._single.dispose()
        self.engine.dispose()

    def _now(self) -> sa.ColumnElement[Any]:
        return self._sql.now

    def _later(self, seconds: float) -> sa.ColumnElement[Any]:
        return schema.db_later(self.dialect, sa.bindparam("lease_seconds", seconds, sa.Float))

    def _selected(self) -> sa.Select[Any]:
        live = (_jobs.c.lease_expires > self._now()).label("lease_live")
        return sa.select(_jobs, live)

    # -- jobs -----------------------------------------------------------------------------------
    def create_job(
        self,
        kind: str,
        target: str,
        *,
        action: str,
        source: str | None = None,
        spec: Mapping[str, Any] | None = None,
        summary: Mapping[str, Any] | None = None,
        worker: str | None = None,
        lease_seconds: float = ATTACHED_LEASE_SECONDS,
        **who: str | None,
    ) -> Job:
        """A job this process runs now: in the foreground (attached: never taken over), or,
        with `worker`, under that worker's lease of `lease_seconds`, which the caller keeps
        renewing (`heartbeat`): should this process die, another worker claims the job once
        the lease expires, as it would a queued job's (the portal's day-two actions).
        `who`: cloud, project, owner."""
        values = self._new_job(kind, target, action, source, spec, summary, who)
        values.update(status=JobStatus.RUNNING.value, started_at=self._now(), epoch=1)
        if worker is None:
            lease_seconds = ATTACHED_LEASE_SECONDS
            values.update(pid=os.getpid(), hostname=socket.gethostname())
        else:
            values.update(lease_owner=worker)
        values.update(lease_expires=self._later(lease_seconds))
        job = self._insert(values)
        self._held[job.id] = _Hold(job.epoch, lease_seconds)
        return job

    def enqueue(
        self,
        kind: str,
        target: str,
        *,
        action: str,
        spec: Mapping[str, Any] | None = None,
        source: str | None = None,
        **who: str | None,
    ) -> Job:
        """A job for whichever worker claims it first. `who`: cloud, project, owner."""
        values = self._new_job(kind, target, action, source, spec, None, who)
        return self._insert({**values, "status": JobStatus.QUEUED.value, "epoch": 0})

    def _new_job(
        self,
        kind: str,
        target: str,
        action: str,
        source: str | None,
        spec: Mapping[str, Any] | None,
        summary: Mapping[str, Any] | None,
        who: Mapping[str, str | None],
    ) -> dict[str, Any]:
        unknown = set(who) - {"cloud", "project", "owner"}
        if unknown:
            raise TypeError(f"unknown job fields: {', '.join(sorted(unknown))}")
        now = self._now()
        return {
            "kind": kind,
            "action": action,
            "target": target,
            "created_at": now,
            "updated_at": now,
            "spec": json.dumps(dict(spec or {})),
            "source": source,
            "summary": json.dumps(dict(summary or {})),
            "cancel_requested": False,
            "last_seq": 0,
            **who,
        }

    def _insert(self, values: dict[str, Any]) -> Job:
        with self.engine.begin() as db:
            key = db.execute(_jobs.insert().values(**values)).inserted_primary_key
        assert key is not None  # an INSERT of one row always reports its key
        return self.job(int(key[0]))

    def attach(self, job_id: int) -> Job:
        """Take over an unfinished or failed job in this foreground process (a resume).
        Refused while a worker's lease on it is live."""
        # a cancelled job stopped where it was asked to, what it made recorded: resumable
        resumable = (
            JobStatus.RUNNING,
            JobStatus.INTERRUPTED,
            JobStatus.FAILED,
            JobStatus.CANCELLED,
        )
        taken = (
            (_jobs.c.id == job_id)
            & _jobs.c.status.in_([s.value for s in resumable])
            # lease_expires is NULL once a worker's job ended: NULL > now is NULL, not false,
            # and NOT NULL would refuse every ended worker job, so the NULL is tested apart
            & ~(
                _jobs.c.lease_owner.is_not(None)
                & _jobs.c.lease_expires.is_not(None)
                & (_jobs.c.lease_expires > self._now())
            )
        )
        values = {
            "status": JobStatus.RUNNING.value,
            "pid": os.getpid(),
            "hostname": socket.gethostname(),
            "lease_owner": None,
            "lease_expires": self._later(ATTACHED_LEASE_SECONDS),
            "epoch": _jobs.c.epoch + 1,
            "finished_at": None,
            "cancel_requested": False,  # a resume of a cancelled job is asked for anew
            "updated_at": self._now(),
        }
        with self.engine.begin() as db:
            epoch = db.execute(
                _jobs.update().where(taken).values(**values).returning(_jobs.c.epoch)
            ).scalar()
        if epoch is None:
            raise LeaseLost(f"job {job_id} is finished or run by a live worker; not taken over")
        self._held[job_id] = _Hold(int(epoch), ATTACHED_LEASE_SECONDS)
        return self.job(job_id)

    def requeue(self, job_id: int, *, spec: Mapping[str, Any] | None = None) -> Job:
        """Queue a stopped, failed or cancelled job again, its items kept, for a worker to
        continue (a resume through a worker); `spec` replaces the job's spec (the portal's
        fresh credential). Refused while a live process or worker holds it."""
        held_live = _jobs.c.lease_expires.is_not(None) & (_jobs.c.lease_expires > self._now())
        ended = (JobStatus.INTERRUPTED, JobStatus.FAILED, JobStatus.CANCELLED)
        stopped = _jobs.c.status.in_([s.value for s in ended]) | (
            (_jobs.c.status == JobStatus.RUNNING.value) & ~held_live
        )
        values = {
            "status": JobStatus.QUEUED.value,
            "pid": None,
            "hostname": None,
            "lease_owner": None,
            "lease_expires": None,
            "finished_at": None,
            "cancel_requested": False,
            "updated_at": self._now(),
        }
        if spec is not None:
            values["spec"] = json.dumps(dict(spec))
        with self.engine.begin() as db:
            done = db.execute(
                _jobs.update().where((_jobs.c.id == job_id) & stopped).values(**values)
            ).rowcount
        if not done:
            raise LeaseLost(f"job {job_id} is running, queued or succeeded; not queued again")
        return self.job(job_id)

    def release(self, job_id: int) -> None:
        """Hand a running job this store holds back to the queue, its items kept, for the
        next worker to continue at once (a worker stopped mid-job, not killed: no one waits
        for its lease to expire). Raises LeaseLost when the job is no longer ours."""
        hold = self._held.get(job_id)
        if hold is None:
            raise LeaseLost(f"job {job_id} is not held by this process; nothing was released")
        ours = (
            (_jobs.c.id == job_id)
            & (_jobs.c.epoch == hold.epoch)
            & (_jobs.c.status == JobStatus.RUNNING.value)
        )
        values = {
            "status": JobStatus.QUEUED.value,
            "pid": None,
            "hostname": None,
            "lease_owner": None,
            "lease_expires": None,
            "updated_at": self._now(),
        }
        with self.engine.begin() as db:
            done = db.execute(_jobs.update().where(ours).values(**values)).rowcount
        self._held.pop(job_id, None)
        if not done:
            raise LeaseLost(self._lost(job_id, hold))

    def claim_next(
        self, worker: str, *, kinds: Sequence[str] | None = None, lease_seconds: float = 30.0
    ) -> Job | None:
        """Claim the oldest queued job (or a worker's job whose lease expired) for `worker`;
        None when there is none. Exactly one of several racing workers gets each job."""
        claim = self._sql.claim_any if kinds is None else self._sql.claim_kinds
        values = {"worker": worker, "lease_seconds": lease_seconds, "kinds": list(kinds or ())}
        with self.engine.begin() as db:
            row = db.execute(claim, values).mappings().first()
            if row is not None and self.dialect == "postgresql":  # the row locked: take it
                taking = {**values, "job_id": row["id"]}
                row = db.execute(self._sql.take, taking).mappings().first()
        if row is None:
            return None
        job = job_of({**row, "lease_live": True})
        self._held[job.id] = _Hold(job.epoch, lease_seconds)
        return job

    def heartbeat(self, job_id: int) -> bool:
        """Renew the lease on a job this store holds; True when a cancel was asked for.
        Raises LeaseLost when the job is no longer ours."""
        with self._single.begin() as db:
            return self._fence(db, job_id, 0)[1]

    def finish(
        self, job_id: int, status: JobStatus, summary: Mapping[str, Any] | None = None
    ) -> None:
        """End (or, with INTERRUPTED, stop) a job this store holds; the hold ends with it."""
        values = {
            "job_id": job_id,
            "new_status": status.value,
            "finished": status.finished,
            "new_summary": None if summary is None else json.dumps(dict(summary)),
        }
        finish = self._sql.finish
        self._write(_Write(job_id, apply=lambda db: db.execute(finish, values), ends_hold=True))

    def cancel(self, job_id: int) -> Job:
        """Cancel a queued job at once; ask a running one's worker to stop it."""
        queued = (_jobs.c.id == job_id) & (_jobs.c.status == JobStatus.QUEUED.value)
        with self.engine.begin() as db:
            done = db.execute(
                _jobs.update()
                .where(queued)
                .values(
                    status=JobStatus.CANCELLED.value,
                    finished_at=self._now(),
                    updated_at=self._now(),
                )
            ).rowcount
            if not done:
                db.execute(
                    _jobs.update()
                    .where((_jobs.c.id == job_id) & (_jobs.c.status == JobStatus.RUNNING.value))
                    .values(cancel_requested=True)
                )
        return self.job(job_id)

    def hold(self, job: Job) -> None:
        """From now on write for `job` under the epoch it was read with: what a runner that
        read the job, then lost it (a pause, a partition), would still try."""
        self._held[job.id] = _Hold(job.epoch, ATTACHED_LEASE_SECONDS)

    # -- fenced writes --------------------------------------------------------------------------
    def _fence(self, db: sa.Connection, job_id: int, events: int) -> tuple[int, bool]:
        """Renew the lease iff the epoch held is still the job's, reserving `events` event
        numbers; (the job's last event number, cancel asked). The UPDATE locks the job row
        until commit, so writers of one job commit in turn and their events in order."""
        hold = self._held.get(job_id)
        if hold is None:
            raise LeaseLost(f"job {job_id} is not held by this process; nothing was written")
        values = {
            "job_id": job_id,
            "held_epoch": hold.epoch,
            "lease_seconds": hold.lease_seconds,
            "events": events,
        }
        row = db.execute(self._sql.fence, values).first()
        if row is None:
            self._held.pop(job_id, None)
            raise LeaseLost(self._lost(job_id, hold))
        return int(row.last_seq), bool(row.cancel_requested)

    @staticmethod
    def _lost(job_id: int, hold: _Hold) -> str:
        return (
            f"job {job_id} is no longer held by this process (epoch {hold.epoch}): another"
            " runner took it over, or it ended; nothing was written"
        )

    def _write(self, write: _Write) -> None:
        if self._pending is not None:
            self._pending.append(write)
            return
        self._commit([write])

    def _commit(self, writes: list[_Write]) -> None:
        self._transact(writes)
        for write in writes:
            if write.ends_hold:
                self._held.pop(write.job_id, None)

    def _transact(self, writes: list[_Write]) -> None:
        single = writes[0].event if len(writes) == 1 else None
        if single is not None and self._sql.fenced_event is not None:
            self._one_event(writes[0].job_id, single)
            return
        with self.engine.begin() as db:
            next_seq: dict[int, int] = {}
            for job_id in dict.fromkeys(write.job_id for write in writes):
                count = sum(1 for w in writes if w.job_id == job_id and w.event is not None)
                next_seq[job_id] = self._fence(db, job_id, count)[0] - count + 1
            numbered = []
            for write in writes:
                if write.event is not None:
                    numbered.append({**write.event, "seq": next_seq[write.job_id]})
                    next_seq[write.job_id] += 1
                elif write.apply is not None:
                    write.apply(db)
            if numbered:
                db.execute(self._sql.insert_event, numbered)

    def _one_event(self, job_id: int, event: Mapping[str, Any]) -> None:
        """PostgreSQL: the fence and the event in one round trip (most progress events
        come one at a time)."""
        hold = self._held.get(job_id)
        if hold is None:
            raise LeaseLost(f"job {job_id} is not held by this process; nothing was written")
        values = {
            "job_id": job_id,
            "held_epoch": hold.epoch,
            "lease_seconds": hold.lease_seconds,
            "events": 1,
            "event_kind": event["kind"],
            "event_name": event["name"],
            "event_message": event["message"],
        }
        assert self._sql.fenced_event is not None
        with self._single.begin() as db:
            written = db.execute(self._sql.fenced_event, values).first()
        if written is None:
            self._held.pop(job_id, None)
            raise LeaseLost(self._lost(job_id, hold))

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Item and event writes inside the block go to the database in one transaction,
        when it ends: what a loop records in one step costs one commit. Nested blocks join
        the outer one."""
        if self._pending is not None:
            yield
            return
        self._pending = []
        try:
            yield
        finally:
            pending, self._pending = self._pending, None
            if pending:
                self._commit(pending)

    # -- reading jobs ---------------------------------------------------------------------------
    def job(self, job_id: int) -> Job:
        with self.engine.connect() as db:
            row = db.execute(self._sql.select_job, {"job_id": job_id}).mappings().first()
        if row is None:
            raise KeyError(job_id)
        return job_of(dict(row))

    def jobs(
        self,
        target: str | None = None,
        *,
        kind: str | None = None,
        action: str | None = None,
        status: JobStatus | None = None,
        limit: int | None = None,
    ) -> list[Job]:
        """Jobs, newest first: the dashboard's recent jobs, running jobs, a target's jobs."""
        query = self._selected().order_by(_jobs.c.id.desc()).limit(limit)
        for column, value in (
            (_jobs.c.target, target),
            (_jobs.c.kind, kind),
            (_jobs.c.action, action),
            (_jobs.c.status, status),
        ):
            if value is not None:
                query = query.where(column == value)
        with self.engine.connect() as db:
            return [job_of(dict(row)) for row in db.execute(query).mappings()]

    def latest(self, target: str, *, kind: str, action: str | None = None) -> Job | None:
        found = self.jobs(target, kind=kind, action=action, limit=1)
        return found[0] if found else None

    def targets(self, kind: str) -> list[str]:
        """The names of the deployments (clusters, ...) that have jobs."""
        query = (
            sa.select(_jobs.c.target)
            .where(_jobs.c.kind == kind)
            .distinct()
            .order_by(_jobs.c.target)
        )
        with self.engine.connect() as db:
            return [str(name) for name in db.execute(query).scalars()]

    # -- items ----------------------------------------------------------------------------------
    def put_item(
        self,
        job_id: int,
        kind: str,
        name: str,
        state: ItemState,
        **fields: Any,
    ) -> None:
        """Insert or update one item; only the fields given change on an update."""
        values: dict[str, Any] = {"state": state.value}
        for column, value in fields.items():
            values[column] = json.dumps(dict(value)) if column == "details" else value
        key = {"key_job": job_id, "key_kind": kind, "key_name": name}
        update = item_update(self.dialect, tuple(sorted(values)))
        insert = self._sql.insert_item

        def write(db: sa.Connection) -> None:
            if db.execute(update, {**key, **{f"new_{k}": v for k, v in values.items()}}).rowcount:
                return
            position = db.execute(ITEM_COUNT, key).scalar_one()
            row = {"job_id": job_id, "kind": kind, "name": name, "position": position}
            db.execute(insert, {"details": "{}", "created_here": False, **row, **values})

        self._write(_Write(job_id, apply=write))

    def items(self, job_id: int) -> list[Item]:
        query = sa.select(_items).where(_items.c.job_id == job_id).order_by(_items.c.position)
        with self.engine.connect() as db:
            return [item_of(dict(row)) for row in db.execute(query).mappings()]

    def created_by(self, target: str, *, kind: str) -> list[Item]:
        """Every item any job of `target` created, oldest first."""
        query = (
            sa.select(_items)
            .join(_jobs, _jobs.c.id == _items.c.job_id)
            .where((_jobs.c.kind == kind) & (_jobs.c.target == target) & _items.c.created_here)
            .order_by(_items.c.job_id, _items.c.position)
        )
        with self.engine.connect() as db:
            return [item_of(dict(row)) for row in db.execute(query).mappings()]

    # -- events ---------------------------------------------------------------------------------
    def event(
        self, job_id: int, message: str, *, kind: str | None = None, name: str | None = None
    ) -> None:
        row = {"job_id": job_id, "kind": kind, "name": name, "message": message}
        self._write(_Write(job_id, event=row))

    def events(self, job_id: int, after: int = 0) -> list[Event]:
        query = (
            sa.select(_events)
            .where((_events.c.job_id == job_id) & (_events.c.seq > after))
            .order_by(_events.c.seq)
        )
        with self.engine.connect() as db:
            return [event_of(dict(row)) for row in db.execute(query).mappings()]

    def wait_for_events(self, job_id: int, after: int = 0, timeout: float = 30.0) -> list[Event]:
        """The job's events after `after`, waiting up to `timeout` seconds for the first
        one (LISTEN/NOTIFY on PostgreSQL, polling on SQLite); [] when none came."""
        if self._signal is None:
            self._signal = open_signal(self.engine)
        deadline = time.monotonic() + timeout
        while True:
            found = self.events(job_id, after)
            remaining = deadline - time.monotonic()
            if found or remaining <= 0:
                return found
            self._signal.wait(remaining)
