"""`JobStore`: durable job records in SQLite (default) or any SQLAlchemy database.

```python
store = JobStore.open()                       # ~/.local/share/powerbridge/jobs.sqlite
job = store.create_job("apply", "cluster1", source="cluster1.pipe")
store.put_item(job.id, "server", "node1", ItemState.CREATING)
store.event(job.id, "node1 creating", kind="server", name="node1")
store.finish(job.id, JobStatus.SUCCEEDED)
```

Every write is its own committed transaction, so what a job recorded survives a kill of the
process at any point: that is what `deploy apply --resume` reads. SQLite runs in WAL mode
with a busy timeout, so the portal and a CLI run can share one file. The URL comes from
`--store`, else `POWERBRIDGE_STORE`, else the per-user data dir (XDG_DATA_HOME).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import socket
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from powerbridge.jobs.records import Event, Item, ItemState, Job, JobStatus

__all__ = ["SCHEMA_VERSION", "JobStore", "StoreError", "default_store_url", "holder_alive"]

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 10_000

_metadata = sa.MetaData()
_schema = sa.Table(
    "schema_version",
    _metadata,
    sa.Column("version", sa.Integer, nullable=False),
)
_jobs = sa.Table(
    "jobs",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("deployment", sa.String(255), nullable=False, index=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    sa.Column("pid", sa.Integer),
    sa.Column("hostname", sa.String(255)),
    sa.Column("source", sa.Text),
    sa.Column("summary", sa.Text, nullable=False, default="{}"),
)
_items = sa.Table(
    "job_items",
    _metadata,
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("resource_id", sa.String(64)),
    sa.Column("created_here", sa.Boolean, nullable=False, default=False),
    sa.Column("request_id", sa.String(64)),
    sa.Column("fault", sa.Text),
    sa.Column("details", sa.Text, nullable=False, default="{}"),
    sa.Column("updated_at", sa.String(40), nullable=False),
)
_events = sa.Table(
    "job_events",
    _metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=False, index=True),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(32)),
    sa.Column("name", sa.String(255)),
    sa.Column("message", sa.Text, nullable=False),
)


class StoreError(Exception):
    """The job store cannot be opened or used; the message says which file and why."""


# statements built once with bound parameters: a loop of item writes reuses their compiled
# form instead of building and compiling new SQL for every row
_ITEM_KEY = (
    (_items.c.job_id == sa.bindparam("key_job"))
    & (_items.c.kind == sa.bindparam("key_kind"))
    & (_items.c.name == sa.bindparam("key_name"))
)
_ITEM_COUNT = (
    sa.select(sa.func.count()).select_from(_items).where(_items.c.job_id == sa.bindparam("key_job"))
)


@functools.cache
def _item_update(columns: tuple[str, ...]) -> sa.Update:
    """`UPDATE job_items SET <columns>` for one item; the new values bound as `new_<column>`."""
    return _items.update().where(_ITEM_KEY).values({c: sa.bindparam(f"new_{c}") for c in columns})


def default_store_url() -> str:
    configured = os.environ.get("POWERBRIDGE_STORE")
    if configured:
        return configured if "://" in configured else _sqlite_url(Path(configured))
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return _sqlite_url(Path(base) / "powerbridge" / "jobs.sqlite")


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.expanduser().resolve()}"


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _on_sqlite_connect(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a killed process loses nothing
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class JobStore:
    """Jobs, their items and events; safe to share between processes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pending: list[Callable[[sa.Connection], object]] | None = None
        self._prepare()

    @classmethod
    def open(cls, url: str | None = None) -> JobStore:
        """The store at `url` (a SQLAlchemy URL or a file path), else the default one."""
        if url is None:
            url = default_store_url()
        elif "://" not in url:
            url = _sqlite_url(Path(url))
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            path = Path(url.removeprefix("sqlite:///"))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as problem:
                message = f"cannot create the job store's folder {path.parent}: {problem}"
                raise StoreError(message) from None
        try:
            engine = sa.create_engine(url)
        except (sa.exc.ArgumentError, ImportError) as problem:
            raise StoreError(f"cannot use the job store {url!r}: {problem}") from None
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _on_sqlite_connect)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def _prepare(self) -> None:
        try:
            _metadata.create_all(self.engine)
            with self.engine.begin() as db:
                found = db.execute(sa.select(_schema.c.version)).scalar()
                if found is None:
                    db.execute(_schema.insert().values(version=SCHEMA_VERSION))
                elif found > SCHEMA_VERSION:
                    raise StoreError(
                        f"the job store {self.engine.url} has schema {found}, newer than this "
                        f"powerbridge's {SCHEMA_VERSION}; upgrade powerbridge"
                    )
        except sa.exc.SQLAlchemyError as problem:
            raise StoreError(f"cannot open the job store {self.engine.url}: {problem}") from None

    # -- jobs -----------------------------------------------------------------------------------
    def create_job(
        self,
        kind: str,
        deployment: str,
        *,
        source: str | None = None,
        summary: Mapping[str, Any] | None = None,
    ) -> Job:
        now = _stamp(_now())
        values = {
            "kind": kind,
            "deployment": deployment,
            "status": JobStatus.RUNNING.value,
            "created_at": now,
            "updated_at": now,
            "pid": os.getpid(),
            "hostname": socket.gethostname(),
            "source": source,
            "summary": json.dumps(dict(summary or {})),
        }
        with self.engine.begin() as db:
            key = db.execute(_jobs.insert().values(**values)).inserted_primary_key
        assert key is not None  # an INSERT of one row always reports its key
        return self.job(int(key[0]))

    def claim(self, job_id: int) -> Job:
        """Take over a job (a resume): this process now runs it."""
        self._update_job(
            job_id, status=JobStatus.RUNNING.value, pid=os.getpid(), hostname=socket.gethostname()
        )
        return self.job(job_id)

    def finish(
        self, job_id: int, status: JobStatus, summary: Mapping[str, Any] | None = None
    ) -> None:
        values: dict[str, Any] = {"status": status.value}
        if summary is not None:
            values["summary"] = json.dumps(dict(summary))
        self._update_job(job_id, **values)

    def _update_job(self, job_id: int, **values: Any) -> None:
        values["updated_at"] = _stamp(_now())
        with self.engine.begin() as db:
            db.execute(_jobs.update().where(_jobs.c.id == job_id).values(**values))

    def job(self, job_id: int) -> Job:
        with self.engine.connect() as db:
            row = db.execute(sa.select(_jobs).where(_jobs.c.id == job_id)).mappings().first()
        if row is None:
            raise KeyError(job_id)
        return _job(row)

    def jobs(self, deployment: str | None = None, kind: str | None = None) -> list[Job]:
        """Jobs, newest first."""
        query = sa.select(_jobs).order_by(_jobs.c.id.desc())
        if deployment is not None:
            query = query.where(_jobs.c.deployment == deployment)
        if kind is not None:
            query = query.where(_jobs.c.kind == kind)
        with self.engine.connect() as db:
            return [_job(row) for row in db.execute(query).mappings()]

    def latest(self, deployment: str, kind: str | None = None) -> Job | None:
        found = self.jobs(deployment, kind)
        return found[0] if found else None

    def deployments(self) -> list[str]:
        query = sa.select(_jobs.c.deployment).distinct().order_by(_jobs.c.deployment)
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
        values: dict[str, Any] = {"state": state.value, "updated_at": _stamp(_now())}
        for column, value in fields.items():
            values[column] = json.dumps(dict(value)) if column == "details" else value
        key = {"key_job": job_id, "key_kind": kind, "key_name": name}

        def write(db: sa.Connection) -> None:
            update = _item_update(tuple(sorted(values)))
            if db.execute(update, {**key, **{f"new_{k}": v for k, v in values.items()}}).rowcount:
                return
            position = db.execute(_ITEM_COUNT, key).scalar_one()
            row = {"job_id": job_id, "kind": kind, "name": name, "position": position}
            db.execute(_items.insert(), {"details": "{}", **row, **values})

        self._write(write)

    # -- batching -------------------------------------------------------------------------------
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
                with self.engine.begin() as db:
                    for write in pending:
                        write(db)

    def _write(self, write: Callable[[sa.Connection], object]) -> None:
        if self._pending is not None:
            self._pending.append(write)
            return
        with self.engine.begin() as db:
            write(db)

    def items(self, job_id: int) -> list[Item]:
        query = sa.select(_items).where(_items.c.job_id == job_id).order_by(_items.c.position)
        with self.engine.connect() as db:
            return [_item(row) for row in db.execute(query).mappings()]

    def created_by(self, deployment: str) -> list[Item]:
        """Every item any job of `deployment` created, oldest first."""
        query = (
            sa.select(_items)
            .join(_jobs, _jobs.c.id == _items.c.job_id)
            .where((_jobs.c.deployment == deployment) & _items.c.created_here)
            .order_by(_items.c.job_id, _items.c.position)
        )
        with self.engine.connect() as db:
            return [_item(row) for row in db.execute(query).mappings()]

    # -- events ---------------------------------------------------------------------------------
    def event(
        self, job_id: int, message: str, *, kind: str | None = None, name: str | None = None
    ) -> None:
        row = {"job_id": job_id, "at": _stamp(_now()), "kind": kind, "name": name}
        self._write(lambda db: db.execute(_events.insert(), {**row, "message": message}))

    def events(self, job_id: int, after: int = 0) -> list[Event]:
        query = (
            sa.select(_events)
            .where((_events.c.job_id == job_id) & (_events.c.seq > after))
            .order_by(_events.c.seq)
        )
        with self.engine.connect() as db:
            return [_event(row) for row in db.execute(query).mappings()]


def _job(row: sa.RowMapping) -> Job:
    return Job(
        id=int(row["id"]),
        kind=str(row["kind"]),
        deployment=str(row["deployment"]),
        status=JobStatus(row["status"]),
        created_at=_parse(row["created_at"]),
        updated_at=_parse(row["updated_at"]),
        pid=row["pid"],
        hostname=row["hostname"],
        source=row["source"],
        summary=json.loads(row["summary"] or "{}"),
    )


def _item(row: sa.RowMapping) -> Item:
    return Item(
        job_id=int(row["job_id"]),
        kind=str(row["kind"]),
        name=str(row["name"]),
        state=ItemState(row["state"]),
        resource_id=row["resource_id"],
        created_here=bool(row["created_here"]),
        request_id=row["request_id"],
        fault=row["fault"],
        details=json.loads(row["details"] or "{}"),
        updated_at=_parse(row["updated_at"]),
    )


def _event(row: sa.RowMapping) -> Event:
    return Event(
        job_id=int(row["job_id"]),
        seq=int(row["seq"]),
        at=_parse(row["at"]),
        message=str(row["message"]),
        kind=row["kind"],
        name=row["name"],
    )


def holder_alive(job: Job) -> bool:
    """Whether the process that runs `job` is still alive (known only on the same machine:
    a job held elsewhere counts as alive)."""
    if job.pid is None:
        return False
    if job.hostname and job.hostname != socket.gethostname():
        return True
    if job.pid == os.getpid():
        return True
    try:
        os.kill(job.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
