"""`lssrc -ls clstrmgrES`: the `Current state:` line automations read (IBM's state names),
then lines reconstructed after the shape of real output (build, node ids, the event queue)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from powerbridge.emulator.aix.powerha.levels import parse

if TYPE_CHECKING:
    from powerbridge.emulator.aix.node import Node
    from powerbridge.emulator.aix.powerha.model import Cluster


def clstrmgr_status(node: Node, cluster: Cluster | None, state: str) -> str:
    version = node.record.powerha_version or ""
    vrmf = "".join(str(part) for part in parse(version)) + "0"
    lines = [
        f"Current state: {state}",
        f'build = "{version} {node.record.aix_level}"',
    ]
    if cluster is not None:
        names = cluster.nodes
        local = next((n for n, sid in cluster.server_ids.items() if sid == node.server_id), "")
        node_id = names.index(local) + 1 if local in names else 0
        lines += [
            f"i_local_nodeid {node_id - 1}, i_local_siteid -1, my_handle {node_id}",
            "ml_idx[" + "]=0 ml_idx[".join(str(i + 1) for i in range(len(names))) + "]=0",
            f"There are {len(cluster.steps)} events on the Ibcast queue",
            "There are 0 events on the RM Ibcast queue",
            f"CLversion: {22 if parse(version) >= (7, 2) else 15}",
            f"local node vrmf is {vrmf}",
            'cluster fix level is "0"',
        ]
    lines.append("The following timer(s) are currently active:")
    return "\n".join(lines) + "\n"
