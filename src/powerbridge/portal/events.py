"""A job's events as server-sent events: every event so far, then each new one, then `end`.

Each SSE message is one job event (`id:` its number, `event: progress`, `data:` JSON), so a
browser that reconnects sends `Last-Event-ID` and misses none. New events are waited for as
`ha show --follow` waits (jobs/follow.py: LISTEN/NOTIFY on PostgreSQL, a short poll on
SQLite), in a thread, so the event loop serves other requests meanwhile. When the job has
finished and every event is sent, an `end` message carries its status and the stream closes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request

from powerbridge.jobs import JobStore
from powerbridge.jobs.follow import EventSignal, open_signal
from powerbridge.portal.event_hub import EventHub, Waiter
from powerbridge.portal.views import event_dict

__all__ = ["job_events"]


def _message(event: str, data: Any, seq: int | None = None) -> str:
    head = f"id: {seq}\n" if seq is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n"


async def job_events(
    request: Request,
    store: JobStore,
    job_id: int,
    after: int,
    wait_seconds: float,
    hub: EventHub | None = None,
) -> AsyncIterator[str]:
    """The stream; `hub`: the process's one listener (event_hub.py) instead of one of its own
    (a LISTEN connection, or a poll in a thread) for this stream."""
    if hub is not None:
        with hub.watch(job_id, after) as waiter:
            async for message in _stream(request, store, job_id, after, wait_seconds, waiter, hub):
                yield message
        return
    signal = await asyncio.to_thread(open_signal, store.engine)
    try:
        async for message in _stream(request, store, job_id, after, wait_seconds, signal):
            yield message
    finally:
        signal.close()


async def _stream(
    request: Request,
    store: JobStore,
    job_id: int,
    after: int,
    wait_seconds: float,
    wake: Waiter | EventSignal,
    hub: EventHub | None = None,
) -> AsyncIterator[str]:
    while True:
        if isinstance(wake, Waiter) and hub is not None:
            wake.after = after
            events = await hub.events(store, wake)
        else:
            events = await asyncio.to_thread(store.events, job_id, after)
        for event in events:
            after = event.seq
            yield _message("progress", event_dict(event), event.seq)
        if events and isinstance(wake, Waiter):  # woken again at once if more came meanwhile
            wake.after = after
            await wake.wait(wait_seconds)
            continue
        if events:
            continue  # read again before judging the job finished
        job = await asyncio.to_thread(store.job, job_id)
        if job.status.finished:
            # the finish commits after the job's last event: none can follow it
            last = await asyncio.to_thread(store.events, job_id, after)
            for event in last:
                after = event.seq
                yield _message("progress", event_dict(event), event.seq)
            yield _message("end", {"status": job.status.value, "job": job_id})
            return
        if await request.is_disconnected():
            return
        if isinstance(wake, Waiter):
            wake.after = after
            await wake.wait(wait_seconds)
        else:
            await asyncio.to_thread(wake.wait, wait_seconds)
