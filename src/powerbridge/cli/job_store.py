"""Opening the job store for a command: `--store URL` (or POWERBRIDGE_STORE, else the per-user
SQLite file), a store that cannot be opened being one CLI line with the way out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from powerbridge.cli.errors import CliError

if TYPE_CHECKING:
    from powerbridge.jobs import JobStore

__all__ = ["open_store"]


def open_store(url: str | None) -> JobStore:
    from powerbridge.jobs import JobStore, StoreError

    try:
        return JobStore.open(url)
    except StoreError as problem:
        raise CliError(
            str(problem), hint="give another one with --store or POWERBRIDGE_STORE"
        ) from None
