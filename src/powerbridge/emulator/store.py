"""Durable emulator state: one SQLite table of JSON records, written through on every change.

Backends keep their records in memory (reads never touch the database) and call `put` /
`delete` when a record changes, so a restart reloads exactly what clients last saw. The file
uses WAL and a busy timeout; `:memory:` keeps nothing. The schema is versioned in `meta`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
"""


class StoreError(Exception):
    """The data directory cannot be used (wrong schema version, unreadable file)."""


class Store:
    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        self._check_version()

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        elif int(row[0]) != SCHEMA_VERSION:
            raise StoreError(
                f"data in {self.path} has schema version {row[0]}, this emulator uses "
                f"{SCHEMA_VERSION}; start with a new --data directory or upgrade powerbridge"
            )

    @property
    def is_new(self) -> bool:
        return self.get_meta("seeded") is None

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    def put(self, kind: str, record_id: str, body: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO records(kind, id, body) VALUES (?, ?, ?) "
            "ON CONFLICT(kind, id) DO UPDATE SET body=excluded.body",
            (kind, record_id, json.dumps(body, separators=(",", ":"))),
        )

    def delete(self, kind: str, record_id: str) -> None:
        self._db.execute("DELETE FROM records WHERE kind=? AND id=?", (kind, record_id))

    def load(self, kind: str) -> Iterator[dict[str, Any]]:
        for (body,) in self._db.execute("SELECT body FROM records WHERE kind=?", (kind,)):
            yield json.loads(body)

    def snapshot(self, path: Path) -> None:
        """A consistent copy of the database at `path` (SQLite's online backup: pages written
        by no one in between, since the emulator changes the store from one thread)."""
        target = sqlite3.connect(str(path))
        try:
            self._db.backup(target)
        finally:
            target.close()

    def close(self) -> None:
        self._db.close()
