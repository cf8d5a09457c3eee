"""Rows of the job store's tables, read back as records."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from powerbridge.jobs.records import Event, Item, ItemState, Job, JobStatus

__all__ = ["event_of", "item_of", "job_of"]


def job_of(row: Mapping[str, Any]) -> Job:
    return Job(
        id=int(row["id"]),
        kind=str(row["kind"]),
        action=str(row["action"]),
        target=str(row["target"]),
        status=JobStatus(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        cloud=row["cloud"],
        project=row["project"],
        owner=row["owner"],
        spec=json.loads(row["spec"] or "{}"),
        source=row["source"],
        summary=json.loads(row["summary"] or "{}"),
        pid=row["pid"],
        hostname=row["hostname"],
        lease_owner=row["lease_owner"],
        lease_expires=row["lease_expires"],
        lease_live=bool(row.get("lease_live")),
        epoch=int(row["epoch"]),
        cancel_requested=bool(row["cancel_requested"]),
    )


def item_of(row: Mapping[str, Any]) -> Item:
    return Item(
        job_id=int(row["job_id"]),
        kind=str(row["kind"]),
        name=str(row["name"]),
        state=ItemState(row["state"]),
        resource_id=row["resource_id"],
        created_here=bool(row["created_here"]),
        request_id=row["request_id"],
        fault=row["fault"],
        details=json.loads(row["details"] or "{}"),
        updated_at=row["updated_at"],
    )


def event_of(row: Mapping[str, Any]) -> Event:
    return Event(
        job_id=int(row["job_id"]),
        seq=int(row["seq"]),
        at=row["at"],
        message=str(row["message"]),
        kind=row["kind"],
        name=row["name"],
    )
