"""Read every node of a cluster at once, read-only, for `ha show` and `ha status`.

One script per node, fed to `ksh` over the pinned SSH connection, prints each command's
output under a `=== NAME` header (`parse.sections`): the verify commands (clstrmgrES, CAA,
clRGinfo, clmgr query cluster), `lspv -u` (cluster disks by WWN), each resource group and
service IP as `clmgr query` shows them, and the latest EVENT / ERROR lines of PowerHA's
`/var/hacmp/log/hacmp.out` (where real PowerHA 7 and the emulator write event processing).

Nodes are read in parallel under one deadline, so unreachable nodes cost one connect timeout
in total, not one each; a node that cannot be read gives its reason instead of output.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from powerbridge.ha.executor import HostKeyError, NodeAccessError, NodeExecutor
from powerbridge.ha.identity import Identity
from powerbridge.ha.ksh import quote
from powerbridge.ha.node_commands import verify_script
from powerbridge.ha.parse import SECTION_MARK

__all__ = ["EVENT_LOG", "NodeReading", "read_nodes", "show_script"]

EVENT_LOG = "/var/hacmp/log/hacmp.out"
EVENT_LINES = 20
GROUP_SECTION, SERVICE_SECTION = "resource_group ", "service_ip "


@dataclass(frozen=True)
class NodeReading:
    """What one node answered (`output`), or why it could not be read (`reason`)."""

    node: str
    output: str | None
    reason: str | None = None
    host_key_error: HostKeyError | None = None


def show_script(event_lines: int = EVENT_LINES) -> str:
    """Read-only: the verify commands, disks, groups, service IPs and recent events."""
    verify = verify_script().removesuffix("exit 0\n")
    mark = SECTION_MARK
    return (
        verify
        + f"echo {quote(mark + 'lspv -u')}\nlspv -u 2>&1\n"
        + f"echo {quote(mark + 'events')}\n"
        + f"grep -e 'EVENT ' -e 'ERROR' {EVENT_LOG} 2>/dev/null | tail -n {event_lines}\n"
        + _each("resource_group", GROUP_SECTION)
        + _each("service_ip", SERVICE_SECTION)
        + "exit 0\n"
    )


def _each(cls: str, section: str) -> str:
    """A section per object of a clmgr class (`clmgr query CLASS` lists their names)."""
    return (
        f"for name in $(clmgr query {cls} 2>/dev/null); do\n"
        f'  echo "{SECTION_MARK}{section}$name"\n'
        f'  clmgr query {cls} "$name" 2>&1\n'
        "done\n"
    )


async def read_nodes(
    identity: Identity,
    addresses: Mapping[str, str],
    *,
    cluster: str,
    pins: Mapping[str, str],
    user: str = "root",
    ssh_configs: Sequence[Path] | None = None,
    connect_timeout: float = 10.0,
    command_timeout: float = 60.0,
) -> dict[str, NodeReading]:
    """Every node's show output (or why it gave none), node -> its address."""
    executor = NodeExecutor(
        identity,
        user=user,
        ssh_configs=ssh_configs,
        pins=pins,
        connect_timeout=connect_timeout,
        command_timeout=command_timeout,
        cluster=cluster,
    )
    deadline = time.monotonic() + connect_timeout  # one timeout for all nodes together
    script = show_script()
    async with executor:
        readings = await asyncio.gather(
            *(
                _read(executor, node, address, deadline, script)
                for node, address in addresses.items()
            )
        )
    return {reading.node: reading for reading in readings}


async def _read(
    executor: NodeExecutor, node: str, address: str, deadline: float, script: str
) -> NodeReading:
    try:
        await executor.connect(node, address, deadline=deadline)
        result = await executor.run(node, "ksh", stdin=script, step="show")
    except HostKeyError as refused:
        return NodeReading(node, None, str(refused), host_key_error=refused)
    except NodeAccessError as problem:
        return NodeReading(node, None, str(problem))
    if not result.ok:
        return NodeReading(node, None, result.error_line)
    return NodeReading(node, result.stdout)
