"""Timed transitions and declared status tables.

Backends schedule steps, the engine runs them when the clock says so; which status may follow
which is declared once per resource in a `Transitions` table (moto's ManagedState idea), and a
change the table does not list raises `IllegalTransition`: a bug in the emulator, never an
answer to a client.

A resource's lifecycle is a table of steps (task state, duration); the backend owning it
schedules the next step with `schedule(due, topic, resource_id)` and handles it when the
engine calls back. The engine runs due steps in order before every request (so reads see the
state the clock implies) and from a background ticker in the server. Resources carry their own
`step`/`due` fields, so after a restart the owning backend re-schedules them: nothing is lost,
nothing runs twice.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from powerbridge.emulator.clock import Clock

Handler = Callable[[str, float], None]
S = TypeVar("S", bound=str | None)


class IllegalTransition(Exception):
    """A backend changed a status in a way its transition table does not declare."""


class Transitions(Generic[S]):
    """Which state may follow which, for one kind of resource (staying put is always allowed).

    `check(current, new)` returns `new` or raises, so a change reads
    `volume.status = VOLUME_STATUSES.check(volume.status, "available")`.
    """

    def __init__(self, resource: str, table: Mapping[S, Iterable[S]]) -> None:
        self.resource = resource
        self._next = {state: frozenset(following) for state, following in table.items()}

    @property
    def states(self) -> frozenset[S]:
        return frozenset(self._next).union(*self._next.values())

    def allows(self, current: S, new: S) -> bool:
        return new == current or new in self._next.get(current, frozenset())

    def check(self, current: S, new: S) -> S:
        if not self.allows(current, new):
            raise IllegalTransition(
                f"{self.resource}: {current!r} -> {new!r} is not a declared transition"
            )
        return new


@dataclass(order=True)
class _Due:
    due: float
    seq: int
    topic: str = field(compare=False)
    resource_id: str = field(compare=False)


class Engine:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[_Due] = []
        self._handlers: dict[str, Handler] = {}
        self._seq = itertools.count()
        self._running = False
        self._current: float | None = None  # due time of the step being run

    def on(self, topic: str, handler: Handler) -> None:
        self._handlers[topic] = handler

    def schedule(self, due: float, topic: str, resource_id: str) -> None:
        if topic not in self._handlers:
            raise KeyError(f"no handler for lifecycle topic {topic!r}")
        heapq.heappush(self._heap, _Due(due, next(self._seq), topic, resource_id))

    def after(self, seconds: float, topic: str, resource_id: str) -> float:
        """Schedule `seconds` of emulated work from now; return the due time.

        Inside a step, "now" is that step's due time, so a chain of steps covered by one big
        clock advance runs to its end, each step at the time it would really have happened.
        """
        start = self._current if self._current is not None else self.clock.now()
        due = start + self.clock.duration(seconds)
        self.schedule(due, topic, resource_id)
        return due

    def run_due(self) -> int:
        """Run every step due by now (steps scheduled meanwhile too); return how many ran."""
        if self._running:  # a handler's own reads must not re-enter
            return 0
        self._running = True
        ran = 0
        try:
            while self._heap and self._heap[0].due <= self.clock.now():
                item = heapq.heappop(self._heap)
                self._current = item.due
                self._handlers[item.topic](item.resource_id, item.due)
                ran += 1
        finally:
            self._running = False
            self._current = None
        return ran

    @property
    def pending(self) -> int:
        return len(self._heap)

    def next_due(self) -> float | None:
        return self._heap[0].due if self._heap else None
