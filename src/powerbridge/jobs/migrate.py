"""Bring a store's schema to `schema.HEAD` when it opens.

An up-to-date store costs one query. An empty database gets the tables at once (and the
head revision stamped); an older store (v1 has no Alembic revision) runs the Alembic steps
in `migrations/`, all in one transaction; a store whose revision this code does not know
was made by a newer powerbridge and is refused. PostgreSQL serialises concurrent openers on
an advisory lock, SQLite on its write lock (`BEGIN IMMEDIATE`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alembic.config import Config

from powerbridge.jobs import schema
from powerbridge.jobs.database import IMMEDIATE, StoreError

__all__ = ["prepare_schema"]

_LOCK_KEY = 0x706F776572  # "power": the advisory lock migrations hold on PostgreSQL
_alembic_metadata = sa.MetaData()
_alembic_version = sa.Table(
    "alembic_version",
    _alembic_metadata,
    sa.Column("version_num", sa.String(32), primary_key=True),
)


def prepare_schema(engine: Engine) -> None:
    """Raise StoreError when the store is newer than this code or cannot be upgraded."""
    with engine.connect() as db:
        if _revision(db) == schema.HEAD:
            return
    with engine.connect().execution_options(**{IMMEDIATE: True}) as db, db.begin():
        if db.dialect.name == "postgresql":
            db.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY)))
        found = _revision(db)  # again: another process may have upgraded it meanwhile
        if found == schema.HEAD:
            return
        inspector = sa.inspect(db)
        if found is None and not inspector.has_table("jobs"):
            _create(db)
            return
        _refuse_newer(db, found, str(engine.url))
        _upgrade(db)


def _revision(db: sa.Connection) -> str | None:
    if not sa.inspect(db).has_table("alembic_version"):
        return None
    found = db.execute(sa.select(_alembic_version.c.version_num)).scalar()
    return None if found is None else str(found)


def _create(db: sa.Connection) -> None:
    schema.metadata.create_all(db)
    _alembic_metadata.create_all(db)
    db.execute(_alembic_version.insert().values(version_num=schema.HEAD))
    db.execute(schema.schema_version.insert().values(version=schema.SCHEMA_VERSION))


def _refuse_newer(db: sa.Connection, found: str | None, url: str) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    newer = f"the job store {url} was written by a newer powerbridge"
    fix = "upgrade powerbridge, or give another store with --store"
    if found is None:  # before Alembic: the first release's own version number
        version = db.execute(sa.select(schema.schema_version.c.version)).scalar() or 1
        if version > 1:
            raise StoreError(f"{newer} (schema {version}); {fix}")
        return
    try:
        ScriptDirectory.from_config(_config(db)).get_revision(found)
    except CommandError:
        raise StoreError(
            f"{newer} (schema revision {found}; this one knows up to {schema.HEAD}); {fix}"
        ) from None


def _config(db: sa.Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "powerbridge.jobs:migrations")
    config.attributes["connection"] = db
    return config


def _upgrade(db: sa.Connection) -> None:
    from alembic import command

    command.upgrade(_config(db), "head")
