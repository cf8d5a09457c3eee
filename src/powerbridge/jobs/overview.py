"""Overviews of the store in one query each: what a dashboard lists on every load.

```python
for job in latest_jobs(store, "cluster"):     # each cluster's latest job, by name
    print(job.target, job.action, job.status)
```
A page that asked for each target's latest job in turn made one query per cluster (101 for
100 clusters: 140 ms on SQLite); this is one, served by the `jobs_by_target` index.
"""

from __future__ import annotations

import sqlalchemy as sa

from powerbridge.jobs import schema
from powerbridge.jobs.records import Job
from powerbridge.jobs.rows import job_of
from powerbridge.jobs.store import JobStore

__all__ = ["latest_jobs"]

_jobs = schema.jobs


def latest_jobs(store: JobStore, kind: str) -> list[Job]:
    """The latest job of each target of `kind` (the newest by id), ordered by target."""
    newest = sa.select(sa.func.max(_jobs.c.id)).where(_jobs.c.kind == kind).group_by(_jobs.c.target)
    live = (_jobs.c.lease_expires > schema.db_now(store.dialect)).label("lease_live")
    query = sa.select(_jobs, live).where(_jobs.c.id.in_(newest)).order_by(_jobs.c.target)
    with store.engine.connect() as db:
        return [job_of(dict(row)) for row in db.execute(query).mappings()]
