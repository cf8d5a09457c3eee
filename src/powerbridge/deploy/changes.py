"""Apply's part for servers that differ from the spec (`Plan.changes`): resize, or replace.

A resize sends nova's `resize` action (the template by reference, or PowerVC's inline flavor),
waits for VERIFY_RESIZE with one list call per tick for every server resizing, confirms, and
waits for ACTIVE (SHUTOFF for a stopped one). A run interrupted midway finds the server in
RESIZE or VERIFY_RESIZE when it resumes, and the planner asks to see the resize through.

A replace (only with `--replace-changed`) detaches the server's data volumes, waits until
each no longer lists the server, deletes the server and waits until it is gone; the
replacement is then created as any new server is, those volumes in its
`block_device_mapping_v2`. Every step is recorded first: a run killed after the detach finds
the server differing (its volumes missing) and replaces it again, one killed after the delete
finds the server missing and creates it with the kept volumes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any, Protocol

from powerbridge.client import Cloud
from powerbridge.client.errors import ClientError, HttpError
from powerbridge.client.waiter import wait_for_servers
from powerbridge.deploy.plan_model import ChangeMode, Kind, Plan, ServerChange, name_list
from powerbridge.deploy.report import ResourceResult
from powerbridge.deploy.teardown import Calls, delete_servers
from powerbridge.jobs import ItemState

__all__ = ["ChangeRun", "not_replaced_note", "replace_servers", "resize_servers"]

SERVER = Kind.SERVER.value
SETTLED = ("ACTIVE", "SHUTOFF")
DETACH_TICK = 0.2


class ChangeRun(Protocol):
    """What the changes need of an apply run (`powerbridge.deploy.apply._Run`)."""

    cloud: Cloud
    counters: Calls

    def say(self, kind: str, name: str, state: str, message: str = "") -> None: ...

    def record(self, kind: str, name: str, state: ItemState, **fields: Any) -> None: ...

    def result(self, kind: str, name: str, **values: Any) -> ResourceResult: ...


def not_replaced_note(changes: Sequence[ServerChange]) -> str:
    """What apply says about servers it would have to rebuild without `--replace-changed`."""
    names = name_list([change.name for change in changes])
    one = len(changes) == 1
    return (
        f"{names} {'differs' if one else 'differ'} from the spec in more than an in-place"
        " resize can change; deploy apply does not rebuild servers: run it again with"
        f" --replace-changed to delete and recreate {'it' if one else 'them'} (data volumes"
        " are detached, kept and attached again)"
    )


# -- resize ---------------------------------------------------------------------------------------
async def resize_servers(
    run: ChangeRun, plan: Plan, timeout: float | None, interval: float
) -> None:
    """Resize and confirm the plan's resizes (and finish an earlier run's)."""
    changes = plan.changes_of(ChangeMode.RESIZE, ChangeMode.CONFIRM_RESIZE)
    if not changes:
        return
    sent = [change for change in changes if await _send_resize(run, change)]
    if not sent:
        return
    compute = run.cloud.compute
    ids = [change.id for change in sent]
    resized = await wait_for_servers(
        compute, ids, done=("VERIFY_RESIZE", *SETTLED), timeout=timeout, interval=interval
    )
    confirming = []
    for change in sent:
        outcome = resized[change.id]
        if not outcome.ok:
            fault = outcome.fault.message if outcome.fault else f"ended {outcome.status}"
            _failed(run, change, f"resize failed: {fault}", outcome.status or "ERROR")
        elif outcome.status == "VERIFY_RESIZE":
            run.counters.create += 1
            await compute.confirm_resize(change.id)
            run.say(SERVER, change.name, "confirming", "resized; confirming")
            confirming.append(change)
        else:
            _resized(run, change, outcome.status or "ACTIVE")
    if not confirming:
        return
    ids = [change.id for change in confirming]
    confirmed = await wait_for_servers(
        compute, ids, done=SETTLED, timeout=timeout, interval=interval
    )
    for change in confirming:
        outcome = confirmed[change.id]
        if outcome.ok:
            _resized(run, change, outcome.status or "ACTIVE")
        else:
            _failed(run, change, f"confirming the resize: {outcome.status}", "ERROR")


async def _send_resize(run: ChangeRun, change: ServerChange) -> bool:
    run.record(SERVER, change.name, ItemState.BUILDING, resource_id=change.id)
    if change.mode is ChangeMode.CONFIRM_RESIZE or change.resize is None:
        run.say(SERVER, change.name, "resizing", "seeing an earlier run's resize through")
        return True
    run.counters.create += 1
    resize = dict(change.resize.get("resize") or {})
    try:
        await run.cloud.compute.resize_server(change.id, resize)
    except ClientError as problem:
        rid = problem.request_id if isinstance(problem, HttpError) else None
        _failed(run, change, f"resize refused: {problem}", "FAILED", rid)
        return False
    what = "; ".join(str(item) for item in change.differences)
    run.say(SERVER, change.name, "RESIZE", f"resizing in place ({what})")
    return True


def _resized(run: ChangeRun, change: ServerChange, status: str) -> None:
    details = {"change": "resized", "differences": [str(d) for d in change.differences]}
    run.record(SERVER, change.name, ItemState.DONE, resource_id=change.id, details=details)
    run.result(SERVER, change.name, id=change.id, status=status, changed=True)
    run.say(SERVER, change.name, status, f"resized; {status}")


def _failed(
    run: ChangeRun, change: ServerChange, fault: str, status: str, rid: str | None = None
) -> None:
    run.record(SERVER, change.name, ItemState.FAILED, fault=fault, request_id=rid)
    run.result(SERVER, change.name, id=change.id, status=status, fault=fault, request_id=rid)
    run.say(SERVER, change.name, "failed", fault)


# -- replace --------------------------------------------------------------------------------------
async def replace_servers(
    run: ChangeRun, changes: Sequence[ServerChange], timeout: float | None
) -> list[ServerChange]:
    """Detach the data volumes of the servers to replace, delete them; returns those gone
    (their replacements are then created with the new servers)."""
    if not changes:
        return []
    ready = [change for change in changes if await _detach(run, change)]
    await _wait_detached(run, ready, timeout)
    gone: list[ServerChange] = []
    by_id = {change.id: change for change in ready}

    def deleted(server_id: str, name: str) -> None:
        gone.append(by_id[server_id])
        run.record(SERVER, name, ItemState.PENDING, resource_id=None)
        run.say(SERVER, name, "deleted", "deleted; creating it anew")

    for change in ready:
        run.record(SERVER, change.name, ItemState.DELETING, resource_id=change.id)
    await delete_servers(
        run.cloud, {c.id: c.name for c in ready}, deleted, run.counters, timeout or 1800.0
    )
    for change in ready:
        if change not in gone:
            _failed(run, change, "the old server was not deleted within the timeout", "TIMEOUT")
    return gone


async def _detach(run: ChangeRun, change: ServerChange) -> bool:
    volumes = [ref.name for ref in change.replacement.volumes]
    details = {
        "change": "replace",
        "differences": [str(d) for d in change.differences],
        "volumes": volumes,
    }
    run.record(SERVER, change.name, ItemState.DELETING, resource_id=change.id, details=details)
    what = "; ".join(str(item) for item in change.differences)
    kept = f"; detaching {', '.join(volumes)} (kept)" if change.volume_ids else ""
    run.say(SERVER, change.name, "replacing", f"replacing ({what}){kept}")
    for volume_id in change.volume_ids:
        run.counters.delete += 1
        try:
            await run.cloud.compute.detach_volume(change.id, volume_id)
        except ClientError as problem:
            _failed(run, change, f"detaching volume {volume_id}: {problem}", "FAILED")
            return False
    return True


async def _wait_detached(
    run: ChangeRun, changes: Sequence[ServerChange], timeout: float | None
) -> None:
    """Until no volume of `changes` lists its server any more (one list call per tick)."""
    pending = {(c.id, v) for c in changes for v in c.volume_ids}
    started = time.monotonic()
    while pending and (timeout is None or time.monotonic() - started < timeout):
        run.counters.list += 1
        volumes = {volume.id: volume for volume in await run.cloud.volume.volumes()}
        pending = {
            (server_id, volume_id)
            for server_id, volume_id in pending
            if (volume := volumes.get(volume_id)) is not None
            and (volume.status == "detaching" or server_id in volume.server_ids)
        }
        if pending:
            await asyncio.sleep(DETACH_TICK)
