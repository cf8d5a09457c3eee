"""How `powerbridge deploy` shows things: the plan table, live progress, the summary.

Live progress is a rich table of every resource (state, elapsed) redrawn in place on a
terminal, and one plain line per change otherwise (pipes, logs, CI).
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from powerbridge.cli.output import OutputFormat, render

if TYPE_CHECKING:
    from rich.live import Live

    from powerbridge.deploy.apply import ProgressEvent
    from powerbridge.deploy.plan_model import Plan
    from powerbridge.deploy.report import Report

PLAN_COLUMNS = ["action", "kind", "name", "details"]
SUMMARY_COLUMNS = ["name", "status", "host", "ips", "volumes", "time", "fault"]


def plan_rows(plan: Plan) -> list[dict[str, Any]]:
    return [
        {
            "action": row.action.value,
            "kind": row.kind.label,
            "name": row.name,
            "details": row.details,
        }
        for row in plan.rows()
    ]


def show_plan(plan: Plan, fmt: OutputFormat, stream: TextIO | None = None) -> None:
    if fmt is not OutputFormat.table:
        render(plan.to_dict(), fmt, stream=stream)
        return
    summary = plan.to_dict()["summary"]
    title = (
        f"Plan for deployment {plan.deployment}: {summary['create']} to create,"
        f" {summary['change']} to change, {summary['unchanged']} unchanged,"
        f" {summary['block']} blocking"
    )
    render(plan_rows(plan), fmt, columns=PLAN_COLUMNS, title=title, stream=stream)


def summary_rows(report: Report) -> list[dict[str, Any]]:
    rows = []
    for item in report.servers:
        rows.append(
            {
                "name": item.name,
                "status": item.status if item.changed else f"{item.status} (unchanged)",
                "host": item.host or "",
                "ips": item.addresses,
                "volumes": item.volumes,
                "time": "" if item.seconds is None else f"{item.seconds:.1f}s",
                "fault": _fault(item.fault, item.request_id),
            }
        )
    for item in report.resources:
        if item.kind != "server":
            rows.append(
                {
                    "name": f"{item.kind} {item.name}",
                    "status": item.status,
                    "fault": _fault(item.fault, item.request_id),
                }
            )
    return rows


def _fault(fault: str | None, request_id: str | None) -> str:
    if not fault:
        return ""
    return fault if not request_id or request_id in fault else f"{fault} ({request_id})"


def show_report(report: Report, fmt: OutputFormat, stream: TextIO | None = None) -> None:
    if fmt is not OutputFormat.table:
        render(report.to_dict(), fmt, stream=stream)
        return
    title = (
        f"Deployment {report.deployment}: {report.status.value} in {report.seconds:.1f}s"
        f" (job {report.job_id})"
    )
    render(summary_rows(report), fmt, columns=SUMMARY_COLUMNS, title=title, stream=stream)
    for note in report.notes:
        (stream or sys.stdout).write(f"note: {note}\n")


class LiveProgress:
    """Progress of a running apply: `event()` per change; `close()` when done."""

    def __init__(self, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live_mode = self.stream.isatty() if live is None else live
        self.started = time.monotonic()
        self.rows: dict[tuple[str, str], tuple[str, float]] = {}  # (kind, name) -> (state, t)
        self._live: Live | None = None

    def __enter__(self) -> LiveProgress:
        if self.live_mode:
            from rich.console import Console
            from rich.live import Live

            console = Console(file=self.stream)
            self._live = Live(self._table(), console=console, refresh_per_second=4)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.update(self._table())
            self._live.__exit__(None, None, None)
            self._live = None

    def event(self, event: ProgressEvent) -> None:
        key = (event.kind, event.name)
        first_seen = self.rows.get(key, (event.state, event.elapsed))[1]
        self.rows[key] = (event.state, first_seen)
        if self._live is not None:
            self._live.update(self._table())
            return
        text = event.message or event.state
        self.stream.write(f"[{event.elapsed:6.1f}s] {event.kind} {event.name}: {text}\n")
        self.stream.flush()

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(title="Applying", show_lines=False)
        for column in ("kind", "name", "state", "elapsed"):
            table.add_column(column)
        now = time.monotonic() - self.started
        for (kind, name), (state, since) in self.rows.items():
            table.add_row(kind, name, state, f"{now - since:.0f}s")
        return table
