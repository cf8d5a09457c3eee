"""Waking readers when a job gets new events: LISTEN/NOTIFY on PostgreSQL, a short sleep
(polling) on SQLite, which has no notifications across processes.

A writer notifies `EventSignal.CHANNEL` with the job's id in the transaction that adds
events (from its fence, `statements.fence`), so the wake-up arrives once they are
committed; the reader then reads them by number (`JobStore.events(job, after=N)`), which
is what makes none missed: a wake-up only says "look again".
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.engine import Engine

from powerbridge.jobs.statements import EVENTS_CHANNEL

__all__ = ["EventSignal", "open_signal"]

POLL_SECONDS = 0.05


class EventSignal:
    """Sleep until events may have arrived (at most `seconds`)."""

    CHANNEL = EVENTS_CHANNEL

    def wait(self, seconds: float) -> None:
        time.sleep(min(seconds, POLL_SECONDS))

    def close(self) -> None:
        return None


class _Notifications(EventSignal):
    def __init__(self, engine: Engine) -> None:
        import psycopg

        url = engine.url.set(drivername="postgresql")
        self.connection: Any = psycopg.connect(
            url.render_as_string(hide_password=False), autocommit=True
        )
        self.connection.execute(f"LISTEN {self.CHANNEL}")

    def wait(self, seconds: float) -> None:
        # a wake-up for another job's events costs one more read; a lost one, a second
        for _ in self.connection.notifies(timeout=min(seconds, 1.0), stop_after=1):
            pass

    def close(self) -> None:
        self.connection.close()


def open_signal(engine: Engine) -> EventSignal:
    """Listening starts here, before the reader's first read, so nothing falls between."""
    if engine.dialect.name == "postgresql":
        return _Notifications(engine)
    return EventSignal()
