"""What the job store keeps: jobs, the items each one works on, and their progress events.

Plain frozen dataclasses; the store turns them into rows and back. A job is one run of a
long operation (`apply` or `destroy` of a deployment, later an HA cluster build); its items
are the resources it plans, creates or deletes, each with the state it reached.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["Event", "Item", "ItemState", "Job", "JobStatus"]


class JobStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # some items failed, the others are done
    FAILED = "failed"  # the job could not go on (nothing or little done)
    INTERRUPTED = "interrupted"  # stopped (Ctrl-C, a kill): `--resume` continues it
    ROLLED_BACK = "rolled_back"

    @property
    def finished(self) -> bool:
        return self not in (JobStatus.RUNNING, JobStatus.INTERRUPTED)


class ItemState(StrEnum):
    PENDING = "pending"  # planned, not started
    CREATING = "creating"  # intent recorded, the create request is being sent
    BUILDING = "building"  # the cloud accepted it (has an id), not ready yet
    DONE = "done"  # ACTIVE server, available or in-use volume, created rule
    FAILED = "failed"
    UNCHANGED = "unchanged"  # existed before this job, left as it was
    DELETING = "deleting"
    DELETED = "deleted"
    KEPT = "kept"  # destroy left it (a shared volume still attached elsewhere)


@dataclass(frozen=True)
class Job:
    id: int
    kind: str  # "apply", "destroy"
    deployment: str
    status: JobStatus
    created_at: datetime
    updated_at: datetime
    pid: int | None = None
    hostname: str | None = None
    source: str | None = None  # the spec file, as given
    summary: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    """One resource of a job. `created_here` says this job created it (rollback deletes
    only those); `details` holds what the report shows (host, addresses, volumes, time)."""

    job_id: int
    kind: str  # "volume", "collocation_rule", "server"
    name: str
    state: ItemState
    resource_id: str | None = None
    created_here: bool = False
    request_id: str | None = None
    fault: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Event:
    """A progress line: what happened to which item (or to the job), in order."""

    job_id: int
    seq: int
    at: datetime
    message: str
    kind: str | None = None
    name: str | None = None
