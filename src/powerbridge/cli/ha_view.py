"""How the `ha` commands print: the plan, a create's live progress, a cluster's state.

Progress is a rich live table on a terminal (one row per step, each node's part, elapsed
time) and plain `[  12.3s] step: state` lines otherwise (CI logs, pipes).
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.live import Live

    from powerbridge.ha.journal import StepEvent

__all__ = ["StepProgress"]


class StepProgress:
    """Progress of a running cluster job: `event()` per step or node change."""

    def __init__(self, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live_mode = self.stream.isatty() if live is None else live
        self.started = time.monotonic()
        self.steps: dict[str, tuple[str, float, str]] = {}  # step -> (state, since, detail)
        self.nodes: dict[str, dict[str, str]] = {}  # step -> node -> its word
        self._live: Live | None = None

    def __enter__(self) -> StepProgress:
        if self.live_mode:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(self._table(), console=Console(file=self.stream))
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.update(self._table())
            self._live.__exit__(None, None, None)
            self._live = None

    def event(self, event: StepEvent) -> None:
        if event.node is not None:
            self.nodes.setdefault(event.step, {})[event.node] = event.state
        else:
            since = self.steps.get(event.step, ("", time.monotonic(), ""))[1]
            self.steps[event.step] = (event.state, since, event.message)
        if self._live is not None:
            self._live.update(self._table())
            return
        where = f" {event.node}" if event.node else ""
        text = f"{event.state}: {event.message}" if event.message else event.state
        self.stream.write(f"[{event.elapsed:6.1f}s] {event.step}{where}: {text}\n")
        self.stream.flush()

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(title="Building the cluster", show_lines=False)
        for column in ("step", "state", "nodes", "elapsed", "detail"):
            table.add_column(column)
        now = time.monotonic()
        for step, (state, since, detail) in self.steps.items():
            parts = self.nodes.get(step, {})
            nodes = ", ".join(f"{node} {word}" for node, word in parts.items())
            table.add_row(step, state, nodes, f"{now - since:.0f}s", detail)
        return table
