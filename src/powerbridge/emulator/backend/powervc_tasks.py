"""PowerVC's long-running actions answer a `task_uri` whose `get_progress` tells how the work
goes (IBM PowerVC 2.x: "Clone virtual machine API", "Virtual machine snapshot and restore
API"). A task records what it started; its progress is read from the resources themselves
(the clone's deploy steps, the volume snapshots' statuses), so it can never disagree with them.
Tasks are persisted (`powervc_task`) and visible to their project and to admins.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.errors import not_found

IN_PROGRESS, COMPLETED, FAILED = "in-progress", "completed", "failed"


@dataclass
class Task:
    id: str
    action: str  # clone-vm | vm-snapshot
    project_id: str
    source_id: str  # the server acted on
    created: float
    result_ids: list[str] = field(default_factory=list)  # the clone, or the instance snapshot


@dataclass(frozen=True)
class Progress:
    status: str  # in-progress | completed | failed
    percent: int
    message: str = ""


class PowerVCTasks:
    def __init__(self, ctx: BackendContext) -> None:
        self.ctx = ctx
        self.tasks = {b["id"]: Task(**b) for b in ctx.store.load("powervc_task")}

    def start(self, action: str, caller: Caller, source_id: str, result_ids: list[str]) -> Task:
        task = Task(
            id=str(uuid.uuid4()),
            action=action,
            project_id=caller.project_id or "",
            source_id=source_id,
            created=self.ctx.clock.now(),
            result_ids=result_ids,
        )
        self.tasks[task.id] = task
        self.ctx.store.put("powervc_task", task.id, asdict(task))
        return task

    def task(self, task_id: str, action: str, caller: Caller) -> Task:
        task = self.tasks.get(task_id)
        if task is None or task.action != action:
            raise not_found(f"Task {task_id} of action {action} could not be found.")
        if not (caller.is_admin or task.project_id == caller.project_id):
            raise not_found(f"Task {task_id} of action {action} could not be found.")
        return task
