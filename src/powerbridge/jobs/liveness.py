"""Whether a running job's runner is still there."""

from __future__ import annotations

import os
import socket

from powerbridge.jobs.records import Job, JobStatus

__all__ = ["holder_alive"]


def holder_alive(job: Job) -> bool:
    """A foreground job on this machine: its process exists. Elsewhere, or a worker's:
    its lease had not expired (by the database's clock) when the job was read."""
    if job.status is not JobStatus.RUNNING:
        return False
    if job.attached and job.hostname == socket.gethostname():
        return job.pid == os.getpid() or _process_exists(job.pid)
    return job.lease_live


def _process_exists(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
