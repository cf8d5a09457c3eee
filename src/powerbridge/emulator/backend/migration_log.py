"""nova's migration records (`os-migrations`): one per resize and per live migration, with
its source and destination and a status that follows the operation. A PowerVC resize is a
DLPAR change in place, so its source and destination are the server's host."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.server_records import Server

RESIZE = "resize"
LIVE = "live-migration"


@dataclass
class Migration:
    id: int
    uuid: str
    server_id: str
    project_id: str
    user_id: str
    kind: str  # resize | live-migration
    source: str | None
    dest: str | None
    old_flavor: dict[str, Any]
    new_flavor: dict[str, Any]
    status: str
    created_at: float
    updated_at: float | None = None


class MigrationLog:
    def __init__(self, ctx: BackendContext) -> None:
        self.ctx = ctx
        self.migrations = [Migration(**body) for body in ctx.store.load("migration")]
        self.migrations.sort(key=lambda m: m.id)

    def _save(self, migration: Migration) -> None:
        self.ctx.store.put("migration", str(migration.id), asdict(migration))

    def start(
        self,
        server: Server,
        kind: str,
        dest: str | None,
        old_flavor: dict[str, Any],
        status: str,
    ) -> None:
        migration = Migration(
            id=len(self.migrations) + 1,
            uuid=str(uuid.uuid4()),
            server_id=server.id,
            project_id=server.project_id,
            user_id=server.user_id,
            kind=kind,
            source=server.host,
            dest=dest,
            old_flavor=dict(old_flavor),
            new_flavor=dict(server.flavor),
            status=status,
            created_at=self.ctx.clock.now(),
        )
        self.migrations.append(migration)
        self._save(migration)

    def finish(self, server: Server, kind: str, status: str) -> None:
        """The server's latest migration of this kind moves to `status`."""
        for migration in reversed(self.migrations):
            if migration.server_id == server.id and migration.kind == kind:
                migration.status = status
                migration.updated_at = self.ctx.clock.now()
                self._save(migration)
                return
