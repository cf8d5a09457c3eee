"""Where the job store lives: its URL, the engine on it, and what goes wrong opening it.

`--store` (else `POWERBRIDGE_STORE`, else `$XDG_DATA_HOME/powerbridge/jobs.sqlite`) is a
file path, a `sqlite:///` URL or a `postgresql://` URL (driven by psycopg 3). SQLite runs
in WAL mode with a busy timeout, and with real transactions (`BEGIN` sent by us, not
guessed by the driver) so a schema upgrade is all or nothing.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

__all__ = ["BUSY_TIMEOUT_MS", "StoreError", "create_store_engine", "default_store_url"]

BUSY_TIMEOUT_MS = 10_000
WAL_RETRY_S = 0.02  # how soon an opener tries the switch to WAL again
CONNECT_TIMEOUT_S = 10
# a connection option: this transaction writes from its first statement (a migration)
IMMEDIATE = "powerbridge_begin_immediate"


class StoreError(Exception):
    """The job store cannot be opened or used; the message says which store, why, and
    what to do."""


def default_store_url() -> str:
    configured = os.environ.get("POWERBRIDGE_STORE")
    if configured:
        return configured if "://" in configured else _sqlite_url(Path(configured))
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return _sqlite_url(Path(base) / "powerbridge" / "jobs.sqlite")


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.expanduser().resolve()}"


def _driver_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (SQLAlchemy's default would be psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def create_store_engine(url: str | None) -> Engine:
    """An engine on `url` (a URL or a file path; None: the default store). Connects to
    nothing yet; a URL SQLAlchemy cannot use is a StoreError."""
    if url is None:
        url = default_store_url()
    elif "://" not in url:
        url = _sqlite_url(Path(url))
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        _make_folder(Path(url.removeprefix("sqlite:///")))
    try:
        driver_url = _driver_url(url)
        # an address that drops packets fails in seconds, not after the kernel's minutes
        options = {"connect_timeout": CONNECT_TIMEOUT_S} if "+psycopg" in driver_url else {}
        engine = sa.create_engine(driver_url, connect_args=options)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as problem:
        raise StoreError(
            f"cannot use the job store {url!r}: {problem}; give a file path, a sqlite:/// URL"
            " or a postgresql:// URL"
        ) from None
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        sa.event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def progress_engine(engine: Engine) -> Engine:
    """The engine for one-statement progress writes: a heartbeat, one event.

    On PostgreSQL they run in autocommit (the statement is atomic: no BEGIN/COMMIT round
    trips) on connections of their own with `synchronous_commit=off`: the commit returns
    before its WAL reaches the disk, so a crash of the database server itself may forget the
    last fraction of a second of them, atomically (an event and the number it reserved go
    together, so readers see no gap), never corrupt anything. Claims, fences of batched
    writes, items (apply's intents) and finishes stay fully durable on `engine`. On SQLite the
    store's transactions are explicit (`_on_sqlite_begin`): the same engine."""
    if engine.dialect.name != "postgresql":
        return engine
    return sa.create_engine(
        engine.url,
        isolation_level="AUTOCOMMIT",
        pool_size=2,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "options": "-c synchronous_commit=off",
        },
    )


def _make_folder(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as problem:
        message = f"cannot create the job store's folder {path.parent}: {problem}"
        raise StoreError(message) from None


def _on_sqlite_connect(connection: Any, _record: Any) -> None:
    connection.isolation_level = None  # the driver's guessed BEGINs off: _on_sqlite_begin
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a killed process loses nothing
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """WAL mode, waiting for the other openers: a new file's switch takes a lock that SQLite
    does not wait for (no busy handler), so several processes opening it at once would fail."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as problem:
            if "locked" not in str(problem) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_RETRY_S)


def _on_sqlite_begin(connection: sa.Connection) -> None:
    immediate = connection.get_execution_options().get(IMMEDIATE, False)
    # straight to the driver: this runs before every transaction of every write
    connection.connection.dbapi_connection.execute(  # type: ignore[union-attr]
        "BEGIN IMMEDIATE" if immediate else "BEGIN"
    )


def problem_text(problem: sa.exc.SQLAlchemyError) -> str:
    """The driver's own first line, without SQLAlchemy's statement and help link."""
    original = getattr(problem, "orig", None) or problem
    lines = str(original).strip().splitlines()
    return lines[0] if lines else type(problem).__name__
