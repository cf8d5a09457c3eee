"""What the job store keeps: jobs, the items each one works on, and their progress events.

Plain frozen dataclasses; the store turns them into rows and back. A job is one run of a
long operation on one target: `kind` says what the target is (a "deployment", later a
"cluster"), `action` what the job does to it ("apply", "destroy"), `target` its name. Its
items are the resources it plans, creates or deletes, each with the state it reached.

A job is either attached to the foreground process that created it (`pid`, `hostname`: the
CLI's `deploy apply`) or queued for whichever worker claims it (`lease_owner` until
`lease_expires`, renewed by heartbeats). `epoch` is the fencing token: each claim bumps it,
and every write of the runner names the epoch it holds, so a runner that lost its job
cannot write any more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["Event", "Item", "ItemState", "Job", "JobStatus"]


class JobStatus(StrEnum):
    QUEUED = "queued"  # waiting for a worker to claim it
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # some items failed, the others are done
    FAILED = "failed"  # the job could not go on (nothing or little done)
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # its runner stopped (Ctrl-C, a kill): `--resume` continues it
    ROLLED_BACK = "rolled_back"

    @property
    def finished(self) -> bool:
        return self not in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.INTERRUPTED)


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
    kind: str  # what the target is: "deployment", "cluster"
    action: str  # what the job does to it: "apply", "destroy"
    target: str  # the deployment's (cluster's) name
    status: JobStatus
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    cloud: str | None = None
    project: str | None = None
    owner: str | None = None  # the user who asked for it
    spec: Mapping[str, Any] = field(default_factory=dict)  # what the runner runs
    source: str | None = None  # the spec file, as given
    summary: Mapping[str, Any] = field(default_factory=dict)
    pid: int | None = None  # the foreground process it is attached to
    hostname: str | None = None
    lease_owner: str | None = None  # the worker that claimed it
    lease_expires: datetime | None = None
    lease_live: bool = False  # the lease had not expired when the row was read (db clock)
    epoch: int = 0
    cancel_requested: bool = False

    @property
    def attached(self) -> bool:
        """Run by a foreground process: never taken over by a worker."""
        return self.pid is not None

    @property
    def holder(self) -> str:
        """Who runs it, as a message says it."""
        if self.attached:
            return f"process {self.pid} on {self.hostname}"
        return f"worker {self.lease_owner}"


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
    """A progress line: what happened to which item (or to the job). `seq` counts the
    job's events from 1 without gaps, so "events of job J after N" misses none."""

    job_id: int
    seq: int
    at: datetime
    message: str
    kind: str | None = None
    name: str | None = None
