"""Kill a running create at a chosen point, as a SIGKILL or Ctrl-C would land there.

A kill point is counted from the start of one run:
- "command": a node ran a command and the journal is about to record its result (the node
  changed something the job does not know of yet);
- "step": a step is about to begin (the one before it is recorded done);
- "deploy": the deployer just reported a PowerVC resource (mid-deploy).
The run's main task is cancelled there, as asyncio's Ctrl-C handler cancels it, and the
code at that point stops at once (what it was about to record is never recorded).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from powerbridge.ha.journal import Journal

KINDS = ("command", "step", "deploy")


@dataclass
class Killer:
    """Cancels the run at the `at`th point of its kind, not counting the points `spared`
    names; with `remember`, the point it killed at joins them (a test passing the same set
    to every run then kills at each point once)."""

    kind: str
    at: int
    spared: set[str] = field(default_factory=set)
    remember: bool = True
    seen: int = 0
    fired: str | None = None

    def passing(self, point: str) -> None:
        if self.fired is not None or point in self.spared:
            return
        self.seen += 1
        if self.seen == self.at:
            self.fired = point
            if self.remember:
                self.spared.add(point)
            main_task().cancel(f"killed at {self.kind} {point}")
            # and nothing more happens here: the node's result is never recorded
            raise asyncio.CancelledError(f"killed at {self.kind} {point}")


def main_task() -> asyncio.Task[Any]:
    """The task `asyncio.run` runs: the one Ctrl-C (asyncio's SIGINT handler) cancels."""
    tasks = [t for t in asyncio.all_tasks() if t.get_coro().__qualname__.endswith("main")]
    assert len(tasks) == 1, tasks
    return tasks[0]


@contextmanager
def killing(
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    at: int,
    spared: set[str] | None = None,
    remember: bool = True,
) -> Iterator[Killer]:
    assert kind in KINDS
    killer = Killer(kind, at, spared if spared is not None else set(), remember)
    with monkeypatch.context() as patch:
        if kind == "command":
            patch.setattr(Journal, "command", _before_command(Journal.command, killer))
        elif kind == "step":
            patch.setattr(Journal, "begin", _before_step(Journal.begin, killer))
        else:
            patch.setattr(Journal, "say", _after_deploy_report(Journal.say, killer))
        yield killer


def _before_command(method: Callable[..., None], killer: Killer) -> Callable[..., None]:
    def wrapped(self: Journal, step: str, result: Any) -> None:
        killer.passing(f"{step}/{result.node}")
        method(self, step, result)

    return wrapped


def _before_step(method: Callable[..., None], killer: Killer) -> Callable[..., None]:
    def wrapped(self: Journal, step: str, *args: Any) -> None:
        killer.passing(step)
        method(self, step, *args)

    return wrapped


def _after_deploy_report(method: Callable[..., None], killer: Killer) -> Callable[..., None]:
    def wrapped(self: Journal, step: str, state: str, *args: Any, **kwargs: Any) -> None:
        method(self, step, state, *args, **kwargs)
        if step == "deploy" and kwargs.get("node"):
            killer.passing(f"{kwargs['node']} {state}")

    return wrapped
