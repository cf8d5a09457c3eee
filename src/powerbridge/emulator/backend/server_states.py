"""A server's status and task state, as declared transition tables.

Nova shows a status (BUILD, ACTIVE, SHUTOFF, ...) and, while work runs, a task state; a resting
status implies the vm_state. Every module that moves a server goes through `start_task` (a task
begins, maybe with a transient status such as REBOOT or MIGRATING) and `settle` (the task ends
in a resting status), so an undeclared change raises instead of showing clients a state nova
never reaches.
"""

from __future__ import annotations

from powerbridge.emulator.backend.server_records import Server
from powerbridge.emulator.lifecycle import Transitions

DEPLOY_TASKS = ("scheduling", "block_device_mapping", "networking", "spawning")
ACTION_TASKS = (
    "powering-off",
    "powering-on",
    "reboot_started",
    "reboot_started_hard",
    "migrating",
    "resize_prep",
    "resize_reverting",
    "rebuilding",
    "image_snapshot",
)

# a delete is accepted in any status, so every status may end DELETED
SERVER_STATUSES: Transitions[str] = Transitions(
    "server status",
    {
        "BUILD": ("ACTIVE", "ERROR", "DELETED"),
        "ACTIVE": (
            "SHUTOFF",
            "REBOOT",
            "HARD_REBOOT",
            "MIGRATING",
            "RESIZE",
            "REBUILD",
            "ERROR",
            "DELETED",
        ),
        "SHUTOFF": ("ACTIVE", "HARD_REBOOT", "MIGRATING", "RESIZE", "REBUILD", "DELETED"),
        "ERROR": ("HARD_REBOOT", "REBUILD", "DELETED"),
        "REBOOT": ("ACTIVE", "DELETED"),
        "HARD_REBOOT": ("ACTIVE", "DELETED"),
        "MIGRATING": ("ACTIVE", "SHUTOFF", "DELETED"),
        "RESIZE": ("VERIFY_RESIZE", "DELETED"),
        "VERIFY_RESIZE": ("ACTIVE", "SHUTOFF", "REVERT_RESIZE", "DELETED"),
        "REVERT_RESIZE": ("ACTIVE", "SHUTOFF", "DELETED"),
        "REBUILD": ("ACTIVE", "SHUTOFF", "DELETED"),
        "DELETED": (),
    },
)

TASK_STATES: Transitions[str | None] = Transitions(
    "server task state",
    {
        None: (*ACTION_TASKS, "deleting"),
        "scheduling": ("block_device_mapping", None, "deleting"),
        "block_device_mapping": ("networking", None, "deleting"),
        "networking": ("spawning", None, "deleting"),
        "spawning": (None, "deleting"),
        **dict.fromkeys(ACTION_TASKS, (None, "deleting")),
        "deleting": (None,),
    },
)

VM_STATE_OF = {
    "ACTIVE": "active",
    "SHUTOFF": "stopped",
    "ERROR": "error",
    "VERIFY_RESIZE": "resized",
    "DELETED": "deleted",
}


def start_task(server: Server, task_state: str, status: str | None = None) -> None:
    """A task begins; `status` is the transient status it shows (the current one if None)."""
    if status is not None:
        server.status = SERVER_STATUSES.check(server.status, status)
    server.task_state = TASK_STATES.check(server.task_state, task_state)


def end_task(server: Server) -> None:
    """The task is done and the status stays (a capture ends so)."""
    server.task_state = TASK_STATES.check(server.task_state, None)


def settle(server: Server, status: str) -> None:
    """The task is done: the server rests in `status` (and the vm_state it implies)."""
    server.status = SERVER_STATUSES.check(server.status, status)
    server.vm_state = VM_STATE_OF[status]
    end_task(server)


RESET_STATUS = {"active": "ACTIVE", "error": "ERROR"}


def reset_state(server: Server, vm_state: str) -> None:
    """nova's os-resetState: an administrator's override outside the transition tables (it
    exists to get a stuck server out of any state), to vm_state active or error, no task."""
    server.status = RESET_STATUS[vm_state]
    server.vm_state = vm_state
    server.task_state = None
