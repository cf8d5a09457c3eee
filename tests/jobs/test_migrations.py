"""Schema migrations at open: a v1 store (the first release's) upgrades in place with its
jobs, items and events; a fresh store and an upgraded one have the same schema; a store
written by a newer powerbridge is refused with one clear line."""

from __future__ import annotations

import threading
from datetime import UTC
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from powerbridge.jobs import ItemState, JobStatus, JobStore, StoreError, holder_alive, schema
from tests.jobs.v1 import dead_pid, write_v1_postgresql, write_v1_sqlite

ROUNDS_OF_OPENERS = 30
OPENERS_AT_ONCE = 8


def v1_store(store_url: str, scratch: Path) -> str:
    pid = dead_pid()
    if store_url.startswith("sqlite"):
        write_v1_sqlite(Path(store_url.removeprefix("sqlite:///")), pid)
    else:
        write_v1_postgresql(store_url, pid, scratch)
    return store_url


def test_a_v1_store_upgrades_with_its_jobs_items_and_events(store_url: str, tmp_path: Path) -> None:
    store = JobStore.open(v1_store(store_url, tmp_path))
    try:
        web, half = store.job(1), store.job(2)
        assert (web.kind, web.action, web.target, web.status) == (
            "deployment",
            "apply",
            "web",
            JobStatus.SUCCEEDED,
        )
        assert web.summary["counts"] == {"in-use": 2, "ACTIVE": 2}
        assert web.created_at.tzinfo is UTC
        assert web.finished_at == web.updated_at
        assert half.status is JobStatus.RUNNING
        assert half.finished_at is None
        assert not holder_alive(half)  # its process was killed: it shows as interrupted
        assert store.targets("deployment") == ["half", "web"]
        items = store.items(2)
        assert [i.name for i in items][:2] == ["half1-half1-1", "half2-half2-1"]
        assert items[4].state is ItemState.BUILDING
        assert items[4].created_here
        for job_id in (1, 2):  # one global counter became one per job, order kept
            events = store.events(job_id)
            assert [e.seq for e in events] == list(range(1, len(events) + 1))
            assert events == sorted(events, key=lambda e: e.at)
        new = store.create_job("deployment", "next", action="apply")
        assert new.id == 3  # numbering goes on after the kept jobs
        store.event(new.id, "first")
        assert [e.seq for e in store.events(new.id)] == [1]
        with store.engine.connect() as db:
            version = db.execute(sa.text("SELECT version FROM schema_version")).scalar()
            revision = db.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert (version, revision) == (schema.SCHEMA_VERSION, schema.HEAD)
    finally:
        store.close()


def test_an_upgraded_store_has_the_schema_of_a_fresh_one(store_url: str, tmp_path: Path) -> None:
    store = JobStore.open(v1_store(store_url, tmp_path))
    try:
        with store.engine.connect() as db:
            differences = compare_metadata(MigrationContext.configure(db), schema.metadata)
        assert differences == []
    finally:
        store.close()


def test_a_store_of_a_newer_powerbridge_is_refused(store_url: str) -> None:
    JobStore.open(store_url).close()
    engine = sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as db:
        db.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(StoreError) as caught:
        JobStore.open(store_url)
    message = str(caught.value)
    assert "was written by a newer powerbridge (schema revision 0099" in message
    assert "upgrade powerbridge, or give another store with --store" in message


def test_a_v1_style_store_with_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    write_v1_sqlite(path, dead_pid())
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as db:
        db.execute(sa.text("UPDATE schema_version SET version = 7"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"newer powerbridge \(schema 7\)"):
        JobStore.open(str(path))


def open_at_once(url: str, openers: int) -> list[BaseException]:
    """`openers` threads open the store at `url` at the same moment; what they raised."""
    gate = threading.Barrier(openers)
    problems: list[BaseException] = []

    def open_once() -> None:
        gate.wait()
        try:
            JobStore.open(url).close()
        except BaseException as problem:  # reported by the caller
            problems.append(problem)

    threads = [threading.Thread(target=open_once) for _ in range(openers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return problems


def test_openers_of_a_new_sqlite_file_at_once_all_get_the_store(tmp_path: Path) -> None:
    # the switch to WAL mode of a new file is a lock SQLite does not wait for: without the
    # retry, about one round in fifteen had an opener fail with "database is locked"
    for round_number in range(ROUNDS_OF_OPENERS):
        url = f"sqlite:///{tmp_path}/round-{round_number}.sqlite"
        problems = open_at_once(url, OPENERS_AT_ONCE)
        assert problems == [], (round_number, problems[0])
