"""The PowerHA clusters of the emulator: every `Cluster` (store kind `powerha_cluster`), which
node belongs to which, event processing on the clock and the node-failure listener."""

from __future__ import annotations

from typing import TYPE_CHECKING

from powerbridge.emulator.aix.node import UP
from powerbridge.emulator.aix.powerha.events import ClusterEvents
from powerbridge.emulator.aix.powerha.model import (
    CLUSTER_KIND,
    NOT_CONFIGURED,
    ONLINE,
    Cluster,
)
from powerbridge.emulator.aix.powerha.repository import lose_repository
from powerbridge.emulator.aix.powerha.status_text import clstrmgr_status

if TYPE_CHECKING:
    from powerbridge.emulator.aix.node import Node
    from powerbridge.emulator.aix.world import AixWorld


class ClusterRegistry:
    def __init__(self, world: AixWorld) -> None:
        self.world = world
        self.clusters: dict[str, Cluster] = {}
        for body in world.ctx.store.load(CLUSTER_KIND):
            cluster = Cluster.from_json(body)
            self.clusters[cluster.id] = cluster
        self.events = ClusterEvents(world, self.clusters.get, self.save)
        for cluster in self.clusters.values():
            self.events.resume(cluster)
        world.on_node_state(self._node_state)

    # -- the records ---------------------------------------------------------------------
    def save(self, cluster: Cluster) -> None:
        self.world.ctx.store.put(CLUSTER_KIND, cluster.id, cluster.to_json())

    def add(self, cluster: Cluster) -> None:
        self.clusters[cluster.id] = cluster
        self.save(cluster)

    def delete(self, cluster: Cluster) -> None:
        self.clusters.pop(cluster.id, None)
        self.world.ctx.store.delete(CLUSTER_KIND, cluster.id)

    def next_id(self) -> str:
        used = {int(c.id) for c in self.clusters.values() if c.id.isdigit()}
        candidate = 1234567890 + len(used)
        while candidate in used:
            candidate += 1
        return str(candidate)

    def of_node(self, node: Node) -> Cluster | None:
        for cluster in self.clusters.values():
            if node.server_id in cluster.server_ids.values():
                return cluster
        return None

    def name_in(self, cluster: Cluster, node: Node) -> str:
        for name, server_id in cluster.server_ids.items():
            if server_id == node.server_id:
                return name
        return node.name

    def run_due(self) -> None:
        """Let steps due now run (with the instant clock, everything a command started)."""
        self.world.ctx.engine.run_due()

    # -- what other parts of the emulator read -------------------------------------------
    def service_labels(self) -> list[tuple[str, str, str]]:
        """(label, address, server id of the node holding it) for every service IP that is
        online, so ssh/config gets a `Host` block that follows the group."""
        labels = []
        for cluster in self.clusters.values():
            for group in cluster.resource_groups:
                for node_name in group.nodes:
                    if group.state_on(node_name) != ONLINE:
                        continue
                    for label in group.service_labels:
                        service = cluster.service_ip(label)
                        server_id = cluster.server_ids.get(node_name)
                        if service is not None and server_id is not None:
                            labels.append((label, service.address, server_id))
        return labels

    def subsystem_status(self, node: Node, subsystem: str) -> str | None:
        """The long status (`lssrc -ls clstrmgrES`) of a PowerHA subsystem on this node, or
        None when the cluster model has nothing to add."""
        if subsystem != "clstrmgrES" or not node.has_powerha:
            return None
        cluster = self.of_node(node)
        if cluster is None:
            return clstrmgr_status(node, None, NOT_CONFIGURED)
        return clstrmgr_status(node, cluster, cluster.state_of(self.name_in(cluster, node)))

    def repository_lost(self, volume_id: str) -> list[str]:
        """The repository volume failed (a fault rule): the names of the clusters it served."""
        hit = [c for c in self.clusters.values() if c.repository == volume_id]
        for cluster in hit:
            lose_repository(self.world, cluster)
            self.save(cluster)
        return [c.name for c in hit]

    # -- node failures -------------------------------------------------------------------
    def _node_state(self, node: Node, old: str, new: str) -> None:
        if old != UP or new == UP:
            return
        cluster = self.of_node(node)
        if cluster is None:
            return
        self.events.node_failed(cluster, self.name_in(cluster, node))
        self.save(cluster)
