"""How `ha plan` (and `ha create` before it asks) prints a `ClusterPlan`: one table of what
will be created, PowerVC's side then PowerHA's, then the warnings and blocks; or the plan as
JSON / YAML with `--format`."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from powerbridge.cli.output import OutputFormat, render

if TYPE_CHECKING:
    from powerbridge.ha.plan import ClusterPlan

__all__ = ["PLAN_COLUMNS", "show_plan"]

PLAN_COLUMNS = ("action", "kind", "name", "details")


def show_plan(plan: ClusterPlan, fmt: OutputFormat, stream: TextIO | None = None) -> None:
    if fmt is not OutputFormat.table:
        render(plan.to_dict(), fmt, stream=stream)
        return
    spec = plan.spec
    title = (
        f"Plan for cluster {spec.name} ({len(spec.nodes)} nodes):"
        f" {len(plan.plan.creates)} PowerVC resources to create,"
        f" {len(plan.warnings)} warnings, {len(plan.blocks)} blocking"
    )
    rows = [
        {"action": r.action, "kind": r.kind, "name": r.name, "details": r.details}
        for r in plan.rows()
    ]
    render(rows, fmt, columns=PLAN_COLUMNS, title=title, stream=stream)
