"""Errors of the HA package: each one line naming the cluster, the step, the node and the fix.

```
HAError                  everything ha raises on purpose
├── ClusterBusy          another process is building or changing the cluster
├── ClusterInterrupted   an earlier create stopped midway: `--resume` continues it
├── PlanBlocked          the plan has blocks: nothing was created
├── StepFailed           a step failed: the node, the command and PowerHA's ERROR line
├── StepsStopped         a cancel was asked for: the create stopped before a step
└── NotACluster          no cluster of that name (nothing tagged, no job)
```
Node access errors (`ha.executor.NodeAccessError` and its subclasses) are raised by the
executor and become a `StepFailed` of the step that met them.
"""

from __future__ import annotations

__all__ = [
    "ClusterBusy",
    "ClusterInterrupted",
    "HAError",
    "NotACluster",
    "PlanBlocked",
    "StepFailed",
    "StepsStopped",
]


class HAError(Exception):
    """Base of what the ha package raises on purpose; `hint` says what to do next."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class ClusterBusy(HAError):
    pass


class ClusterInterrupted(HAError):
    pass


class PlanBlocked(HAError):
    pass


class NotACluster(HAError):
    pass


class StepFailed(HAError):
    """`step` failed on `node` running `command`; `error` is PowerHA's ERROR line (or the
    last line of stderr, or the exit status)."""

    def __init__(
        self, step: str, error: str, *, node: str | None = None, command: str | None = None
    ) -> None:
        where = f" on node {node}" if node else ""
        ran = f": {_short(command)}" if command else ""
        super().__init__(
            f"step {step} failed{where}{ran}: {error}",
            hint="`powerbridge ha show` has the full output; fix the cause, then run the"
            " same create with --resume",
        )
        self.step = step
        self.node = node
        self.command = command
        self.error = error


def _short(command: str, limit: int = 80) -> str:
    line = " ".join(command.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


class StepsStopped(HAError):
    """A cancel was asked for: the create stopped at a step boundary, before `step`."""

    def __init__(self, step: str) -> None:
        super().__init__(f"cancelled before step {step}: the steps done are kept")
        self.step = step
