"""PowerHA event processing on the emulator clock.

Starting cluster services walks each node's cluster manager ST_INIT -> ST_JOINING ->
ST_BARRIER -> ST_STABLE (CAA first comes up once, `caa_create`); a node reaching ST_STABLE
places the resource groups its startup and fallback policies give it; a group being acquired
is ACQUIRING for `rg_acquire`, then ONLINE with its volume groups varied on, its service IPs
aliased on the node's interface and its application controllers started. A node that goes
down is noticed by the survivors after `failure_detection`, and its groups fall over by their
FALLOVER policy. Every timed step is a `Step` in the cluster record, so a restart resumes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from powerbridge.emulator.aix.powerha import logs
from powerbridge.emulator.aix.powerha.model import (
    ACQUIRING,
    OFFLINE,
    ONLINE,
    ST_BARRIER,
    ST_INIT,
    ST_JOINING,
    ST_STABLE,
    Cluster,
    ResourceGroup,
    Step,
)
from powerbridge.emulator.aix.powerha.validation import in_subnet_of

if TYPE_CHECKING:
    from powerbridge.emulator.aix.node import Node
    from powerbridge.emulator.aix.world import AixWorld

TOPIC = "powerha_step"
CAA_VG = "caavg_private"


class ClusterEvents:
    def __init__(
        self,
        world: AixWorld,
        lookup: Callable[[str], Cluster | None],
        save: Callable[[Cluster], None],
    ) -> None:
        self.world = world
        self._lookup = lookup
        self._save = save
        self._tasks: set[asyncio.Task[Any]] = set()  # scripts running in node shells
        self._at: float | None = None  # the due time of the step being processed
        world.ctx.engine.on(TOPIC, self._on_step)

    # -- the clock -----------------------------------------------------------------------
    def schedule(
        self,
        cluster: Cluster,
        timing: str,
        action: str,
        node: str = "",
        groups: list[str] | None = None,
    ) -> None:
        cluster.last_seq += 1
        seq = cluster.last_seq
        seconds = self.world.timing(timing, 10.0)
        engine, clock = self.world.ctx.engine, self.world.ctx.clock
        resource = f"{cluster.id}/{seq}"
        if cluster.sync_due > clock.now():  # the last sync is still propagating
            due = cluster.sync_due + clock.duration(seconds)
            engine.schedule(due, TOPIC, resource)
        else:
            due = engine.after(seconds, TOPIC, resource)
        cluster.steps.append(Step(seq, due, action, node, list(groups or [])))

    def resume(self, cluster: Cluster) -> None:
        for step in cluster.steps:
            self.world.ctx.engine.schedule(step.due, TOPIC, f"{cluster.id}/{step.seq}")

    def _on_step(self, resource: str, due: float) -> None:
        cluster_id, _, seq = resource.rpartition("/")
        cluster = self._lookup(cluster_id)
        step = next((s for s in cluster.steps if str(s.seq) == seq), None) if cluster else None
        if cluster is None or step is None:
            return  # stale: cancelled, or the cluster was deleted
        cluster.steps.remove(step)
        handlers = {
            "caa": self._caa_up,
            "barrier": self._barrier,
            "stable": self._stable,
            "acquire": self._acquired,
            "fallover": self._fallover,
        }
        self._at = due
        try:
            handlers[step.action](cluster, step)
        finally:
            self._at = None
        self._save(cluster)

    def cancel(self, cluster: Cluster, node: str) -> None:
        """Drop the node's own pending steps (joining, acquiring), not the survivors'
        processing of its earlier failure."""
        cluster.steps = [s for s in cluster.steps if s.node != node or s.action == "fallover"]

    # -- helpers -------------------------------------------------------------------------
    def node(self, cluster: Cluster, name: str) -> Node | None:
        server_id = cluster.server_ids.get(name)
        return self.world.node(server_id) if server_id else None

    def up_nodes(self, cluster: Cluster) -> list[Node]:
        found = (self.node(cluster, name) for name in cluster.nodes)
        return [n for n in found if n is not None and n.is_up]

    def _event(self, cluster: Cluster, name: str, *args: str, status: int | None = None) -> None:
        logs.event(self.up_nodes(cluster), self._now(), name, *args, status=status)

    def _now(self) -> float:
        """When the event happens: inside a step its due time (a long clock advance runs
        many steps, each at its own time), else now."""
        return self._at if self._at is not None else self.world.now()

    # -- starting and stopping cluster services ------------------------------------------
    def start_nodes(self, cluster: Cluster, names: list[str], manage: str = "auto") -> None:
        """Start cluster services; with MANAGE=manual the node acquires no group itself."""
        for name in names:
            if cluster.state_of(name) != ST_INIT or name in cluster.starting:
                continue
            manual = manage in ("manual", "delayed")
            if manual and name not in cluster.manual:
                cluster.manual.append(name)
            elif not manual and name in cluster.manual:
                cluster.manual.remove(name)
            if cluster.caa_active:
                self._join(cluster, name)
            else:
                cluster.starting.append(name)
        if cluster.starting and not any(s.action == "caa" for s in cluster.steps):
            self.schedule(cluster, "caa_create", "caa")

    def _caa_up(self, cluster: Cluster, _step: Step) -> None:
        cluster.caa_active = True
        if cluster.repository:
            self.world.disks.set_volume_group(cluster.repository, CAA_VG)
            for node in self.up_nodes(cluster):
                self.world.disks.set_varied_on(node, CAA_VG, True)
        logs.note(self.up_nodes(cluster), self._now(), f"CAA cluster {cluster.name} is UP")
        waiting, cluster.starting = cluster.starting, []
        for name in waiting:
            self._join(cluster, name)

    def _join(self, cluster: Cluster, name: str) -> None:
        node = self.node(cluster, name)
        if node is not None and cluster.repository:
            self.world.disks.set_varied_on(node, CAA_VG, True)
        cluster.node_states[name] = ST_JOINING
        self._event(cluster, "node_up", name)
        self.schedule(cluster, "cluster_join", "barrier", name)

    def _barrier(self, cluster: Cluster, step: Step) -> None:
        cluster.node_states[step.node] = ST_BARRIER
        self.schedule(cluster, "cluster_barrier", "stable", step.node)

    def _stable(self, cluster: Cluster, step: Step) -> None:
        cluster.node_states[step.node] = ST_STABLE
        self._event(cluster, "node_up", step.node, status=0)
        self._event(cluster, "node_up_complete", step.node)
        self.place_groups(cluster, step.node)
        self._event(cluster, "node_up_complete", step.node, status=0)

    def stop_nodes(self, cluster: Cluster, names: list[str], manage: str = "offline") -> None:
        """Stop cluster services; MANAGE=move brings each released group up on the best
        node still running."""
        moved: list[str] = []
        for name in names:
            if name in cluster.starting:
                cluster.starting.remove(name)
            if cluster.state_of(name) == ST_INIT:
                continue
            self._event(cluster, "node_down", name, "graceful")
            self.cancel(cluster, name)
            for group in cluster.resource_groups:
                if name in group.holders:
                    self.release(cluster, group, name)
                    moved.append(group.name)
            cluster.node_states[name] = ST_INIT
            self._event(cluster, "node_down", name, "graceful", status=0)
        if not cluster.starting:
            cluster.steps = [s for s in cluster.steps if s.action != "caa"]
        if manage == "move":
            self._move_away(cluster, moved)

    def _move_away(self, cluster: Cluster, group_names: list[str]) -> None:
        for group in [g for g in cluster.resource_groups if g.name in group_names]:
            target = next((n for n in group.nodes if n in cluster.stable_nodes), None)
            if target is not None and not group.holders:
                self.begin_acquire(cluster, group, target)

    # -- resource groups -----------------------------------------------------------------
    def place_groups(self, cluster: Cluster, joined: str) -> None:
        """What the startup and fallback policies do when `joined` reaches ST_STABLE."""
        if joined in cluster.manual:
            return
        for group in cluster.resource_groups:
            if joined not in group.nodes or group.state_on(joined) != OFFLINE:
                continue
            holders = group.holders
            if group.startup == "OAAN":
                self.begin_acquire(cluster, group, joined)
            elif not holders:
                if group.startup == "OHN" and joined != group.nodes[0]:
                    continue
                if group.startup == "OUDP" and self._holds_distributed(cluster, joined):
                    continue
                self.begin_acquire(cluster, group, joined)
            elif (
                group.fallback == "FBHPN"
                and group.nodes.index(joined) < group.nodes.index(holders[0])
                and group.state_on(holders[0]) == ONLINE
            ):
                self._event(cluster, "rg_move_fallback", joined, group.name)
                self.release(cluster, group, holders[0])
                self.begin_acquire(cluster, group, joined)

    @staticmethod
    def _holds_distributed(cluster: Cluster, node: str) -> bool:
        return any(g.startup == "OUDP" and node in g.holders for g in cluster.resource_groups)

    def begin_acquire(self, cluster: Cluster, group: ResourceGroup, name: str) -> None:
        group.states[name] = ACQUIRING
        self._event(cluster, "rg_move_acquire", name, group.name)
        self.schedule(cluster, "rg_acquire", "acquire", name, [group.name])

    def _acquired(self, cluster: Cluster, step: Step) -> None:
        group = cluster.group(step.groups[0])
        node = self.node(cluster, step.node)
        if group is None or node is None or group.state_on(step.node) != ACQUIRING:
            return
        for vg in group.volume_groups:
            self.world.disks.set_varied_on(node, vg, True)
        for label in group.service_labels:
            self._event(cluster, "acquire_service_addr", label)
            self._set_alias(cluster, node, label, True)
            self._event(cluster, "acquire_service_addr", label, status=0)
        group.states[step.node] = ONLINE
        for name in group.applications:
            self._event(cluster, "start_server", name)
            controller = cluster.controller(name)
            if controller is not None:
                self.run_script(node, controller.start_script)
            self._event(cluster, "start_server", name, status=0)
        self._event(cluster, "rg_move_acquire", step.node, group.name, status=0)
        self._event(cluster, "rg_move_complete", step.node, group.name)
        self._event(cluster, "rg_move_complete", step.node, group.name, status=0)

    def release(
        self, cluster: Cluster, group: ResourceGroup, name: str, *, reachable: bool = True
    ) -> None:
        """Take the group off a node: stop its applications (if the node still runs), drop
        its service IPs, vary its volume groups off."""
        node = self.node(cluster, name)
        self._event(cluster, "rg_move_release", name, group.name)
        if node is not None:
            for app in group.applications if reachable else []:
                controller = cluster.controller(app)
                self._event(cluster, "stop_server", app)
                if controller is not None:
                    self.run_script(node, controller.stop_script)
                self._event(cluster, "stop_server", app, status=0)
            for label in group.service_labels:
                self._event(cluster, "release_service_addr", label)
                self._set_alias(cluster, node, label, False)
                self._event(cluster, "release_service_addr", label, status=0)
            for vg in group.volume_groups:
                self.world.disks.set_varied_on(node, vg, False)
        group.states[name] = OFFLINE
        self._event(cluster, "rg_move_release", name, group.name, status=0)

    def _set_alias(self, cluster: Cluster, node: Node, label: str, on: bool) -> None:
        service = cluster.service_ip(label)
        if service is None:
            return
        for interface in node.record.interfaces:
            if on and in_subnet_of(interface, service.address):
                if service.address not in interface.aliases:
                    interface.aliases.append(service.address)
                break
            if not on and service.address in interface.aliases:
                interface.aliases.remove(service.address)
        self.world.save(node)
        self.world.addresses_changed()

    def move_group(self, cluster: Cluster, group: ResourceGroup, target: str) -> None:
        self._event(cluster, "rg_move", target, group.name)
        for holder in group.holders:
            self.release(cluster, group, holder)
        self.begin_acquire(cluster, group, target)

    # -- failures ------------------------------------------------------------------------
    def node_failed(self, cluster: Cluster, name: str) -> None:
        """The node went down under running cluster services: the others notice it after
        failure_detection and take its groups over. Until then they still show its groups
        ONLINE on it (nothing has told them otherwise), as PowerHA's survivors do."""
        if name in cluster.starting:
            cluster.starting.remove(name)
        if cluster.state_of(name) == ST_INIT:
            return
        self.cancel(cluster, name)
        cluster.node_states[name] = ST_INIT
        affected = [g for g in cluster.resource_groups if name in g.holders]
        if not cluster.active_nodes:  # no survivor to notice: the groups just stop
            for group in affected:
                self.release(cluster, group, name, reachable=False)
            return
        groups = [g.name for g in affected]
        self.schedule(cluster, "failure_detection", "fallover", name, groups)

    def _fallover(self, cluster: Cluster, step: Step) -> None:
        self._event(cluster, "node_down", step.node)
        for name in step.groups:
            group = cluster.group(name)
            if group is not None and step.node in group.holders:
                self.release(cluster, group, step.node, reachable=False)
            if group is None or group.holders or group.startup == "OAAN":
                continue
            if group.fallover == "BO":
                logs.note(self.up_nodes(cluster), self._now(), f"{name} brought offline (BO)")
                continue
            target = next((n for n in group.nodes if n in cluster.stable_nodes), None)
            if target is not None:
                self.begin_acquire(cluster, group, target)
        self._event(cluster, "node_down", step.node, status=0)

    # -- application scripts -------------------------------------------------------------
    def run_script(self, node: Node, path: str) -> None:
        """Run an application controller script in the node's shell (in the background, as
        clstrmgrES does for background start mode)."""
        from powerbridge.emulator.aix.shell import Session

        async def run() -> None:
            result = await Session(node, self.world).run(path)
            logs.note([node], self.world.now(), f"{path} exited {result.status}")

        coroutine: Coroutine[Any, Any, None] = run()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(coroutine)
            return
        task = loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
