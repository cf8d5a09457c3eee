"""Stores for the job tests: each test that takes `store_url` runs on SQLite and on a real
PostgreSQL (a throwaway cluster for the session, a fresh database per test)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.jobs.postgres import find_binaries, postgres_cluster

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    binaries = find_binaries()
    if binaries is None:
        pytest.skip(
            "PostgreSQL's binaries are absent (no /usr/lib/postgresql/*/bin/initdb):"
            " apt-get install postgresql"
        )
    with postgres_cluster(binaries) as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A new, empty database on the session's cluster."""
    name = f"jobs_{next(_numbers)}"
    with psycopg.connect(postgres_server, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return postgres_server.replace("/postgres?", f"/{name}?")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    return str(request.getfixturevalue("postgres_url"))
