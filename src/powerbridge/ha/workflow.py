"""The cluster create: a durable job of named, idempotent steps.

```
validate -> key pair -> service IP -> deploy (rule, volumes, nodes through deploy/)
  -> ssh -> prepare (every node at once) -> disks -> cluster -> resources -> sync
  -> online -> verify -> application
```
Every step queries before it changes (as PowerHA's public automation does), so a run that
stopped anywhere, even after a remote command ran and before its result was recorded, is
continued by `--resume` without creating anything twice. A step recorded done is skipped on
resume, except `validate` and `ssh` (the plan and the connections belong to the process).
A failing step ends the job failed with one line: the node, the command, PowerHA's `ERROR:`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from powerbridge.ha.errors import StepFailed, StepsStopped
from powerbridge.ha.journal import Journal
from powerbridge.ha.parse import changes
from powerbridge.jobs import ItemState

if TYPE_CHECKING:
    from powerbridge.client import Cloud
    from powerbridge.ha.executor import CommandResult, NodeExecutor
    from powerbridge.ha.identity import Identity
    from powerbridge.ha.model import ClusterSpec
    from powerbridge.ha.node_commands import NodeCommand
    from powerbridge.ha.topology import Topology

__all__ = ["ALWAYS_RUN", "STEPS", "Build", "failed_summary", "run_steps", "stopped_summary"]

STEPS = [
    "validate",
    "key_pair",
    "service_ip",
    "deploy",
    "ssh",
    "prepare",
    "disks",
    "cluster",
    "resources",
    "sync",
    "online",
    "verify",
    "application",
]
ALWAYS_RUN = frozenset({"validate", "ssh"})


@dataclass
class Build:
    """One run of a create: what the steps share. `topology` is known after `deploy`."""

    cloud: Cloud
    spec: ClusterSpec
    journal: Journal
    executor: NodeExecutor
    identity: Identity
    topology: Topology | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    authorized_keys: tuple[str, ...] = ()  # given to the nodes as user data (CreateOptions)

    async def run(self, step: str, command: NodeCommand) -> CommandResult:
        """Run one node command, record it, and fail the step on a non-zero exit."""
        result = await self.executor.run(
            command.node, command.command, stdin=command.stdin, timeout=command.timeout, step=step
        )
        self.journal.command(step, result)
        self.journal.say(step, *_node_part(result), node=command.node)
        if not result.ok:
            raise StepFailed(
                step, result.error_line, node=command.node, command=command.description
            )
        return result

    async def run_all(self, step: str, commands: list[NodeCommand]) -> list[CommandResult]:
        """Run commands on their nodes at once; the first failure fails the step (the others
        still finish and are recorded, so `ha show` has every node's part)."""
        outcomes = await asyncio.gather(
            *(self.run(step, command) for command in commands), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]


Step = Callable[[Build], Awaitable[str]]


def _node_part(result: CommandResult) -> tuple[str, str]:
    """A node's progress word and detail: what its command changed, or why it failed."""
    seconds = f"{result.ended_at - result.started_at:.1f} s"
    if not result.ok:
        return "failed", f"{result.error_line} ({seconds})"
    changed = len(changes(result.stdout))
    what = f"{changed} change{'s' if changed != 1 else ''}" if changed else "nothing to change"
    return "done", f"{what} ({seconds})"


async def run_steps(
    build: Build, steps: dict[str, Step], *, always: frozenset[str] = ALWAYS_RUN
) -> None:
    """Run `steps` in order, skipping those an earlier run finished (but the `always` ones);
    record each.

    The job's status is the caller's to set at the end; here a failure is recorded on its
    step and raised as StepFailed (node access errors become one)."""
    from powerbridge.ha.executor import NodeAccessError

    journal = build.journal
    journal.plan_steps(list(steps))
    for name, step in steps.items():
        if name not in always and journal.step_done(name):
            journal.say(name, "skipped", "done by an earlier run")
            continue
        if journal.stop_asked():  # a cancel: between steps, never inside one
            journal.say(name, "cancelled", "not started: the job was cancelled")
            raise StepsStopped(name)
        journal.begin(name)
        try:
            message = await step(build)
        except StepFailed as failure:
            journal.failed(name, failure.error, node=failure.node, command=failure.command)
            raise
        except NodeAccessError as problem:
            access = StepFailed(name, str(problem), node=problem.node)
            journal.failed(name, access.error, node=access.node)
            raise access from problem
        journal.done(name, message)


def failed_summary(failure: StepFailed) -> dict[str, Any]:
    """What a failed create's job keeps as its summary: the step, the node, the line."""
    return {"failed_step": failure.step, "node": failure.node, "error": failure.error}


def stopped_summary(journal: Journal, step: str) -> dict[str, Any]:
    """A cancelled create's summary: the step it stopped before, the steps done, and every
    resource it created in PowerVC (nothing half-made left unsaid)."""
    items = journal.store.items(journal.job.id)
    done = [i.name for i in items if i.kind == "step" and i.state is ItemState.DONE]
    created: dict[str, list[str]] = {}
    for item in items:
        if item.created_here and item.kind not in ("step", "command", "node"):
            created.setdefault(item.kind, []).append(item.name)
    return {"cancelled_before": step, "steps_done": done, "created": created}
