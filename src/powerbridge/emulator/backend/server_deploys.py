"""A deploy, step by step on the clock: BUILD/scheduling (PowerVM rules of an inline flavor,
placement by the scheduler, a deploy slot on the host) -> block_device_mapping (volumes attach)
-> networking (ports bind) -> spawning -> ACTIVE, or ERROR with a fault.

Behaviours can fail a named VM at a task state, keep it in BUILD, or fail it after it became
ACTIVE. Every step writes to the logs of the service that does the work, with the request id of
the API call that started it, so a 202-accepted deploy that fails later can be followed by
request id.
"""

from __future__ import annotations

from dataclasses import asdict

from powerbridge import powervm
from powerbridge.emulator.backend.behaviours import Behaviour, Behaviours
from powerbridge.emulator.backend.flavors import rule_violations
from powerbridge.emulator.backend.hosts import HostInventory, NoValidHost
from powerbridge.emulator.backend.network import NetworkBackend
from powerbridge.emulator.backend.placement import Scheduler
from powerbridge.emulator.backend.scheduling import ServerPlacement, template_claim
from powerbridge.emulator.backend.server_lifecycle import ServerLifecycle
from powerbridge.emulator.backend.server_records import (
    POWER_NOSTATE,
    POWER_RUNNING,
    Server,
    make_fault,
)
from powerbridge.emulator.backend.server_states import settle, start_task
from powerbridge.emulator.backend.settings import ServiceSettings, instance_name
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.estate import DEFAULT_ZONE
from powerbridge.emulator.logs import ServiceLogs

RETRY_SECONDS = 0.5


class ServerDeploys:
    def __init__(
        self,
        lifecycle: ServerLifecycle,
        logs: ServiceLogs,
        *,
        hosts: HostInventory,
        scheduler: Scheduler,
        placement: ServerPlacement,
        volumes: VolumeBackend,
        networks: NetworkBackend,
        behaviours: Behaviours,
        settings: ServiceSettings,
    ) -> None:
        self.lifecycle = lifecycle
        self.settings = settings
        self.logs = logs
        self.hosts = hosts
        self.scheduler = scheduler
        self.placement = placement
        self.volumes = volumes
        self.networks = networks
        self.behaviours = behaviours
        lifecycle.on_step("scheduling", self._end_scheduling)
        lifecycle.on_step("block_device_mapping", self._end_block_device_mapping)
        lifecycle.on_step("networking", self._end_networking)
        lifecycle.on_step("spawning", self._end_spawning)
        lifecycle.on_step("error_after_active", self._error_after_active)

    def start(self, server: Server) -> None:
        """Begin the deploy of a server just accepted."""
        self._enter(server, "scheduling")

    def release_slot(self, server: Server) -> None:
        """The server no longer deploys on its host: the next queued deploy there may start."""
        self._start_queued(self.hosts.finish_deploy(server.host, server.id))

    def _behaviour(self, server: Server) -> Behaviour | None:
        return self.behaviours.for_server(server.name, server.metadata)

    def _enter(self, server: Server, task_state: str) -> None:
        start_task(server, task_state)
        duration = self.lifecycle.timing(task_state, 1.0)
        rule = self._behaviour(server)
        if rule and rule.mode == "stuck_in_build" and task_state == "spawning":
            duration += rule.seconds
        self.lifecycle.schedule_step(server, task_state, duration)

    def _failing_rule(self, server: Server, task_state: str) -> Behaviour | None:
        rule = self._behaviour(server)
        if rule and rule.mode == "fail_at" and rule.task_state == task_state:
            return rule
        return None

    def _end_scheduling(self, server: Server, now: float) -> None:
        rule = self._failing_rule(server, "scheduling")
        problem = rule_violations(
            server.flavor["ram"], server.flavor["vcpus"], server.flavor["extra_specs"]
        )
        if problem or rule:
            message = problem or (rule.message if rule else "")
            self._log_conductor(server, f"Build of instance {server.id} aborted: {message}")
            self._fail(server, message or "Injected failure at scheduling", now)
            return
        claim = template_claim(server.flavor)
        try:
            host = self.placement.place_new(server, claim)
        except NoValidHost as failure:
            self.lifecycle.log_no_valid_host(server, failure, server.log_context())
            self._log_conductor(
                server, f"Failed to schedule instances: NoValidHost_Remote: {failure}"
            )
            self._fail(server, str(failure), now)
            return
        server.host, server.claimed = host.name, True
        # the LPAR is created on the host, named by that host's nova-compute settings
        template = self.settings.nova.template_for(host.name)
        server.instance_name = instance_name(template, server.name, server.id, server.seq)
        server.set_claim(claim)
        server.availability_zone = self.scheduler.zone_of(host.name) or DEFAULT_ZONE
        self._log_host(
            server,
            "nova.compute.claims",
            f"Claim successful on node {host.name}: memory {claim.memory_mb} MB, processing "
            f"units {powervm.format_units(claim.proc_units)}",
        )
        if self.hosts.start_or_queue(host, server.id):
            self._enter(server, "block_device_mapping")
        else:
            server.queued = True
            self._log_host(
                server,
                "nova.compute.manager",
                f"Waiting for a deploy slot: {len(host.deploying)} deploys running, the host "
                f"allows {host.spec.max_concurrent_deploys}",
            )

    def _log_host(self, server: Server, module: str, message: str) -> None:
        self.logs.write(
            f"nova-compute-{server.host}",
            "INFO",
            module,
            f"[instance: {server.id}] {message}",
            server.log_context(),
        )

    def _log_conductor(self, server: Server, message: str) -> None:
        self.logs.write(
            "nova-conductor",
            "ERROR",
            "nova.conductor.manager",
            f"[instance: {server.id}] {message}",
            server.log_context(),
        )

    def _start_queued(self, server_id: str | None) -> None:
        server = self.lifecycle.find(server_id or "")
        if server is None or server.task_state == "deleting":
            return  # a deleting server keeps the slot until its delete ends and releases it
        server.queued = False
        self._enter(server, "block_device_mapping")

    def _end_block_device_mapping(self, server: Server, now: float) -> None:
        mappings = server.mappings()
        failed = [m.volume_id for m in mappings if not m.attached and self._failed(m.volume_id)]
        if failed:  # nova aborts the build: looking again would never end
            message = (
                f"Build of instance {server.id} aborted: Volume {failed[0]} did not finish "
                "being created. And its status is error."
            )
            self._deploy_failed(server, message, now)
            return
        if any(not m.attached and not self.volumes.is_ready(m.volume_id) for m in mappings):
            # a volume is still creating: look again shortly
            self.lifecycle.schedule_step(server, "block_device_mapping", RETRY_SECONDS)
            return
        for mapping in mappings:
            if not mapping.attached:
                self.volumes.begin_attach(
                    mapping.volume_id,
                    server.id,
                    server.host or "",
                    mapping.device,
                    server.log_context().internal_call(),
                )
                mapping.attached = True
                self.lifecycle.log_compute(
                    server, f"Attaching volume {mapping.volume_id} to {mapping.device}"
                )
        server.volumes = [asdict(m) for m in mappings]
        self._next_or_fail(server, "block_device_mapping", "networking", now)

    def _failed(self, volume_id: str) -> bool:
        volume = self.volumes.volumes.get(volume_id)
        return volume is not None and volume.status == "error"

    def _end_networking(self, server: Server, now: float) -> None:
        self.networks.bind_server_ports(
            server.id, server.host or "", server.log_context().internal_call()
        )
        self._next_or_fail(server, "networking", "spawning", now)

    def _end_spawning(self, server: Server, now: float) -> None:
        rule = self._failing_rule(server, "spawning")
        if rule:
            self._deploy_failed(server, rule.message or "Injected failure at spawning", now)
            return
        settle(server, "ACTIVE")
        server.power_state, server.launched_at = POWER_RUNNING, now
        took = now - server.created
        self.lifecycle.log_compute(server, f"Took {took:.2f} seconds to build instance.")
        self.lifecycle.finish_action(server, "create", now, ok=True)
        self.release_slot(server)
        after = self._behaviour(server)
        if after and after.mode == "active_then_error":
            self.lifecycle.schedule_step(server, "error_after_active", after.seconds)

    def _next_or_fail(self, server: Server, current: str, following: str, now: float) -> None:
        rule = self._failing_rule(server, current)
        if rule:
            self._deploy_failed(server, rule.message or f"Injected failure at {current}", now)
        else:
            self._enter(server, following)

    def _deploy_failed(self, server: Server, message: str, now: float) -> None:
        self.logs.write(
            f"nova-compute-{server.host}",
            "ERROR",
            "nova.compute.manager",
            f"[instance: {server.id}] Instance failed to spawn: {message}",
            server.log_context(),
        )
        self._fail(server, message, now)
        self.release_slot(server)

    def _error_after_active(self, server: Server, now: float) -> None:
        rule = self._behaviour(server)
        message = rule.message if rule and rule.message else "The virtual machine failed."
        self.lifecycle.log_compute(server, f"Instance went to ERROR: {message}", level="ERROR")
        server.fault = make_fault(message, now, 500)
        settle(server, "ERROR")
        server.power_state = POWER_NOSTATE

    def _fail(self, server: Server, message: str, now: float) -> None:
        settle(server, "ERROR")
        server.power_state = POWER_NOSTATE
        server.fault = make_fault(message, now, 500)
        server.queued = False
        if server.claimed:
            self.hosts.release(server.host, server.id, server.claim)
            server.claimed = False
        for mapping in server.mappings():
            if mapping.attached:
                self.volumes.begin_detach(
                    mapping.volume_id, server.id, server.log_context().internal_call()
                )
            else:
                self.volumes.unreserve(mapping.volume_id, server.id)
        server.volumes = []
        self.lifecycle.finish_action(server, "create", now, ok=False, message=message)
