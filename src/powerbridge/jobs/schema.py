"""The job store's tables (schema 6) and the database clock.

Timestamps are UTC `TIMESTAMP WITH TIME ZONE` on PostgreSQL; SQLite has no such type, so
there they are ISO text in SQLAlchemy's fixed-width form, which sorts and compares like the
moments it names. Leases are judged on the database's clock (`db_now`), so workers on hosts
whose clocks disagree still agree on whether a lease expired.

`HEAD` is the Alembic revision these tables are; `migrations/` holds the steps up to it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

__all__ = [
    "HEAD",
    "SCHEMA_VERSION",
    "db_later",
    "db_now",
    "events",
    "items",
    "jobs",
    "metadata",
    "portal_sessions",
    "portal_signin_attempts",
    "portal_ssh_keys",
]

HEAD = "0006"
SCHEMA_VERSION = 6  # also kept in `schema_version`, which releases before Alembic read


class UtcDateTime(sa.TypeDecorator[datetime]):
    """An aware UTC datetime in, an aware UTC datetime out, on every database."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        moment = value.astimezone(UTC)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:  # SQLite keeps no zone: what it holds is UTC
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


metadata = sa.MetaData()
schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, nullable=False),
)
jobs = sa.Table(
    "jobs",
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
    sa.Column("last_seq", sa.Integer, nullable=False),  # the job's last event number
    # the dashboard's queries and the claim: running/queued jobs, a target's jobs, recent
    sa.Index("jobs_by_status", "status", "id"),
    sa.Index("jobs_by_target", "kind", "target", "id"),
    sa.Index("jobs_by_created", "created_at"),
)
items = sa.Table(
    "job_items",
    metadata,
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), primary_key=True),
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
    "job_events",
    metadata,
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("kind", sa.String(32)),
    sa.Column("name", sa.String(255)),
    sa.Column("message", sa.Text, nullable=False),
)
# the portal's signed-in users (powerbridge.portal.sessions): any portal worker serves any
# request; a session ends when its Keystone token does, or at sign-out
portal_sessions = sa.Table(
    "portal_sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # SHA-256 of the cookie, never the cookie
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("token", sa.Text, nullable=False),  # the user's Keystone token, sealed
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("user_name", sa.String(255), nullable=False),
    sa.Column("domain", sa.String(255), nullable=False),
    sa.Column("project_id", sa.String(64)),  # None until the user picks a project
    sa.Column("project_name", sa.String(255)),
    sa.Column("roles", sa.Text, nullable=False),  # Keystone's role names, JSON
    sa.Column("catalog", sa.Text, nullable=False),  # the token's service catalog, JSON
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),  # the token's expiry
    sa.Column("cloud", sa.String(255)),  # the cloud signed in to; None: the portal's default
    sa.Index("portal_sessions_by_expiry", "expires_at"),
)
# failed sign-ins per user and per client address (powerbridge.portal.signin_limits): every
# portal worker counts in the same rows, so a limit holds whichever worker is asked
portal_signin_attempts = sa.Table(
    "portal_signin_attempts",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),  # "user:<domain>/<name>", "address:<ip>"
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("window_start", UtcDateTime, nullable=False),  # the first failure counted
)
# the portal's SSH key pair (powerbridge.portal.keys): one for every portal on the store, so
# any worker reaches the nodes of any cluster a portal made; the first portal to start
# inserts it, the others read it (the primary key settles a race)
portal_ssh_keys = sa.Table(
    "portal_ssh_keys",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),  # "portal"
    sa.Column("public_key", sa.Text, nullable=False),  # the OpenSSH line nova and cloud-init take
    sa.Column("private_key", sa.Text, nullable=False),  # OpenSSH format, sealed (cipher.py)
    sa.Column("origin", sa.Text, nullable=False),  # "generated", or "imported from <file>"
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# SQLite's strftime gives milliseconds; three zeros make them SQLAlchemy's microseconds
_SQLITE_STAMP = "%Y-%m-%d %H:%M:%f000"


def db_now(dialect: str) -> sa.ColumnElement[datetime]:
    """The database's clock now (the statement's moment, not the transaction's)."""
    if dialect == "postgresql":
        return sa.func.clock_timestamp(type_=UtcDateTime)
    return sa.func.strftime(_SQLITE_STAMP, "now", type_=UtcDateTime)


def db_later(dialect: str, seconds: sa.BindParameter[float]) -> sa.ColumnElement[datetime]:
    """The database's clock `seconds` from now."""
    if dialect == "postgresql":
        later = sa.func.clock_timestamp() + sa.func.make_interval(0, 0, 0, 0, 0, 0, seconds)
        return sa.type_coerce(later, UtcDateTime)
    modifier = sa.func.printf("%+.3f seconds", seconds)
    return sa.func.strftime(_SQLITE_STAMP, "now", modifier, type_=UtcDateTime)
