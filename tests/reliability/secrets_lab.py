"""Where powerbridge could write what it was trusted with, and a search of all of it.

`Secrets` are the distinctive credentials a run is given (passwords, the HA login key's
private body, application credential secrets, Keystone tokens, the portal's cookie);
`Leak` is one of them found in a file or a job store row. The places searched are those a
deployment leaves behind: the emulator's log and data dirs (service logs, the AIX nodes'
file mirrors), the portal's data dir, report files, and the job store's jobs, items and
events.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from powerbridge.jobs.schema import events, items, jobs


@dataclass(frozen=True)
class Leak:
    secret: str  # which secret (its label, never its value)
    where: str  # a file path, or "store:<table> row <key>"


@dataclass
class Secrets:
    """label -> value; each value long and distinctive enough to be found by itself."""

    values: dict[str, str] = field(default_factory=dict)

    def add(self, label: str, value: str) -> None:
        assert len(value) >= 12, f"{label} is too short to search for"
        self.values[label] = value

    def in_text(self, text: bytes, where: str) -> Iterator[Leak]:
        for label, value in self.values.items():
            if value.encode() in text:
                yield Leak(label, where)


def files_under(folders: Iterable[Path], skip: Iterable[Path] = ()) -> Iterator[Path]:
    skipped = {path.resolve() for path in skip}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.resolve() not in skipped:
                yield path


def leaks_in_files(secrets: Secrets, files: Iterable[Path]) -> list[Leak]:
    found: list[Leak] = []
    for path in files:
        found += secrets.in_text(path.read_bytes(), str(path))
    return found


def leaks_in_store(secrets: Secrets, store_url: str) -> list[Leak]:
    """Every row of the jobs, job_items and job_events tables, every column as text."""
    engine = sa.create_engine(store_url)
    found: list[Leak] = []
    try:
        with engine.connect() as connection:
            for table in (jobs, items, events):
                for row in connection.execute(sa.select(table)):
                    text = "\x1f".join(str(value) for value in row).encode()
                    where = f"store:{table.name} row {tuple(row)[:3]}"
                    found += secrets.in_text(text, where)
    finally:
        engine.dispose()
    return found
