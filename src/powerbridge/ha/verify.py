"""The create's last check: what the nodes themselves say, judged by `ha.health`.

Verified means Active / Normal: `ST_STABLE` on every node, every node UP in CAA's view, the
resource group ONLINE on its home node, nothing left unsynchronised. Anything else is one of
health's reasons, polled until it clears or the step's time runs out.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from powerbridge.ha import node_commands
from powerbridge.ha.health import Health, assess, cluster_observation

if TYPE_CHECKING:
    from powerbridge.ha.executor import CommandResult
    from powerbridge.ha.workflow import Build

__all__ = ["look"]


async def look(build: Build) -> tuple[Health, list[CommandResult]]:
    """Every node's verify output, read at once (not recorded: the caller keeps the last)."""
    assert build.topology is not None  # verify runs after deploy
    commands = node_commands.verify_commands(build.spec, build.topology)
    results = await asyncio.gather(
        *(build.executor.run(c.node, c.command, stdin=c.stdin, step="verify") for c in commands)
    )
    outputs: dict[str, str | None] = {r.node: r.stdout if r.ok else None for r in results}
    why = {r.node: r.error_line for r in results if not r.ok}
    observation = cluster_observation(build.spec.home_node, outputs, unreachable=why)
    return assess(observation), list(results)
