"""Durable jobs shared by the CLI, the portal and workers: jobs, their items, progress events.

```python
from powerbridge.jobs import ItemState, JobStatus, JobStore

store = JobStore.open()            # SQLite in the per-user data dir, or postgresql://...
job = store.create_job("deployment", "web", action="apply")       # run here, now
queued = store.enqueue("cluster", "ha1", action="build", spec={})  # for a worker
```

`records` holds the dataclasses (`Job`, `Item`, `Event` and their states), `store` the
`JobStore` (SQLAlchemy Core), `worker` the claim loop that runs queued jobs with a lease,
a heartbeat and a fence, `migrate` and `migrations/` the schema's Alembic steps, run when a
store opens. Importing this package imports SQLAlchemy: only commands that keep jobs do.

Errors: `StoreError` (cannot open or use the store: one line naming it and the fix)
  └── `LeaseLost` (this process no longer holds the job; nothing was written)
"""

from __future__ import annotations

from powerbridge.jobs.database import StoreError, default_store_url
from powerbridge.jobs.liveness import holder_alive
from powerbridge.jobs.records import Event, Item, ItemState, Job, JobStatus
from powerbridge.jobs.store import JobStore, LeaseLost

__all__ = [
    "Event",
    "Item",
    "ItemState",
    "Job",
    "JobStatus",
    "JobStore",
    "LeaseLost",
    "StoreError",
    "default_store_url",
    "holder_alive",
]
