"""The first release's job store, as it wrote it (tests/jobs/data/v1_store.sql: a real
`deploy apply` that finished, and one SIGKILLed mid-run, dumped with sqlite3)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

__all__ = ["HALF_PID", "V1_DUMP", "dead_pid", "write_v1_postgresql", "write_v1_sqlite"]

V1_DUMP = Path(__file__).parent / "data" / "v1_store.sql"
HALF_PID = 8499  # the killed `deploy apply half.pipe`


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _dump(pid: int) -> str:
    return V1_DUMP.read_text().replace(f",{HALF_PID},'vm',", f",{pid},'vm',")


def write_v1_sqlite(path: Path, pid: int) -> None:
    """The v1 file, with the killed apply's pid replaced by `pid`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.executescript(_dump(pid))
    db.close()


def write_v1_postgresql(url: str, pid: int, scratch: Path) -> None:
    """The v1 tables (migration 0001) on PostgreSQL, holding the v1 file's rows."""
    write_v1_sqlite(scratch / "v1.sqlite", pid)
    source = sa.create_engine(f"sqlite:///{scratch / 'v1.sqlite'}")
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as db, source.connect() as v1:
        config = Config()
        config.set_main_option("script_location", "powerbridge.jobs:migrations")
        config.attributes["connection"] = db
        command.upgrade(config, "0001")
        db.exec_driver_sql("DROP TABLE alembic_version")  # v1 had no Alembic revision
        tables = sa.MetaData()
        tables.reflect(db, only=["jobs", "job_items", "job_events"])
        for name in ("jobs", "job_items", "job_events"):  # parents first, for the keys
            rows = [dict(row) for row in v1.execute(sa.text(f"SELECT * FROM {name}")).mappings()]
            for row in rows:
                if "created_here" in row:
                    row["created_here"] = bool(row["created_here"])
            db.execute(tables.tables[name].insert(), rows)
        db.exec_driver_sql("SELECT setval('jobs_id_seq', 2)")
    source.dispose()
    engine.dispose()
