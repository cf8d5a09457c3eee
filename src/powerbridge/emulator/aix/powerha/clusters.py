"""PowerHA clusters (placeholder: the cluster model replaces this module; the methods below
are the contract the SSH files and the shell code against)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from powerbridge.emulator.aix.node import Node
    from powerbridge.emulator.aix.world import AixWorld


class ClusterRegistry:
    def __init__(self, world: AixWorld) -> None:
        self.world = world

    def service_labels(self) -> list[tuple[str, str, str]]:
        """(label, address, server id of the node holding it) for every service IP that is
        online, so ssh/config gets a `Host` block that follows the group."""
        return []

    def subsystem_status(self, node: Node, subsystem: str) -> str | None:
        """The long status (`lssrc -ls clstrmgrES`) of a PowerHA subsystem on this node, or
        None when the cluster model has nothing to add."""
        return None
