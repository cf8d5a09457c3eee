"""Nova servers on PowerVM: create, lifecycle, power actions, volume attachments, actions log.

A deploy is a transition table run by the clock: BUILD/scheduling (PowerVM rules of an inline
flavor, placement, a deploy slot on the host) -> block_device_mapping (volumes attach) ->
networking (ports bind) -> spawning -> ACTIVE, or ERROR with a fault. Behaviours can fail a
named VM at a task state, keep it in BUILD, or fail it after it became ACTIVE. Every step
writes to the logs of the service that does the work, with the request id of the API call
that started it, so a 202-accepted deploy that fails later can be followed by request id.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from powerbridge import powervm
from powerbridge.emulator.backend.behaviours import Behaviour, Behaviours
from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.flavors import Flavor, FlavorBackend, rule_violations
from powerbridge.emulator.backend.hosts import Claim, HostInventory, NoValidHost
from powerbridge.emulator.backend.identity import Caller
from powerbridge.emulator.backend.image import ImageBackend
from powerbridge.emulator.backend.network import NetworkBackend
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.errors import ApiError, bad_request, conflict, forbidden, not_found
from powerbridge.emulator.logs import LogContext

BUILD_STEPS = ("scheduling", "block_device_mapping", "networking", "spawning")
STEP_TOPIC = "server.step"
POWER_NOSTATE, POWER_RUNNING, POWER_SHUTDOWN = 0, 1, 4
DEVICE_LETTERS = "abcdefghijklmnopqrstuvwxyz"
RETRY_SECONDS = 0.5


@dataclass
class VolumeMapping:
    volume_id: str
    device: str
    boot_index: int | None = None
    delete_on_termination: bool = False
    attached: bool = False


@dataclass
class Server:
    id: str
    name: str
    project_id: str
    user_id: str
    flavor: dict[str, Any]
    image_id: str | None
    created: float
    updated: float
    request_id: str
    seq: int
    instance_name: str
    status: str = "BUILD"
    vm_state: str = "building"
    task_state: str | None = "scheduling"
    power_state: int = POWER_NOSTATE
    host: str | None = None
    availability_zone: str | None = None
    requested_host: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    key_name: str | None = None
    user_data: str | None = None
    config_drive: str = ""
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    locked: bool = False
    reservation_id: str = ""
    launch_index: int = 0
    volumes: list[dict[str, Any]] = field(default_factory=list)  # VolumeMapping as dicts
    fault: dict[str, Any] | None = None
    launched_at: float | None = None
    terminated_at: float | None = None
    step: str | None = None  # the lifecycle step the clock is running, if any
    step_due: float | None = None
    queued: bool = False
    claim_memory_mb: int = 0
    claim_units: str = "0"
    claimed: bool = False
    deleted: bool = False

    @property
    def claim(self) -> Claim:
        return Claim(self.claim_memory_mb, Decimal(self.claim_units))

    def mappings(self) -> list[VolumeMapping]:
        return [VolumeMapping(**m) for m in self.volumes]

    def log_context(self) -> LogContext:
        return LogContext(self.request_id, self.user_id, self.project_id)


@dataclass
class InstanceAction:
    id: str
    server_id: str
    action: str
    request_id: str
    user_id: str
    project_id: str
    start_time: float
    message: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    updated_at: float | None = None


@dataclass
class NetworkRequest:
    network_id: str | None = None
    fixed_ip: str | None = None
    port_id: str | None = None


@dataclass
class VolumeRequest:
    """One `block_device_mapping_v2` entry, validated."""

    source_type: str
    uuid: str | None
    boot_index: int | None
    volume_size: int | None
    delete_on_termination: bool
    volume_type: str | None = None
    device_name: str | None = None


@dataclass
class ServerRequest:
    name: str
    image_id: str | None
    flavor: Flavor | None
    inline_flavor: dict[str, Any] | None
    networks: list[NetworkRequest]
    volumes: list[VolumeRequest]
    metadata: dict[str, str]
    availability_zone: str | None = None
    key_name: str | None = None
    user_data: str | None = None
    config_drive: bool = False
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    min_count: int = 1
    max_count: int = 1
    scheduler_hints: dict[str, Any] = field(default_factory=dict)


class ComputeBackend:
    def __init__(
        self,
        ctx: BackendContext,
        *,
        images: ImageBackend,
        networks: NetworkBackend,
        volumes: VolumeBackend,
        behaviours: Behaviours,
    ) -> None:
        self.ctx = ctx
        self.images = images
        self.networks = networks
        self.volumes = volumes
        self.behaviours = behaviours
        self.flavors = FlavorBackend(ctx)
        self.hosts = HostInventory(ctx.estate.hosts)
        self.servers: dict[str, Server] = {}
        self.actions: dict[str, list[InstanceAction]] = {}
        self._seq = 0
        for body in ctx.store.load("server"):
            server = Server(**body)
            self.servers[server.id] = server
            self._seq = max(self._seq, server.seq)
        for body in ctx.store.load("instance_action"):
            action = InstanceAction(**body)
            self.actions.setdefault(action.server_id, []).append(action)
        for actions in self.actions.values():
            actions.sort(key=lambda a: a.start_time)
        ctx.engine.on(STEP_TOPIC, self._on_step)

    def seed(self, owner_project_id: str) -> None:
        self.flavors.seed(owner_project_id)

    def resume(self) -> None:
        """Rebuild host usage and re-schedule unfinished steps after a restart."""
        live = sorted((s for s in self.servers.values() if not s.deleted), key=lambda s: s.created)
        for server in live:
            host = self.hosts.host(server.host or "")
            if server.claimed and host is not None:
                self.hosts.claim(host, server.id, server.claim)
                if server.queued:
                    host.waiting.append(server.id)
                elif server.status == "BUILD" and server.task_state != "scheduling":
                    host.deploying.add(server.id)
            if server.step is not None and server.step_due is not None:
                self.ctx.engine.schedule(server.step_due, STEP_TOPIC, server.id)

    # -- persistence and lookups -----------------------------------------------------------
    def _save(self, server: Server) -> None:
        self.ctx.store.put("server", server.id, asdict(server))

    def _save_action(self, action: InstanceAction) -> None:
        self.ctx.store.put("instance_action", action.id, asdict(action))

    def server(self, server_id: str, caller: Caller) -> Server:
        server = self.servers.get(server_id)
        if server is None or server.deleted or not _visible(server, caller):
            raise not_found(f"Instance {server_id} could not be found.")
        return server

    def list_servers(
        self, caller: Caller, *, all_tenants: bool = False, include_deleted: bool = False
    ) -> list[Server]:
        everyone = all_tenants and caller.is_admin
        return [
            s
            for s in self.servers.values()
            if (include_deleted or not s.deleted)
            and (everyone or s.project_id == caller.project_id)
        ]

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # -- create ----------------------------------------------------------------------------
    def create_servers(
        self, caller: Caller, request: ServerRequest, request_id: str
    ) -> list[Server]:
        """Validate everything first, then create `max_count` servers (all or nothing)."""
        if not caller.can_write:
            raise forbidden("Policy doesn't allow os_compute_api:servers:create to be performed.")
        context = LogContext(request_id, caller.user_id, caller.project_id or "-")
        if request.image_id:
            self._check_image(request.image_id, caller)
        elif not any(v.boot_index == 0 for v in request.volumes):
            raise bad_request(
                "Block Device Mapping is Invalid: You specified more local "
                "devices than the limit allows"
            )
        for net in request.networks:
            if net.network_id:
                self._check_network(net.network_id, caller)
        self._check_volumes(request, caller)
        self._check_host_request(request.availability_zone)
        reservation = f"r-{secrets.token_hex(4)}"
        created: list[Server] = []
        try:
            for index in range(request.max_count):
                name = request.name
                if request.max_count > 1:
                    name = f"{request.name}-{index + 1}"
                created.append(
                    self._create_one(caller, request, name, index, reservation, request_id, context)
                )
        except ApiError:
            for server in created:
                self._discard(server, context)
            raise
        return created

    def _check_image(self, image_id: str, caller: Caller) -> None:
        try:
            self.images.image(image_id, caller)
        except ApiError:
            raise bad_request(f"Image {image_id} could not be found.") from None

    def _check_network(self, network_id: str, caller: Caller) -> None:
        try:
            self.networks.network(network_id, caller)
        except ApiError:
            raise bad_request(f"Network {network_id} could not be found.") from None

    def _check_volumes(self, request: ServerRequest, caller: Caller) -> None:
        seen: set[str] = set()
        for spec in request.volumes:
            if spec.source_type == "volume" and spec.uuid:
                try:
                    volume = self.volumes.volume(spec.uuid, caller)
                except ApiError:
                    raise bad_request(
                        f"Block Device Mapping is Invalid: failed to get volume {spec.uuid}."
                    ) from None
                if spec.uuid in seen:
                    raise bad_request(
                        f"Block Device Mapping is Invalid: volume {spec.uuid} is mapped twice."
                    )
                seen.add(spec.uuid)
                if request.max_count > 1 and not volume.multiattach:
                    raise bad_request(
                        "Block Device Mapping is Invalid: a volume cannot be "
                        "attached to several servers unless it is multiattach."
                    )
            elif spec.source_type in ("image", "blank"):
                if spec.volume_type:
                    self.volumes.volume_type(spec.volume_type)
                if spec.source_type == "image" and spec.uuid:
                    self._check_image(spec.uuid, caller)

    def _check_host_request(self, zone: str | None) -> None:
        host_name = _requested_host(zone)
        if host_name and self.hosts.by_display_name(host_name) is None:
            raise bad_request(
                f"No valid host was found. Host {host_name} is not managed by PowerVC."
            )

    def _create_one(
        self,
        caller: Caller,
        request: ServerRequest,
        name: str,
        index: int,
        reservation: str,
        request_id: str,
        context: LogContext,
    ) -> Server:
        now = self.ctx.clock.now()
        server_id = str(uuid.uuid4())
        seq = self._next_seq()
        server = Server(
            id=server_id,
            name=name,
            project_id=caller.project_id or "",
            user_id=caller.user_id,
            flavor=_flavor_snapshot(request),
            image_id=request.image_id or None,
            created=now,
            updated=now,
            request_id=request_id,
            seq=seq,
            instance_name=self._instance_name(name, server_id, seq),
            availability_zone=request.availability_zone,
            requested_host=_requested_host(request.availability_zone),
            metadata=dict(request.metadata),
            key_name=request.key_name,
            user_data=request.user_data,
            config_drive="True" if request.config_drive else "",
            description=request.description,
            tags=list(request.tags),
            reservation_id=reservation,
            launch_index=index,
        )
        self.servers[server.id] = server
        try:
            self._allocate_ports(server, request, caller, context)
            self._map_volumes(server, request, caller, context)
        except ApiError:
            self._discard(server, context)
            raise
        self._record_action(server, "create", request_id, caller)
        self.ctx.logs.write(
            "nova-api",
            "INFO",
            "nova.compute.api",
            f"[instance: {server.id}] Creating server {name!r}",
            context,
        )
        self._enter(server, "scheduling")
        return server

    def _instance_name(self, name: str, server_id: str, seq: int) -> str:
        template = self.ctx.estate.instance_name_template
        try:
            return template % {
                "display_name": name,
                "uuid": server_id,
                "seq": seq,
                "id": seq,
                "name": name,
            }
        except (KeyError, ValueError, TypeError):
            return f"instance-{seq:08x}"

    def _allocate_ports(
        self, server: Server, request: ServerRequest, caller: Caller, context: LogContext
    ) -> None:
        for net in request.networks:
            network_id = net.network_id
            if network_id is None and net.port_id is None:
                continue
            try:
                self.networks.allocate_server_port(
                    network_id=network_id or "",
                    fixed_ip=net.fixed_ip,
                    port_id=net.port_id,
                    server_id=server.id,
                    project_id=server.project_id,
                    caller=caller,
                    context=context,
                )
            except ApiError as problem:
                status = 409 if problem.status == 409 else 400
                raise ApiError("badRequest", problem.message, status=status) from None

    def _map_volumes(
        self, server: Server, request: ServerRequest, caller: Caller, context: LogContext
    ) -> None:
        mappings: list[VolumeMapping] = []
        for spec in sorted(request.volumes, key=_boot_first):
            device = spec.device_name or f"/dev/sd{DEVICE_LETTERS[len(mappings)]}"
            if spec.source_type == "volume" and spec.uuid:
                self.volumes.reserve(spec.uuid, server.id, caller)
                volume_id = spec.uuid
            else:
                volume_id = self._create_volume_for(server, spec, caller, context)
            mappings.append(
                VolumeMapping(volume_id, device, spec.boot_index, spec.delete_on_termination)
            )
            server.volumes = [asdict(m) for m in mappings]

    def _create_volume_for(
        self, server: Server, spec: VolumeRequest, caller: Caller, context: LogContext
    ) -> str:
        size = spec.volume_size
        if size is None and spec.source_type == "image" and spec.uuid:
            size = max(self.images.image(spec.uuid, caller).min_disk, 1)
        if not size:
            raise bad_request(
                "Block Device Mapping is Invalid: volume_size is required for a blank volume."
            )
        volume = self.volumes.create(
            caller,
            size=size,
            name=f"{server.name}-boot" if spec.boot_index == 0 else None,
            volume_type=spec.volume_type,
            image_id=spec.uuid if spec.source_type == "image" else None,
            bootable=spec.boot_index == 0,
            context=context,
        )
        return str(volume.id)

    def _discard(self, server: Server, context: LogContext) -> None:
        """Undo a create that failed validation half-way: nothing of it remains."""
        self.networks.release_server_ports(server.id, context)
        for mapping in server.mappings():
            self.volumes.unreserve(mapping.volume_id, server.id)
        self.servers.pop(server.id, None)
        self.ctx.store.delete("server", server.id)

    # -- lifecycle -------------------------------------------------------------------------
    def _behaviour(self, server: Server) -> Behaviour | None:
        return self.behaviours.for_server(server.name, server.metadata)

    def _enter(self, server: Server, task_state: str, seconds: float | None = None) -> None:
        server.task_state = task_state
        duration = self.ctx.estate.timings.get(task_state, 1.0) if seconds is None else seconds
        rule = self._behaviour(server)
        if rule and rule.mode == "stuck_in_build" and task_state == "spawning":
            duration += rule.seconds
        self._schedule(server, task_state, duration)

    def _schedule(self, server: Server, step: str, seconds: float) -> None:
        server.step = step
        server.step_due = self.ctx.engine.after(seconds, STEP_TOPIC, server.id)
        server.updated = self.ctx.clock.now()
        self._save(server)

    def _on_step(self, server_id: str, due: float) -> None:
        server = self.servers.get(server_id)
        if server is None or server.deleted or server.step_due != due or server.step is None:
            return  # stale: the server moved on (deleted, re-scheduled) since this was queued
        step, server.step, server.step_due = server.step, None, None
        server.updated = due
        handler = _STEP_HANDLERS.get(step)
        if handler is not None:
            handler(self, server, due)
        self._save(server)

    def _failing_rule(self, server: Server, task_state: str) -> Behaviour | None:
        rule = self._behaviour(server)
        if rule and rule.mode == "fail_at" and rule.task_state == task_state:
            return rule
        return None

    def _end_scheduling(self, server: Server, now: float) -> None:
        context = server.log_context()
        rule = self._failing_rule(server, "scheduling")
        problem = rule_violations(
            server.flavor["ram"], server.flavor["vcpus"], server.flavor["extra_specs"]
        )
        if problem or rule:
            message = problem or (rule.message if rule else "")
            self._log_conductor(server, f"Build of instance {server.id} aborted: {message}")
            self._fail(server, message or "Injected failure at scheduling", now)
            return
        spec = powervm.parse_template(
            server.flavor["ram"], server.flavor["vcpus"], server.flavor["extra_specs"]
        )
        memory, units = powervm.resource_claim(spec)
        try:
            host = self.hosts.place(server.id, Claim(memory, units), server.requested_host)
        except NoValidHost as failure:
            self.ctx.logs.write(
                "nova-scheduler",
                "INFO",
                "nova.scheduler.manager",
                f"Got no allocation candidates from the Placement API. {failure.reason}",
                context,
            )
            self._log_conductor(
                server, f"Failed to schedule instances: NoValidHost_Remote: {failure}"
            )
            self._fail(server, str(failure), now)
            return
        server.host, server.claimed = host.name, True
        server.claim_memory_mb, server.claim_units = memory, str(units)
        self.ctx.logs.write(
            f"nova-compute-{host.name}",
            "INFO",
            "nova.compute.claims",
            f"[instance: {server.id}] Claim successful on node {host.name}: memory "
            f"{memory} MB, processing units {powervm.format_units(units)}",
            context,
        )
        if self.hosts.start_or_queue(host, server.id):
            self._enter(server, "block_device_mapping")
        else:
            server.queued = True
            self.ctx.logs.write(
                f"nova-compute-{host.name}",
                "INFO",
                "nova.compute.manager",
                f"[instance: {server.id}] Waiting for a deploy slot: {len(host.deploying)} "
                f"deploys running, the host allows {host.spec.max_concurrent_deploys}",
                context,
            )

    def _log_conductor(self, server: Server, message: str) -> None:
        self.ctx.logs.write(
            "nova-conductor",
            "ERROR",
            "nova.conductor.manager",
            f"[instance: {server.id}] {message}",
            server.log_context(),
        )

    def _start_queued(self, server_id: str | None) -> None:
        server = self.servers.get(server_id or "")
        if server is None or server.deleted:
            return
        server.queued = False
        self._enter(server, "block_device_mapping")

    def _end_block_device_mapping(self, server: Server, now: float) -> None:
        mappings = server.mappings()
        if any(not m.attached and not self.volumes.is_ready(m.volume_id) for m in mappings):
            self._schedule(server, "block_device_mapping", RETRY_SECONDS)  # volume creating
            return
        for mapping in mappings:
            if not mapping.attached:
                self.volumes.begin_attach(
                    mapping.volume_id,
                    server.id,
                    server.host or "",
                    mapping.device,
                    server.log_context(),
                )
                mapping.attached = True
                self._log_compute(
                    server, f"Attaching volume {mapping.volume_id} to {mapping.device}"
                )
        server.volumes = [asdict(m) for m in mappings]
        self._next_or_fail(server, "block_device_mapping", "networking", now)

    def _end_networking(self, server: Server, now: float) -> None:
        self.networks.bind_server_ports(server.id, server.host or "", server.log_context())
        self._next_or_fail(server, "networking", "spawning", now)

    def _end_spawning(self, server: Server, now: float) -> None:
        rule = self._failing_rule(server, "spawning")
        if rule:
            self._deploy_failed(server, rule.message or "Injected failure at spawning", now)
            return
        server.status, server.vm_state, server.task_state = "ACTIVE", "active", None
        server.power_state, server.launched_at = POWER_RUNNING, now
        took = now - server.created
        self._log_compute(server, f"Took {took:.2f} seconds to build instance.")
        self._finish_action(server, "create", now, ok=True)
        self._start_queued(self.hosts.finish_deploy(server.host, server.id))
        after = self._behaviour(server)
        if after and after.mode == "active_then_error":
            self._schedule(server, "error_after_active", after.seconds)

    def _next_or_fail(self, server: Server, current: str, following: str, now: float) -> None:
        rule = self._failing_rule(server, current)
        if rule:
            self._deploy_failed(server, rule.message or f"Injected failure at {current}", now)
        else:
            self._enter(server, following)

    def _deploy_failed(self, server: Server, message: str, now: float) -> None:
        self.ctx.logs.write(
            f"nova-compute-{server.host}",
            "ERROR",
            "nova.compute.manager",
            f"[instance: {server.id}] Instance failed to spawn: {message}",
            server.log_context(),
        )
        self._fail(server, message, now)
        self._start_queued(self.hosts.finish_deploy(server.host, server.id))

    def _error_after_active(self, server: Server, now: float) -> None:
        rule = self._behaviour(server)
        message = rule.message if rule and rule.message else "The virtual machine failed."
        self._log_compute(server, f"Instance went to ERROR: {message}", level="ERROR")
        server.fault = _fault(message, now, 500)
        server.status, server.vm_state, server.task_state = "ERROR", "error", None
        server.power_state = POWER_NOSTATE

    def _fail(self, server: Server, message: str, now: float) -> None:
        server.status, server.vm_state, server.task_state = "ERROR", "error", None
        server.power_state = POWER_NOSTATE
        server.fault = _fault(message, now, 500)
        server.queued = False
        if server.claimed:
            self.hosts.release(server.host, server.id, server.claim)
            server.claimed = False
        for mapping in server.mappings():
            if mapping.attached:
                self.volumes.begin_detach(mapping.volume_id, server.id, server.log_context())
            else:
                self.volumes.unreserve(mapping.volume_id, server.id)
        server.volumes = []
        self._finish_action(server, "create", now, ok=False, message=message)

    def _log_compute(self, server: Server, message: str, level: str = "INFO") -> None:
        process = f"nova-compute-{server.host}" if server.host else "nova-conductor"
        self.ctx.logs.write(
            process,
            level,
            "nova.compute.manager",
            f"[instance: {server.id}] {message}",
            server.log_context(),
        )

    # -- delete ----------------------------------------------------------------------------
    def delete(self, server_id: str, caller: Caller, request_id: str) -> None:
        server = self.server(server_id, caller)
        _require_unlocked(server, caller, "delete")
        if not caller.can_write:
            raise forbidden("Policy doesn't allow os_compute_api:servers:delete to be performed.")
        self._record_action(server, "delete", request_id, caller)
        server.request_id = request_id
        server.task_state = "deleting"
        self._schedule(server, "delete", self.ctx.estate.timings.get("server_delete", 2.0))

    def _end_delete(self, server: Server, now: float) -> None:
        context = server.log_context()
        if server.status == "BUILD" and server.host:
            self._start_queued(self.hosts.finish_deploy(server.host, server.id))
        if server.claimed:
            self.hosts.release(server.host, server.id, server.claim)
            server.claimed = False
        for mapping in server.mappings():
            if mapping.attached:
                self.volumes.begin_detach(mapping.volume_id, server.id, context)
                if mapping.delete_on_termination:
                    self.volumes.delete_when_detached(mapping.volume_id, context)
            else:
                self.volumes.unreserve(mapping.volume_id, server.id)
        self.networks.release_server_ports(server.id, context)
        self._log_compute(server, "Took 0 seconds to destroy the instance on the hypervisor.")
        server.volumes = []
        server.status, server.vm_state, server.task_state = "DELETED", "deleted", None
        server.power_state, server.terminated_at, server.deleted = POWER_NOSTATE, now, True
        server.queued = False

    # -- power actions ---------------------------------------------------------------------
    def power_action(
        self,
        server_id: str,
        action: str,
        caller: Caller,
        request_id: str,
        reboot_type: str = "SOFT",
    ) -> None:
        server = self.server(server_id, caller)
        if not caller.can_write:
            raise forbidden(
                f"Policy doesn't allow os_compute_api:servers:{action} to be performed."
            )
        _require_unlocked(server, caller, action)
        allowed = {
            "stop": ("active",),
            "start": ("stopped",),
            "reboot": ("active", "stopped", "error") if reboot_type == "HARD" else ("active",),
        }[action]
        if server.vm_state not in allowed or server.task_state is not None:
            state = server.vm_state if server.task_state is None else server.task_state
            kind = "task_state" if server.task_state is not None else "vm_state"
            raise conflict(f"Cannot '{action}' instance {server.id} while it is in {kind} {state}")
        self._record_action(server, action, request_id, caller)
        server.request_id = request_id
        if action == "stop":
            server.task_state = "powering-off"
            self._schedule(server, "stop", self.ctx.estate.timings.get("power_off", 2.0))
        elif action == "start":
            server.task_state = "powering-on"
            self._schedule(server, "start", self.ctx.estate.timings.get("power_on", 3.0))
        else:
            hard = reboot_type == "HARD"
            server.status = "HARD_REBOOT" if hard else "REBOOT"
            server.task_state = "reboot_started_hard" if hard else "reboot_started"
            self._schedule(server, "reboot", self.ctx.estate.timings.get("reboot", 4.0))

    def _end_stop(self, server: Server, now: float) -> None:
        server.status, server.vm_state, server.task_state = "SHUTOFF", "stopped", None
        server.power_state = POWER_SHUTDOWN
        self._finish_action(server, "stop", now, ok=True)

    def _end_start(self, server: Server, now: float) -> None:
        server.status, server.vm_state, server.task_state = "ACTIVE", "active", None
        server.power_state = POWER_RUNNING
        self._finish_action(server, "start", now, ok=True)

    def _end_reboot(self, server: Server, now: float) -> None:
        server.status, server.vm_state, server.task_state = "ACTIVE", "active", None
        server.power_state = POWER_RUNNING
        self._finish_action(server, "reboot", now, ok=True)

    # -- updates ---------------------------------------------------------------------------
    def update(self, server_id: str, caller: Caller, changes: Mapping[str, Any]) -> Server:
        server = self.server(server_id, caller)
        if not caller.can_write:
            raise forbidden("Policy doesn't allow os_compute_api:servers:update to be performed.")
        if "name" in changes:
            server.name = str(changes["name"])
        if "description" in changes:
            server.description = changes["description"]
        server.updated = self.ctx.clock.now()
        self._save(server)
        return server

    def set_metadata(
        self, server_id: str, caller: Caller, items: Mapping[str, str], *, replace: bool
    ) -> dict[str, str]:
        server = self.server(server_id, caller)
        if not caller.can_write:
            raise forbidden(
                "Policy doesn't allow os_compute_api:server-metadata:update to be performed."
            )
        merged = dict(items) if replace else {**server.metadata, **items}
        if len(merged) > 128:
            raise ApiError(
                "forbidden",
                "Quota exceeded for metadata_items: Requested "
                f"{len(merged)}, but already used 0 of 128 metadata_items",
            )
        server.metadata = merged
        server.updated = self.ctx.clock.now()
        self._save(server)
        return server.metadata

    def delete_metadata(self, server_id: str, caller: Caller, key: str) -> None:
        server = self.server(server_id, caller)
        if key not in server.metadata:
            raise not_found("Metadata item was not found")
        del server.metadata[key]
        server.updated = self.ctx.clock.now()
        self._save(server)

    def set_locked(self, server_id: str, caller: Caller, locked: bool, request_id: str) -> None:
        server = self.server(server_id, caller)
        server.locked = locked
        self._record_action(server, "lock" if locked else "unlock", request_id, caller)
        self._save(server)

    # -- volume attachments ----------------------------------------------------------------
    def attach_volume(
        self,
        server_id: str,
        volume_id: str,
        caller: Caller,
        request_id: str,
        device: str | None,
        multiattach_allowed: bool,
    ) -> VolumeMapping:
        server = self.server(server_id, caller)
        _require_unlocked(server, caller, "attach_volume")
        if server.vm_state not in ("active", "stopped") or server.task_state is not None:
            raise conflict(
                f"Cannot 'attach_volume' instance {server.id} while it is in "
                f"vm_state {server.vm_state}"
            )
        try:
            volume = self.volumes.volume(volume_id, caller)
        except ApiError:
            raise not_found(f"Volume {volume_id} could not be found.") from None
        if volume.multiattach and not multiattach_allowed:
            raise bad_request(
                "Multiattach volumes are only supported starting with compute API version 2.60."
            )
        mappings = server.mappings()
        if any(m.volume_id == volume_id for m in mappings):
            raise bad_request(
                f"Invalid volume: volume {volume_id} is already attached to instance {server.id}"
            )
        self.volumes.reserve(volume_id, server.id, caller)
        used = {m.device for m in mappings}
        device = device or next(f"/dev/sd{c}" for c in DEVICE_LETTERS if f"/dev/sd{c}" not in used)
        mapping = VolumeMapping(volume_id, device, None, False, attached=True)
        context = LogContext(request_id, caller.user_id, caller.project_id or "-")
        self.volumes.begin_attach(volume_id, server.id, server.host or "", device, context)
        server.volumes = [asdict(m) for m in [*mappings, mapping]]
        self._record_action(server, "attach_volume", request_id, caller)
        self._finish_action(server, "attach_volume", self.ctx.clock.now(), ok=True)
        server.updated = self.ctx.clock.now()
        self._save(server)
        return mapping

    def detach_volume(
        self, server_id: str, volume_id: str, caller: Caller, request_id: str
    ) -> None:
        server = self.server(server_id, caller)
        _require_unlocked(server, caller, "detach_volume")
        mappings = server.mappings()
        mapping = next((m for m in mappings if m.volume_id == volume_id), None)
        if mapping is None:
            raise not_found(f"volume_id not found: {volume_id}")
        if mapping.boot_index == 0:
            raise bad_request("Can't detach root device volume")
        context = LogContext(request_id, caller.user_id, caller.project_id or "-")
        self.volumes.begin_detach(volume_id, server.id, context)
        server.volumes = [asdict(m) for m in mappings if m.volume_id != volume_id]
        self._record_action(server, "detach_volume", request_id, caller)
        self._finish_action(server, "detach_volume", self.ctx.clock.now(), ok=True)
        server.updated = self.ctx.clock.now()
        self._save(server)

    # -- instance actions ------------------------------------------------------------------
    def _record_action(self, server: Server, action: str, request_id: str, caller: Caller) -> None:
        record = InstanceAction(
            id=uuid.uuid4().hex,
            server_id=server.id,
            action=action,
            request_id=request_id,
            user_id=caller.user_id,
            project_id=caller.project_id or server.project_id,
            start_time=self.ctx.clock.now(),
        )
        record.events.append(
            {
                "event": f"compute_{action}_instance",
                "start_time": record.start_time,
                "finish_time": None,
                "result": None,
                "traceback": None,
                "host": server.host,
            }
        )
        self.actions.setdefault(server.id, []).append(record)
        self._save_action(record)

    def _finish_action(
        self, server: Server, action: str, now: float, *, ok: bool, message: str | None = None
    ) -> None:
        for record in reversed(self.actions.get(server.id, [])):
            if record.action == action:
                record.message = None if ok else "Error"
                record.updated_at = now
                for event in record.events:
                    if event["finish_time"] is None:
                        event.update(
                            finish_time=now,
                            result="Success" if ok else "Error",
                            host=server.host,
                            traceback=None if ok else f"Fault: {message}",
                        )
                self._save_action(record)
                return

    def instance_actions(self, server_id: str, caller: Caller) -> list[InstanceAction]:
        server = self.servers.get(server_id)
        if server is None or not _visible(server, caller):
            raise not_found(f"Instance {server_id} could not be found.")
        return list(self.actions.get(server_id, []))

    # -- reporting -------------------------------------------------------------------------
    def host_id(self, server: Server) -> str:
        if not server.host:
            return ""
        return hashlib.sha224((server.project_id + server.host).encode()).hexdigest()

    def usage(self, project_id: str) -> dict[str, int]:
        mine = [s for s in self.servers.values() if s.project_id == project_id and not s.deleted]
        return {
            "instances": len(mine),
            "cores": sum(int(s.flavor["vcpus"]) for s in mine),
            "ram": sum(int(s.flavor["ram"]) for s in mine),
        }


_STEP_HANDLERS = {
    "scheduling": ComputeBackend._end_scheduling,
    "block_device_mapping": ComputeBackend._end_block_device_mapping,
    "networking": ComputeBackend._end_networking,
    "spawning": ComputeBackend._end_spawning,
    "delete": ComputeBackend._end_delete,
    "stop": ComputeBackend._end_stop,
    "start": ComputeBackend._end_start,
    "reboot": ComputeBackend._end_reboot,
    "error_after_active": ComputeBackend._error_after_active,
}


def _visible(server: Server, caller: Caller) -> bool:
    return caller.is_admin or server.project_id == caller.project_id


def _require_unlocked(server: Server, caller: Caller, action: str) -> None:
    if server.locked and not caller.is_admin:
        raise conflict(f"Instance {server.id} is locked")


def _requested_host(zone: str | None) -> str | None:
    """PowerVC's `availability_zone` forms `:<host>` and `<zone>:<host>` name a host."""
    if zone and ":" in zone:
        host = zone.split(":", 1)[1]
        return host or None
    return None


def _boot_first(spec: VolumeRequest) -> tuple[int, int]:
    if spec.boot_index is None or spec.boot_index < 0:
        return (1, 0)
    return (0, spec.boot_index)


def _flavor_snapshot(request: ServerRequest) -> dict[str, Any]:
    """What the server keeps of its flavor (nova embeds this copy in 2.47+ bodies)."""
    if request.flavor is not None:
        flavor = request.flavor
        return {
            "id": flavor.id,
            "original_name": flavor.name,
            "ram": flavor.ram,
            "vcpus": flavor.vcpus,
            "disk": flavor.disk,
            "ephemeral": flavor.ephemeral,
            "swap": flavor.swap,
            "extra_specs": dict(flavor.extra_specs),
        }
    inline = request.inline_flavor or {}
    return {
        "id": None,
        "original_name": "inline",
        "ram": int(inline["ram"]),
        "vcpus": int(inline["vcpus"]),
        "disk": int(inline.get("disk", 0)),
        "ephemeral": 0,
        "swap": 0,
        "extra_specs": {str(k): str(v) for k, v in (inline.get("extra_specs") or {}).items()},
    }


def _fault(message: str, now: float, code: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "created": now,
        "details": f"Traceback (most recent call last):\n  ...\n{message}",
    }
