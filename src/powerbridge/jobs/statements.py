"""The store's statements, built once per dialect with bound parameters only: a worker's
writes then reuse their compiled form (SQLAlchemy caches it by statement) instead of
building and compiling new SQL for every event."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from powerbridge.jobs import schema
from powerbridge.jobs.records import JobStatus

__all__ = ["Statements", "item_update", "statements"]

_jobs, _items, _events = schema.jobs, schema.items, schema.events
RUNNING, QUEUED = JobStatus.RUNNING.value, JobStatus.QUEUED.value
EVENTS_CHANNEL = "powerbridge_job_events"  # follow.EventSignal listens on it


@dataclass(frozen=True)
class Statements:
    now: sa.ColumnElement[Any]
    later: sa.ColumnElement[Any]  # now + :lease_seconds
    select_job: sa.Select[Any]  # :job_id, with lease_live
    fence: sa.Update  # :job_id :held_epoch :lease_seconds :events -> last_seq, cancel_requested
    finish: sa.Update  # :job_id :new_status :finished :new_summary (None: kept)
    insert_event: sa.Insert  # job_id seq kind name message, `at` from the db clock
    insert_item: sa.Insert
    claim_any: sa.Update | sa.Select[Any]
    claim_kinds: sa.Update | sa.Select[Any]  # :kinds (expanding)
    take: sa.Update  # PostgreSQL's second step: the row the claim locked, :job_id
    # PostgreSQL: fence and one event in one statement (the fence as a CTE), -> seq;
    # :job_id :held_epoch :lease_seconds :events (1) :event_kind :event_name :event_message
    fenced_event: sa.Insert | None


@functools.cache
def statements(dialect: str) -> Statements:
    now = schema.db_now(dialect)
    later = schema.db_later(dialect, sa.bindparam("lease_seconds", type_=sa.Float))
    live = (_jobs.c.lease_expires > now).label("lease_live")
    job_id = sa.bindparam("job_id", type_=sa.Integer)
    fence = (
        _jobs.update()
        .where(
            (_jobs.c.id == job_id)
            & (_jobs.c.epoch == sa.bindparam("held_epoch", type_=sa.Integer))
            & (_jobs.c.status == RUNNING)
        )
        .values(
            lease_expires=later,
            updated_at=now,
            last_seq=_jobs.c.last_seq + sa.bindparam("events", type_=sa.Integer),
        )
        .returning(_jobs.c.last_seq, _jobs.c.cancel_requested, *_notify_readers(dialect))
    )
    finished = sa.bindparam("finished", type_=sa.Boolean)
    finish = (
        _jobs.update()
        .where(_jobs.c.id == job_id)
        .values(
            status=sa.bindparam("new_status", type_=sa.String),
            updated_at=now,
            lease_expires=None,
            finished_at=sa.case((finished, now), else_=_jobs.c.finished_at),
            summary=sa.func.coalesce(sa.bindparam("new_summary", type_=sa.Text), _jobs.c.summary),
        )
    )
    claim_any, claim_kinds, take = _claims(dialect, now, later)
    fenced_event = None
    if dialect == "postgresql":
        fenced = fence.cte("fence")
        one_event = sa.select(
            job_id,
            fenced.c.last_seq,
            now,
            sa.bindparam("event_kind", type_=sa.String),
            sa.bindparam("event_name", type_=sa.String),
            sa.bindparam("event_message", type_=sa.Text),
        )
        columns = ["job_id", "seq", "at", "kind", "name", "message"]
        fenced_event = _events.insert().from_select(columns, one_event).returning(_events.c.seq)
    return Statements(
        now=now,
        later=later,
        select_job=sa.select(_jobs, live).where(_jobs.c.id == job_id),
        fence=fence,
        finish=finish,
        insert_event=_events.insert().values(at=now),
        insert_item=_items.insert().values(updated_at=now),
        claim_any=claim_any,
        claim_kinds=claim_kinds,
        take=take,
        fenced_event=fenced_event,
    )


def _notify_readers(dialect: str) -> list[sa.ColumnElement[Any]]:
    """PostgreSQL: when the fenced write adds events, NOTIFY their readers (delivered at
    commit) from the fence's own RETURNING, which saves a round trip per write."""
    if dialect != "postgresql":
        return []
    adds_events = sa.bindparam("events", type_=sa.Integer) > 0
    notify = sa.func.pg_notify(EVENTS_CHANNEL, sa.cast(_jobs.c.id, sa.Text))
    return [sa.case((adds_events, notify)).label("notified")]


def _claims(
    dialect: str, now: sa.ColumnElement[Any], later: sa.ColumnElement[Any]
) -> tuple[sa.Update | sa.Select[Any], sa.Update | sa.Select[Any], sa.Update]:
    """Claim the oldest queued job, or a worker's whose lease expired (never one attached
    to a foreground process). PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, then `take`;
    SQLite: one conditional UPDATE, which runs under the database's write lock."""
    claimable = (_jobs.c.status == QUEUED) | (
        (_jobs.c.status == RUNNING) & _jobs.c.pid.is_(None) & (_jobs.c.lease_expires < now)
    )
    of_kinds = claimable & _jobs.c.kind.in_(sa.bindparam("kinds", expanding=True))
    values = {
        "status": RUNNING,
        "lease_owner": sa.bindparam("worker", type_=sa.String),
        "lease_expires": later,
        "epoch": _jobs.c.epoch + 1,
        "started_at": sa.func.coalesce(_jobs.c.started_at, now),
        "updated_at": now,
    }
    take = (
        _jobs.update()
        .where(_jobs.c.id == sa.bindparam("job_id", type_=sa.Integer))
        .values(**values)
        .returning(*_jobs.c)
    )

    def claim(condition: sa.ColumnElement[bool]) -> sa.Update | sa.Select[Any]:
        oldest = sa.select(_jobs.c.id).where(condition).order_by(_jobs.c.id).limit(1)
        if dialect == "postgresql":
            return oldest.with_for_update(skip_locked=True)
        chosen = (_jobs.c.id == oldest.scalar_subquery()) & condition
        return _jobs.update().where(chosen).values(**values).returning(*_jobs.c)

    return claim(claimable), claim(of_kinds), take


_ITEM_KEY = (
    (_items.c.job_id == sa.bindparam("key_job"))
    & (_items.c.kind == sa.bindparam("key_kind"))
    & (_items.c.name == sa.bindparam("key_name"))
)
ITEM_COUNT = (
    sa.select(sa.func.count()).select_from(_items).where(_items.c.job_id == sa.bindparam("key_job"))
)


@functools.cache
def item_update(dialect: str, columns: tuple[str, ...]) -> sa.Update:
    """`UPDATE job_items SET <columns>` for one item; values bound as `new_<column>`."""
    values: dict[str, Any] = {c: sa.bindparam(f"new_{c}") for c in columns}
    values["updated_at"] = schema.db_now(dialect)
    return _items.update().where(_ITEM_KEY).values(values)
