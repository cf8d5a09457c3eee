"""Schema 2: queued jobs with leases and fencing, per-job event numbers, real timestamps.

A v1 job becomes a "deployment" job whose action is its old kind ("apply", "destroy");
its text timestamps become timestamps; its events are numbered 1, 2, ... per job in their
old order. Tables are rebuilt (new ones filled, old ones dropped, new ones renamed), which
SQLite needs for new column types and keys and PostgreSQL takes as well.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from powerbridge.jobs.schema import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

FINISHED = {"succeeded", "partial", "failed", "cancelled", "rolled_back"}


def _tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table, sa.Table]:
    jobs = sa.Table(
        "jobs_next",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("started_at", UtcDateTime),
        sa.Column("finished_at", UtcDateTime),
        sa.Column("cloud", sa.String(255)),
        sa.Column("project", sa.String(255)),
        sa.Column("owner", sa.String(255)),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer),
        sa.Column("hostname", sa.String(255)),
        sa.Column("lease_owner", sa.String(255)),
        sa.Column("lease_expires", UtcDateTime),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
    )
    items = sa.Table(
        "job_items_next",
        metadata,
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs_next.id"), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("resource_id", sa.String(64)),
        sa.Column("created_here", sa.Boolean, nullable=False),
        sa.Column("request_id", sa.String(64)),
        sa.Column("fault", sa.Text),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    events = sa.Table(
        "job_events_next",
        metadata,
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs_next.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("kind", sa.String(32)),
        sa.Column("name", sa.String(255)),
        sa.Column("message", sa.Text, nullable=False),
    )
    return jobs, items, events


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _job(row: Any, event_count: int) -> dict[str, Any]:
    created, updated = _moment(row.created_at), _moment(row.updated_at)
    return {
        "id": row.id,
        "kind": "deployment",
        "action": row.kind,
        "target": row.deployment,
        "status": row.status,
        "created_at": created,
        "updated_at": updated,
        "started_at": created,
        "finished_at": updated if row.status in FINISHED else None,
        "spec": "{}",
        "source": row.source,
        "summary": row.summary or "{}",
        "pid": row.pid,
        "hostname": row.hostname,
        "epoch": 1,
        "cancel_requested": False,
        "last_seq": event_count,
    }


def _item(row: dict[str, Any]) -> dict[str, Any]:
    details = json.loads(row["details"] or "{}")
    return {**row, "updated_at": _moment(row["updated_at"]), "details": json.dumps(details)}


def _copy(db: sa.Connection, jobs: sa.Table, items: sa.Table, events: sa.Table) -> None:
    old_events = db.execute(sa.text("SELECT * FROM job_events ORDER BY seq")).all()
    numbered: list[dict[str, Any]] = []
    counts: dict[int, int] = {}
    for row in old_events:
        counts[row.job_id] = counts.get(row.job_id, 0) + 1
        values = {"kind": row.kind, "name": row.name, "message": row.message}
        numbered.append(
            {"job_id": row.job_id, "seq": counts[row.job_id], "at": _moment(row.at), **values}
        )
    old_jobs = db.execute(sa.text("SELECT * FROM jobs ORDER BY id")).all()
    if old_jobs:
        db.execute(jobs.insert(), [_job(row, counts.get(row.id, 0)) for row in old_jobs])
    old_items = db.execute(sa.text("SELECT * FROM job_items")).mappings().all()
    if old_items:
        db.execute(items.insert(), [_item(dict(row)) for row in old_items])
    if numbered:
        db.execute(events.insert(), numbered)


def upgrade() -> None:
    db = op.get_bind()
    jobs, items, events = _tables(sa.MetaData())
    for table in (jobs, items, events):
        table.create(db)
    _copy(db, jobs, items, events)
    for old in ("job_events", "job_items", "jobs"):
        op.drop_table(old)
    for name in ("jobs", "job_items", "job_events"):
        op.rename_table(f"{name}_next", name)
    op.create_index("jobs_by_status", "jobs", ["status", "id"])
    op.create_index("jobs_by_target", "jobs", ["kind", "target", "id"])
    op.create_index("jobs_by_created", "jobs", ["created_at"])
    if db.dialect.name == "postgresql":  # the copied ids: new jobs number on from the last
        op.execute(
            "SELECT setval(pg_get_serial_sequence('jobs', 'id'),"
            " (SELECT COALESCE(MAX(id), 0) + 1 FROM jobs), false)"
        )
    op.execute("UPDATE schema_version SET version = 2")
