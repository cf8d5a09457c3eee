"""How `ha show`, `ha status` and `ha list` print a cluster read now (`ha.status`).

`show` is a headline (state / status, where the group is), the reasons, then one plain
table per part: nodes, resource groups, disks, service IPs, and the latest cluster events.
`--format json|yaml` prints `ClusterView.to_dict()`. `status_line` is the one line `ha
status` (and `--watch` per change) prints.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from powerbridge.cli.output import OutputFormat, render

if TYPE_CHECKING:
    from powerbridge.ha.cluster_view import ClusterSummary, ClusterView

__all__ = ["failed_command_text", "show_cluster", "show_clusters", "status_line", "status_text"]

NODE_COLUMNS = ("node", "server", "host", "addresses", "cluster services", "caa", "note")
GROUP_COLUMNS = ("group", "online on", "states", "nodes", "policies")
DISK_COLUMNS = ("role", "volume", "wwn", "size", "hdisks")
LIST_COLUMNS = ("name", "state", "status", "nodes", "group on", "reason")


def status_line(view: ClusterView) -> str:
    """`appha: Active / Warning, appha_rg on appha-node2 (home appha-node1)`."""
    where = ", ".join(f"{g.name} on {', '.join(g.online_on) or 'no node'}" for g in view.groups)
    home = f" (home {view.home_node})" if view.home_node else ""
    return f"{view.name}: {view.state} / {view.status}" + (f", {where}{home}" if where else "")


def status_text(view: ClusterView) -> str:
    """The status line and a line per reason and for the hint."""
    lines = [status_line(view), *(f"  - {reason}" for reason in view.reasons)]
    if view.hint:
        lines.append(f"  hint: {view.hint}")
    return "\n".join(lines)


def show_cluster(view: ClusterView, fmt: OutputFormat, stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    if fmt is not OutputFormat.table:
        render(view.to_dict(), fmt, stream=out)
        return
    out.write(status_text(view) + "\n\n")
    render(_node_rows(view), fmt, columns=NODE_COLUMNS, title="Nodes", stream=out)
    if view.groups:
        out.write("\n")
        render(_group_rows(view), fmt, columns=GROUP_COLUMNS, title="Resource groups", stream=out)
    if view.disks:
        out.write("\n")
        render(_disk_rows(view), fmt, columns=DISK_COLUMNS, title="Disks", stream=out)
    if view.service_ips:
        out.write("\n")
        rows = [{"label": s.label, "address": s.address, "on": s.node} for s in view.service_ips]
        render(rows, fmt, columns=("label", "address", "on"), title="Service IPs", stream=out)
    if view.events:
        out.write("\nRecent cluster events:\n" + "".join(f"  {e}\n" for e in view.events))
    if view.failed_command:
        out.write("\n" + failed_command_text(view.failed_command))


def failed_command_text(failed: Mapping[str, Any]) -> str:
    """The failed create's last failing command as recorded: where, what, its output."""
    head = (
        f"Failed command (step {failed.get('step')}, node {failed.get('node')},"
        f" exit status {failed.get('exit_status')}): {failed.get('command')}\n"
    )
    parts = [head]
    for stream in ("stdout", "stderr"):
        text = str(failed.get(stream) or "")
        if text.strip():
            parts.append(f"  {stream}:\n" + "".join(f"    {line}\n" for line in text.splitlines()))
    return "".join(parts)


def _node_rows(view: ClusterView) -> list[dict[str, Any]]:
    return [
        {
            "node": node.name + (" (home)" if node.name == view.home_node else ""),
            "server": node.server_status or "missing",
            "host": node.host,
            "addresses": list(node.addresses),
            "cluster services": node.clstrmgr_state or "unknown",
            "caa": node.caa_state or "unknown",
            "note": node.reason,
        }
        for node in view.nodes
    ]


def _group_rows(view: ClusterView) -> list[dict[str, Any]]:
    return [
        {
            "group": group.name,
            "online on": list(group.online_on) or "no node",
            "states": dict(group.states),
            "nodes": list(group.nodes),
            "policies": "/".join(group.policies.values()),
        }
        for group in view.groups
    ]


def _disk_rows(view: ClusterView) -> list[dict[str, Any]]:
    return [
        {
            "role": disk.role,
            "volume": disk.volume_name,
            "wwn": disk.wwn,
            "size": f"{disk.size_gb} GB" if disk.size_gb is not None else None,
            "hdisks": {
                node: f"{seen.hdisk} pvid {seen.pvid or 'none'}"
                for node, seen in disk.on_nodes.items()
            },
        }
        for disk in view.disks
    ]


def show_clusters(
    rows: Sequence[ClusterSummary], fmt: OutputFormat, stream: TextIO | None = None
) -> None:
    data = [row.to_dict() for row in rows]
    if fmt is not OutputFormat.table:
        render(data, fmt, stream=stream)
        return
    table = [
        {
            "name": row.name,
            "state": row.state,
            "status": row.status,
            "nodes": list(row.nodes),
            "group on": row.group_node,
            "reason": row.reason,
        }
        for row in rows
    ]
    title = f"{len(rows)} cluster{'' if len(rows) == 1 else 's'}"
    render(table, fmt, columns=LIST_COLUMNS, title=title, stream=stream)
