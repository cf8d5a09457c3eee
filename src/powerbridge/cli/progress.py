"""A live progress line for waits: state and elapsed time, rewritten in place on a terminal,
one plain line per state change otherwise (logs, pipes, CI)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from powerbridge.client import StateChange


class Progress:
    def __init__(self, what: str, *, stream: TextIO | None = None, live: bool | None = None):
        self.what = what
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.states: dict[str, tuple[str, str]] = {}  # id -> (name, state)
        self._width = 0

    def change(self, change: StateChange) -> None:
        self.states[change.id] = (change.name, change.state)
        if self.live:
            self._draw(change.elapsed)
        else:
            self.stream.write(
                f"{change.name or change.id}: {change.state} ({_seconds(change.elapsed)})\n"
            )
            self.stream.flush()

    def tick(self, pending: int, elapsed: float) -> None:
        if self.live:
            self._draw(elapsed)

    def finish(self) -> None:
        if self.live and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0

    def _draw(self, elapsed: float) -> None:
        text = f"{self._summary()}  {_seconds(elapsed)}"
        pad = max(0, self._width - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)

    def _summary(self) -> str:
        if len(self.states) == 1:
            name, state = next(iter(self.states.values()))
            return f"{self.what} {name}: {state}"
        counts: dict[str, int] = {}
        for _, state in self.states.values():
            counts[state] = counts.get(state, 0) + 1
        parts = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        return f"{len(self.states)} {self.what}s: {parts}"


def _seconds(elapsed: float) -> str:
    total = int(elapsed)
    return f"{total // 60}m{total % 60:02d}s" if total >= 60 else f"{total}s"
