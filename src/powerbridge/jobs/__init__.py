"""Durable job records shared by the CLI and the portal: jobs, their items, progress events.

```python
from powerbridge.jobs import ItemState, JobStatus, JobStore

store = JobStore.open()            # SQLite in the per-user data dir, or a SQLAlchemy URL
job = store.create_job("apply", "cluster1")
```

`records` holds the dataclasses (`Job`, `Item`, `Event` and their states), `store` the
SQLAlchemy-backed `JobStore`. Importing this package imports SQLAlchemy: only commands that
keep jobs do.
"""

from __future__ import annotations

from powerbridge.jobs.records import Event, Item, ItemState, Job, JobStatus
from powerbridge.jobs.store import JobStore, StoreError, default_store_url, holder_alive

__all__ = [
    "Event",
    "Item",
    "ItemState",
    "Job",
    "JobStatus",
    "JobStore",
    "StoreError",
    "default_store_url",
    "holder_alive",
]
