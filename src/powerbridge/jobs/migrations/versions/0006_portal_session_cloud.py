"""Schema 6: the cloud a portal session signed in to (one PowerVC per site).

Sessions made before it are of the portal's default cloud (NULL).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # nullable, no default: an ALTER TABLE ADD COLUMN on SQLite and PostgreSQL alike
    op.add_column("portal_sessions", sa.Column("cloud", sa.String(255)))
    op.execute("UPDATE schema_version SET version = 6")
