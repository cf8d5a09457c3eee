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

A hold predicate (`hold_when`) keeps the steps of a stopped service's work from running: a
due step it matches is set aside, and `release()` puts the held steps back, due at once, so
work in flight waits while the service is stopped and goes on from where it was at start.
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
    resumed: float | None = field(default=None, compare=False)  # released after a hold


class Engine:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[_Due] = []
        self._handlers: dict[str, Handler] = {}
        self._seq = itertools.count()
        self._running = False
        self._current: float | None = None  # due time of the step being run
        self._held: list[_Due] = []
        self._hold: Callable[[str], bool] = lambda topic: False

    def hold_when(self, predicate: Callable[[str], bool]) -> None:
        """Set aside due steps whose topic `predicate` matches, until `release()`."""
        self._hold = predicate

    def release(self) -> None:
        """Put the held steps back; those still held by the predicate are set aside again."""
        now = self.clock.now()
        held, self._held = self._held, []
        for item in held:
            # the handler still gets the due time it was scheduled for (backends check it to
            # tell a stale step), but the work after it is timed from now
            item.resumed = max(item.due, now)
            heapq.heappush(self._heap, item)

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
                if self._hold(item.topic):
                    self._held.append(item)
                    continue
                self._current = item.due if item.resumed is None else item.resumed
                self._handlers[item.topic](item.resource_id, item.due)
                ran += 1
        finally:
            self._running = False
            self._current = None
        return ran

    @property
    def pending(self) -> int:
        return len(self._heap) + len(self._held)

    @property
    def held(self) -> int:
        """Steps waiting for a stopped service."""
        return len(self._held)

    def next_due(self) -> float | None:
        return self._heap[0].due if self._heap else None
