"""Jobs and clusters as the API returns them and the pages show them (plain dicts).

A cluster job's items (ha/journal.py) are its steps, nodes, remote commands and the
deployer's resources; a step's commands are the items named `<step>/<node>/<n>`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from powerbridge.jobs import Event, Item, Job, JobStore
from powerbridge.jobs.overview import latest_jobs

if TYPE_CHECKING:
    from powerbridge.portal.auth import Principal

__all__ = ["cluster_rows", "event_dict", "job_detail", "job_summary", "visible"]

STEP, COMMAND, NODE = "step", "command", "node"


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def visible(job: Job, who: Principal) -> bool:
    """A job is its cloud's and its project's; one without a project (the CLI's) is every
    project's of its cloud (one of no cloud served here: the default's)."""
    mine = job.project is None or job.project == who.project_id
    return mine and who.sees(job.cloud)


def job_summary(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "action": job.action,
        "target": job.target,
        "status": job.status.value,
        "created_at": _when(job.created_at),
        "started_at": _when(job.started_at),
        "finished_at": _when(job.finished_at),
        "owner": job.owner,
        "project": job.project,
        "cloud": job.cloud,  # as recorded: None for the CLI's without a clouds.yaml entry
        "source": job.source,
        "summary": dict(job.summary),
        "cancel_requested": job.cancel_requested,
    }


def _command(item: Item) -> dict[str, Any]:
    details = item.details
    keys = ("node", "command", "exit_status", "stdout", "stderr", "started_at", "ended_at")
    return {"name": item.name, **{key: details.get(key) for key in keys}}


def _steps(items: Iterable[Item]) -> list[dict[str, Any]]:
    listed = list(items)
    steps = []
    for item in listed:
        if item.kind != STEP:
            continue
        commands = [
            _command(c) for c in listed if c.kind == COMMAND and c.name.startswith(f"{item.name}/")
        ]
        details = item.details
        steps.append(
            {
                "name": item.name,
                "state": item.state.value,
                "started": details.get("started"),
                "ended": details.get("ended"),
                "error": details.get("error") or item.fault,
                "commands": commands,
            }
        )
    return steps


def _resource(item: Item) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "name": item.name,
        "state": item.state.value,
        "resource_id": item.resource_id,
        "fault": item.fault,
        "details": dict(item.details),
    }


def job_detail(store: JobStore, job: Job) -> dict[str, Any]:
    items = store.items(job.id)
    return {
        **job_summary(job),
        "steps": _steps(items),
        "nodes": {i.name: dict(i.details) for i in items if i.kind == NODE},
        "items": [_resource(i) for i in items if i.kind not in (STEP, COMMAND, NODE)],
    }


def event_dict(event: Event) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": _when(event.at),
        "kind": event.kind,
        "name": event.name,
        "message": event.message,
    }


def cluster_rows(store: JobStore, who: Principal) -> list[dict[str, Any]]:
    """Each cluster of the user's cloud and project with jobs, with its latest job: the
    dashboard's state badge (one query)."""
    return [
        {
            "name": job.target,
            "cloud": who.cloud,
            "state": _state(job),
            "latest_job": job_summary(job),
        }
        for job in latest_jobs(store, "cluster")
        if visible(job, who)
    ]


def _state(job: Job) -> str:
    """What the latest job says of the cluster (read fresh from the nodes: later)."""
    if job.status.value == "succeeded":
        return {"create": "active", "delete": "deleted"}.get(job.action, "active")
    return {"queued": "queued", "running": "building"}.get(job.status.value, job.status.value)
