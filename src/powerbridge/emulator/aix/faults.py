"""The one-shot node fault rules: `crash`, `host_failure` and `lose_repository_disk`.

Each is applied as soon as its rule is added (`Behaviours.watch`), and at start for a rule not
applied yet, then the rule is spent (listed with `times` 0). A rule matching nothing is spent
all the same.

- `crash`: the LPAR of every matching node stops. What PowerVC shows is nova's power-state
  sync (`ComputeManager._sync_instance_power_state`): an ACTIVE instance the hypervisor reports
  shut down is "shutdown by itself", nova calls the stop API, and the server rests in SHUTOFF
  (vm_state `stopped`, power_state 4): `openstack server start` brings it (and the node) back.
- `host_failure`: the estate host named by `host` goes to state `error` (the hypervisor is
  `down`, nothing is scheduled there) and every server on it stops as for a crash; removing
  the rule brings the host back to its estate state (its servers stay SHUTOFF until started).
  PowerVC's remote restart (evacuation to another host) is not simulated.
- `lose_repository_disk`: the CAA repository of each matching node's cluster is lost
  (`ClusterRegistry.repository_lost`).
"""

from __future__ import annotations

import dataclasses
import re

from powerbridge.emulator.aix.node import Node
from powerbridge.emulator.aix.world import AixWorld
from powerbridge.emulator.backend.behaviours import Behaviour, Behaviours
from powerbridge.emulator.backend.hosts import HostInventory
from powerbridge.emulator.backend.server_records import POWER_SHUTDOWN, Server
from powerbridge.emulator.backend.server_states import settle

HOST_FAILED = "error"
SHUTDOWN_BY_ITSELF = (
    "Instance shutdown by itself. Calling the stop API. Current vm_state: active, current "
    "task_state: None, original DB power_state: 1, current VM power_state: 4"
)


class NodeFaults:
    def __init__(self, world: AixWorld, behaviours: Behaviours, hosts: HostInventory) -> None:
        self.world = world
        self.behaviours = behaviours
        self.hosts = hosts
        self._estate_states = {name: host.spec.state for name, host in hosts.hosts.items()}
        behaviours.watch(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        for rule in self.behaviours.pending_events():
            self.behaviours.spend_event(rule)
            if rule.mode == "crash":
                for node in self._matching(rule):
                    self.crash(node)
            elif rule.mode == "lose_repository_disk":
                self._lose_repository(rule)
        self._follow_hosts()

    def _matching(self, rule: Behaviour) -> list[Node]:
        pattern = rule.name_regex
        return [
            node
            for node in list(self.world.nodes.values())
            if pattern is None or re.search(pattern, node.name)
        ]

    # -- crash ---------------------------------------------------------------------------
    def crash(self, node: Node) -> None:
        server = self.world.servers.find(node.server_id)
        if server is not None:
            self._stop(server)

    def _stop(self, server: Server) -> None:
        """The LPAR stopped without being asked: nova's sync stops the instance."""
        if server.deleted or server.status != "ACTIVE" or server.task_state is not None:
            return
        settle(server, "SHUTOFF")
        server.power_state = POWER_SHUTDOWN
        self.world.servers.log_compute(server, SHUTDOWN_BY_ITSELF, "WARNING")
        self.world.servers.save(server)  # the node follows: down, the cluster fails over

    # -- host failure --------------------------------------------------------------------
    def _follow_hosts(self) -> None:
        """Each host is failed while a host_failure rule names it, else in its estate state."""
        failed = set()
        for rule in self.behaviours.list():
            if rule.kind == "node" and rule.mode == "host_failure" and rule.host:
                host = self.hosts.by_display_name(rule.host)  # a name, display name or id
                if host is not None:
                    failed.add(host.name)
        for name, host in self.hosts.hosts.items():
            wanted = HOST_FAILED if name in failed else self._estate_states[name]
            if host.spec.state == wanted:
                continue
            host.spec = dataclasses.replace(host.spec, state=wanted)
            if wanted == HOST_FAILED:
                for server_id in sorted(host.servers):
                    server = self.world.servers.find(server_id)
                    if server is not None:
                        self._stop(server)

    # -- repository ----------------------------------------------------------------------
    def _lose_repository(self, rule: Behaviour) -> None:
        volumes: list[str] = []
        for node in self._matching(rule):
            cluster = self.world.clusters.of_node(node)
            if cluster is not None and cluster.repository and cluster.repository not in volumes:
                volumes.append(cluster.repository)
        for volume_id in volumes:
            self.world.clusters.repository_lost(volume_id)
