"""The declared status tables: undeclared changes raise, declared ones pass."""

from __future__ import annotations

import pytest

from powerbridge.emulator.backend.image_records import IMAGE_STATUSES
from powerbridge.emulator.backend.server_records import Server
from powerbridge.emulator.backend.server_states import (
    SERVER_STATUSES,
    TASK_STATES,
    VM_STATE_OF,
    settle,
    start_task,
)
from powerbridge.emulator.backend.volume_records import VALID_STATUSES, VOLUME_STATUSES
from powerbridge.emulator.backend.volume_snapshots import SNAPSHOT_STATUSES, STATUSES
from powerbridge.emulator.lifecycle import IllegalTransition, Transitions


def a_server() -> Server:
    return Server("s1", "vm", "p", "u", {}, None, 0.0, 0.0, "req", 1, "instance-1")


def test_a_declared_change_passes_and_staying_put_always_does() -> None:
    table: Transitions[str] = Transitions("thing", {"new": ("done",)})
    assert table.check("new", "done") == "done"
    assert table.check("done", "done") == "done"
    assert table.states == {"new", "done"}


def test_an_undeclared_change_raises() -> None:
    table: Transitions[str] = Transitions("thing", {"new": ("done",)})
    with pytest.raises(IllegalTransition, match="thing: 'done' -> 'new'"):
        table.check("done", "new")


def test_a_deploy_walks_its_task_states_to_active() -> None:
    server = a_server()
    for task in ("scheduling", "block_device_mapping", "networking", "spawning"):
        start_task(server, task)
    settle(server, "ACTIVE")
    assert (server.status, server.vm_state, server.task_state) == ("ACTIVE", "active", None)


def test_a_deleted_server_cannot_come_back() -> None:
    server = a_server()
    start_task(server, "deleting")
    settle(server, "DELETED")
    with pytest.raises(IllegalTransition):
        settle(server, "ACTIVE")


def test_a_task_cannot_start_while_another_runs() -> None:
    server = a_server()
    settle(server, "ACTIVE")
    start_task(server, "powering-off")
    with pytest.raises(IllegalTransition):
        start_task(server, "migrating", "MIGRATING")


def test_every_resting_status_is_in_the_server_table() -> None:
    assert set(VM_STATE_OF) <= SERVER_STATUSES.states
    assert None in TASK_STATES.states


def test_the_volume_and_snapshot_tables_use_cinder_statuses_only() -> None:
    assert VOLUME_STATUSES.states <= set(VALID_STATUSES)
    assert SNAPSHOT_STATUSES.states <= set(STATUSES)
    with pytest.raises(IllegalTransition):
        VOLUME_STATUSES.check("creating", "in-use")
    with pytest.raises(IllegalTransition):
        SNAPSHOT_STATUSES.check("deleting", "available")


def test_an_image_is_queued_until_its_data_arrives() -> None:
    assert IMAGE_STATUSES.check("queued", "active") == "active"
    with pytest.raises(IllegalTransition):
        IMAGE_STATUSES.check("active", "queued")
