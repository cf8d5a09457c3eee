"""Alembic's entry point: migrate the connection `powerbridge.jobs.migrate` passes in."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
# render_as_batch: SQLite alters a table by copying it, which batch mode does for us
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
