"""Deleting what a deployment made: servers first, then their volumes once detached.

Used by `apply --rollback-on-failure` (what the job created) and `deploy destroy` (what carries
the deployment's tag). Each phase watches everything with one list call per tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from powerbridge.client import Cloud
from powerbridge.client.errors import NotFound
from powerbridge.client.waiter import DELETED, ServerSource, VolumeSource

__all__ = ["Calls", "Deleted", "delete_servers", "delete_volumes"]

Deleted = Callable[[str, str], None]  # (resource id, name): called as each one is gone
TIMEOUT = 1800.0
SHORTEST_TICK = 0.05
LONGEST_TICK = 5.0


@dataclass
class Calls:
    """API calls made: creates and deletes (per resource) and list polls (shared)."""

    create: int = 0
    delete: int = 0
    list: int = 0


async def _delete(cloud: Cloud, service: str, path: str, calls: Calls) -> None:
    calls.delete += 1
    with contextlib.suppress(NotFound):  # already gone: what a delete wants
        await cloud.session.request(service, "DELETE", path)


async def delete_servers(
    cloud: Cloud,
    servers: Mapping[str, str],
    deleted: Deleted,
    calls: Calls | None = None,
    timeout: float = TIMEOUT,
) -> None:
    """Delete servers (id -> name) and wait until they are gone."""
    if not servers:
        return
    calls = calls or Calls()
    await asyncio.gather(*(_delete(cloud, "compute", f"/servers/{sid}", calls) for sid in servers))
    source = ServerSource(cloud.compute, done=(), deleted_is_done=True)
    await _until_gone(source, servers, deleted, timeout)
    calls.list += source.calls


async def delete_volumes(
    cloud: Cloud,
    volumes: Mapping[str, str],
    deleted: Deleted,
    calls: Calls | None = None,
    timeout: float = TIMEOUT,
) -> None:
    """Wait until the volumes are detached, delete them, wait until they are gone."""
    if not volumes:
        return
    calls = calls or Calls()
    detached = VolumeSource(cloud.volume, done=("available", "error"), deleted_is_done=True)
    ready = await _detached(detached, volumes, timeout)
    await asyncio.gather(*(_delete(cloud, "volumev3", f"/volumes/{vid}", calls) for vid in ready))
    gone = VolumeSource(cloud.volume, done=(), deleted_is_done=True)
    await _until_gone(gone, {vid: volumes[vid] for vid in ready}, deleted, timeout)
    calls.list += detached.calls + gone.calls


def _tick(started: float) -> float:
    return min(LONGEST_TICK, max(SHORTEST_TICK, (time.monotonic() - started) / 10))


async def _detached(source: VolumeSource, ids: Mapping[str, str], timeout: float) -> list[str]:
    """The ids that reach a `done` status within `timeout` (vanished ones are left out)."""
    pending = set(ids)
    ready: list[str] = []
    started = time.monotonic()
    while pending and time.monotonic() - started < timeout:
        for item in await source.observe(list(pending)):
            if item.status == DELETED:
                pending.discard(item.id)
            elif item.status in source.done:
                pending.discard(item.id)
                ready.append(item.id)
        if pending:
            await asyncio.sleep(_tick(started))
    return ready


async def _until_gone(
    source: ServerSource | VolumeSource,
    ids: Mapping[str, str],
    deleted: Deleted,
    timeout: float,
) -> None:
    """Wait until each resource is gone. Volumes are listed in full every tick, so absence
    means gone; servers are listed in full once, then only what changed (DELETED shows)."""
    pending = dict(ids)
    started = time.monotonic()
    full_listing = True
    while pending and time.monotonic() - started < timeout:
        observed = {item.id: item for item in await source.observe(list(pending))}
        for resource_id in list(pending):
            item = observed.get(resource_id)
            if item is None:
                gone = full_listing or isinstance(source, VolumeSource)
            else:
                gone = item.status == DELETED
            if gone:
                deleted(resource_id, pending.pop(resource_id))
        full_listing = False
        if pending:
            await asyncio.sleep(_tick(started))
