"""Nova servers on PowerVM: create, lifecycle, power actions, volume attachments, actions log.

A deploy is a transition table run by the clock: BUILD/scheduling (PowerVM rules of an inline
flavor, placement by the scheduler, a deploy slot on the host) -> block_device_mapping (volumes
attach) -> networking (ports bind) -> spawning -> ACTIVE, or ERROR with a fault. Behaviours can
fail a named VM at a task state, keep it in BUILD, or fail it after it became ACTIVE. Every step
writes to the logs of the service that does the work, with the request id of the API call
that started it, so a 202-accepted deploy that fails later can be followed by request id.

The estate side (hosts, host groups, collocation rules, storage connectivity groups, the
scheduler) and the mobility actions (live migration, maintenance, resize, rebuild, capture) live
in their own modules; they register their lifecycle steps here with `on_step`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from powerbridge import powervm
from powerbridge.emulator.backend.behaviours import Behaviour, Behaviours
from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.flavors import FlavorBackend, rule_violations
from powerbridge.emulator.backend.host_groups import HostGroupBackend
from powerbridge.emulator.backend.hosts import HostInventory, NoValidHost
from powerbridge.emulator.backend.identity import Caller
from powerbridge.emulator.backend.image import ImageBackend
from powerbridge.emulator.backend.instance_actions import InstanceActionLog
from powerbridge.emulator.backend.maintenance import HostMaintenance
from powerbridge.emulator.backend.migration import LiveMigrations
from powerbridge.emulator.backend.network import NetworkBackend
from powerbridge.emulator.backend.placement import Scheduler
from powerbridge.emulator.backend.power import PowerActions
from powerbridge.emulator.backend.resize import Resizes
from powerbridge.emulator.backend.scheduling import ServerPlacement, template_claim
from powerbridge.emulator.backend.server_groups import ServerGroupBackend
from powerbridge.emulator.backend.server_images import ServerImages
from powerbridge.emulator.backend.server_records import (
    POWER_NOSTATE,
    POWER_RUNNING,
    InstanceAction,
    NetworkRequest,
    Server,
    ServerRequest,
    VolumeMapping,
    VolumeRequest,
    access_ip,
    flavor_snapshot,
    make_fault,
    requested_host,
    requested_zone,
    require_unlocked,
)
from powerbridge.emulator.backend.storage_connectivity import ConnectivityBackend
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.backend.volume_attachments import VolumeAttachments
from powerbridge.emulator.errors import ApiError, bad_request, forbidden, not_found
from powerbridge.emulator.estate import DEFAULT_ZONE
from powerbridge.emulator.logs import LogContext

__all__ = [
    "ComputeBackend",
    "InstanceAction",
    "NetworkRequest",
    "Server",
    "ServerRequest",
    "VolumeMapping",
    "VolumeRequest",
]

BUILD_STEPS = ("scheduling", "block_device_mapping", "networking", "spawning")
STEP_TOPIC = "server.step"
DEVICE_LETTERS = "abcdefghijklmnopqrstuvwxyz"
RETRY_SECONDS = 0.5
StepHandler = Callable[[Server, float], None]


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
        self.scheduler = Scheduler(self.hosts)
        self.host_groups = HostGroupBackend(ctx, self.hosts, on_change=self.configure_scheduler)
        self.server_groups = ServerGroupBackend(ctx, host_of=self._host_of)
        self.connectivity = ConnectivityBackend(ctx, self.hosts)
        self.placement = ServerPlacement(
            inventory=self.hosts,
            scheduler=self.scheduler,
            host_groups=self.host_groups,
            server_groups=self.server_groups,
            connectivity=self.connectivity,
            volumes=volumes,
        )
        self.configure_scheduler()
        self.servers: dict[str, Server] = {}
        self._by_project: dict[str, dict[str, Server]] = {}  # a project's list, not a scan
        self._seq = 0
        for body in ctx.store.load("server"):
            server = Server(**body)
            self._add(server)
            self._seq = max(self._seq, server.seq)
        self.action_log = InstanceActionLog(ctx)
        self.step_handlers: dict[str, StepHandler] = {
            "scheduling": self._end_scheduling,
            "block_device_mapping": self._end_block_device_mapping,
            "networking": self._end_networking,
            "spawning": self._end_spawning,
            "delete": self._end_delete,
            "error_after_active": self._error_after_active,
        }
        ctx.engine.on(STEP_TOPIC, self._on_step)
        self.power = PowerActions(self)
        self.attachments = VolumeAttachments(self)
        self.migrations = LiveMigrations(self)
        self.maintenance = HostMaintenance(self)
        self.resizes = Resizes(self)
        self.server_images = ServerImages(self)

    def on_step(self, step: str, handler: StepHandler) -> None:
        """Run `handler(server, due)` when a server's `step` falls due."""
        self.step_handlers[step] = handler

    def configure_scheduler(self) -> None:
        self.scheduler.configure(self.host_groups.scopes(), self.host_groups.default_policy())

    def _host_of(self, server_id: str) -> str | None:
        server = self.servers.get(server_id)
        return server.host if server is not None and not server.deleted else None

    def seed(self, owner_project_id: str) -> None:
        self.flavors.seed(owner_project_id)
        self.host_groups.seed()
        self.connectivity.seed()

    def resume(self) -> None:
        """Rebuild host usage and re-schedule unfinished steps after a restart."""
        live = sorted((s for s in self.servers.values() if not s.deleted), key=lambda s: s.created)
        for server in live:
            host = self.hosts.host(server.host or "")
            if server.claimed and host is not None:
                self.hosts.claim(host, server.id, server.claim)
                target = self.hosts.host(server.migration_target or "")
                if target is not None:
                    self.hosts.claim(target, server.id, server.claim)
                if server.queued:
                    host.waiting.append(server.id)
                elif server.status == "BUILD" and server.task_state != "scheduling":
                    host.deploying.add(server.id)
            if server.step is not None and server.step_due is not None:
                self.ctx.engine.schedule(server.step_due, STEP_TOPIC, server.id)

    # -- persistence and lookups -----------------------------------------------------------
    def save(self, server: Server) -> None:
        self.ctx.store.put("server", server.id, asdict(server))

    def server(self, server_id: str, caller: Caller) -> Server:
        server = self.servers.get(server_id)
        if server is None or server.deleted or not _visible(server, caller):
            raise not_found(f"Instance {server_id} could not be found.")
        return server

    def list_servers(
        self, caller: Caller, *, all_tenants: bool = False, include_deleted: bool = False
    ) -> list[Server]:
        if all_tenants and caller.is_admin:
            candidates = self.servers
        else:
            candidates = self._by_project.get(caller.project_id or "", {})
        if include_deleted:
            return list(candidates.values())
        return [s for s in candidates.values() if not s.deleted]

    def _add(self, server: Server) -> None:
        self.servers[server.id] = server
        self._by_project.setdefault(server.project_id, {})[server.id] = server

    def _remove(self, server: Server) -> None:
        self.servers.pop(server.id, None)
        self._by_project.get(server.project_id, {}).pop(server.id, None)

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
        request = dataclasses.replace(
            request,
            access_ip_v4=access_ip(request.access_ip_v4, 4),
            access_ip_v6=access_ip(request.access_ip_v6, 6),
        )
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
        self._check_placement_request(request.availability_zone)
        group_id = self._group_hint(request, caller)
        if request.image_id:
            request = dataclasses.replace(
                request, volumes=self._with_image_volumes(request, request.image_id, caller)
            )
        reservation = f"r-{secrets.token_hex(4)}"
        created: list[Server] = []
        try:
            for index in range(request.max_count):
                name = request.name
                if request.max_count > 1:
                    name = f"{request.name}-{index + 1}"
                server = self._create_one(
                    caller, request, name, index, reservation, request_id, context
                )
                created.append(server)
                if group_id:
                    self.server_groups.add_member(group_id, server.id)
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

    def _check_placement_request(self, zone: str | None) -> None:
        """`<zone>`, `:<host>` or `<zone>:<host>`: the zone must exist, the host be managed."""
        wanted = requested_zone(zone)
        if wanted and wanted not in self.host_groups.zones():
            raise bad_request("The requested availability zone is not available")
        host_name = requested_host(zone)
        if host_name and self.hosts.by_display_name(host_name) is None:
            raise bad_request(
                f"No valid host was found. Host {host_name} is not managed by PowerVC."
            )

    def _group_hint(self, request: ServerRequest, caller: Caller) -> str | None:
        group_id = request.scheduler_hints.get("group")
        if group_id is None:
            return None
        if not isinstance(group_id, str):
            raise bad_request("Invalid input for field/attribute group: a server group id.")
        return self.server_groups.check_hint(group_id, caller).id

    def _with_image_volumes(
        self, request: ServerRequest, image_id: str, caller: Caller
    ) -> list[VolumeRequest]:
        """A captured image deploys by cloning the volumes its block device mapping names;
        a request entry booting "from this image" (what the CLI sends) stands for them."""
        try:
            mapping = json.loads(
                self.images.image(image_id, caller).properties.get("block_device_mapping") or "[]"
            )
        except ValueError:
            return request.volumes
        if not isinstance(mapping, list):
            return request.volumes
        entries = [e for e in mapping if isinstance(e, dict) and e.get("volume_id")]
        if not entries:
            return request.volumes
        others = [
            v for v in request.volumes if not (v.source_type == "image" and v.uuid == image_id)
        ]
        has_boot = any(v.boot_index == 0 for v in others)
        clones = [
            VolumeRequest(
                source_type="image_volume",
                uuid=str(entry["volume_id"]),
                boot_index=entry.get("boot_index"),
                volume_size=entry.get("volume_size"),
                delete_on_termination=True,
                device_name=entry.get("device_name"),
            )
            for entry in entries
            if not (has_boot and entry.get("boot_index") == 0)
        ]
        return [*clones, *others]

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
            flavor=flavor_snapshot(request.flavor, request.inline_flavor),
            image_id=request.image_id or None,
            created=now,
            updated=now,
            request_id=request_id,
            seq=seq,
            instance_name=self._instance_name(name, server_id, seq),
            availability_zone=request.availability_zone,
            requested_host=requested_host(request.availability_zone),
            metadata=dict(request.metadata),
            key_name=request.key_name,
            user_data=request.user_data,
            config_drive="True" if request.config_drive else "",
            description=request.description,
            tags=list(request.tags),
            reservation_id=reservation,
            launch_index=index,
            access_ip_v4=request.access_ip_v4,
            access_ip_v6=request.access_ip_v6,
        )
        self._add(server)
        try:
            self._allocate_ports(server, request, caller, context)
            self._map_volumes(server, request, caller, context)
        except ApiError:
            self._discard(server, context)
            raise
        self.action_log.record(server, "create", request_id, caller)
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
                    context=context.internal_call(),
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
        if spec.source_type == "image_volume":
            return self._clone_image_volume(server, spec, caller, context)
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
            context=context.internal_call(),
        )
        return str(volume.id)

    def _clone_image_volume(
        self, server: Server, spec: VolumeRequest, caller: Caller, context: LogContext
    ) -> str:
        # the image's volume may belong to the project that captured it: read it elevated,
        # as nova does, while the clone belongs to the deploying project
        elevated = dataclasses.replace(caller, roles=(*caller.roles, "admin"))
        boot = spec.boot_index == 0
        volume = self.volumes.create(
            elevated,
            size=spec.volume_size or 0,
            name=f"{server.name}-boot" if boot else f"{server.name}-data",
            bootable=boot,
            source_volid=spec.uuid,
            context=context.internal_call(),
        )
        return str(volume.id)

    def _discard(self, server: Server, context: LogContext) -> None:
        """Undo a create that failed validation half-way: nothing of it remains."""
        self.server_groups.remove_member(server.id)
        self.networks.release_server_ports(server.id, context.internal_call())
        for mapping in server.mappings():
            self.volumes.unreserve(mapping.volume_id, server.id)
        self._remove(server)
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
        self.schedule_step(server, task_state, duration)

    def schedule_step(self, server: Server, step: str, seconds: float) -> None:
        server.step = step
        server.step_due = self.ctx.engine.after(seconds, STEP_TOPIC, server.id)
        server.updated = self.ctx.clock.now()
        self.save(server)

    def _on_step(self, server_id: str, due: float) -> None:
        server = self.servers.get(server_id)
        if server is None or server.deleted or server.step_due != due or server.step is None:
            return  # stale: the server moved on (deleted, re-scheduled) since this was queued
        step, server.step, server.step_due = server.step, None, None
        server.updated = due
        handler = self.step_handlers.get(step)
        if handler is not None:
            handler(server, due)
        self.save(server)

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
        claim = template_claim(server.flavor)
        try:
            host = self.placement.place_new(server, claim)
        except NoValidHost as failure:
            self.log_no_valid_host(server, failure, server.log_context())
            self._log_conductor(
                server, f"Failed to schedule instances: NoValidHost_Remote: {failure}"
            )
            self._fail(server, str(failure), now)
            return
        server.host, server.claimed = host.name, True
        server.set_claim(claim)
        server.availability_zone = self.scheduler.zone_of(host.name) or DEFAULT_ZONE
        self.ctx.logs.write(
            f"nova-compute-{host.name}",
            "INFO",
            "nova.compute.claims",
            f"[instance: {server.id}] Claim successful on node {host.name}: memory "
            f"{claim.memory_mb} MB, processing units {powervm.format_units(claim.proc_units)}",
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

    def log_no_valid_host(
        self, server: Server, failure: NoValidHost, context: LogContext | None
    ) -> None:
        self.ctx.logs.write(
            "nova-scheduler",
            "INFO",
            "nova.scheduler.manager",
            f"[instance: {server.id}] Got no allocation candidates from the Placement API. "
            f"{failure.reason}",
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
            self.schedule_step(server, "block_device_mapping", RETRY_SECONDS)  # volume creating
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
                self.log_compute(
                    server, f"Attaching volume {mapping.volume_id} to {mapping.device}"
                )
        server.volumes = [asdict(m) for m in mappings]
        self._next_or_fail(server, "block_device_mapping", "networking", now)

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
        server.status, server.vm_state, server.task_state = "ACTIVE", "active", None
        server.power_state, server.launched_at = POWER_RUNNING, now
        took = now - server.created
        self.log_compute(server, f"Took {took:.2f} seconds to build instance.")
        self.action_log.finish(server, "create", now, ok=True)
        self._start_queued(self.hosts.finish_deploy(server.host, server.id))
        after = self._behaviour(server)
        if after and after.mode == "active_then_error":
            self.schedule_step(server, "error_after_active", after.seconds)

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
        self.log_compute(server, f"Instance went to ERROR: {message}", level="ERROR")
        server.fault = make_fault(message, now, 500)
        server.status, server.vm_state, server.task_state = "ERROR", "error", None
        server.power_state = POWER_NOSTATE

    def _fail(self, server: Server, message: str, now: float) -> None:
        server.status, server.vm_state, server.task_state = "ERROR", "error", None
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
        self.action_log.finish(server, "create", now, ok=False, message=message)

    def log_compute(self, server: Server, message: str, level: str = "INFO") -> None:
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
        require_unlocked(server, caller, "delete")
        if not caller.can_write:
            raise forbidden("Policy doesn't allow os_compute_api:servers:delete to be performed.")
        self.action_log.record(server, "delete", request_id, caller)
        server.request_id = request_id
        server.task_state = "deleting"
        self.schedule_step(server, "delete", self.ctx.estate.timings.get("server_delete", 2.0))

    def _end_delete(self, server: Server, now: float) -> None:
        context = server.log_context()
        if server.status == "BUILD" and server.host:
            self._start_queued(self.hosts.finish_deploy(server.host, server.id))
        if server.claimed:
            self.hosts.release(server.host, server.id, server.claim)
            server.claimed = False
        if server.migration_target:
            self.hosts.release(server.migration_target, server.id, server.claim)
            server.migration_target = None
        self.server_groups.remove_member(server.id)
        for mapping in server.mappings():
            if mapping.attached:
                self.volumes.begin_detach(mapping.volume_id, server.id, context.internal_call())
                if mapping.delete_on_termination:
                    self.volumes.delete_when_detached(mapping.volume_id, context.internal_call())
            else:
                self.volumes.unreserve(mapping.volume_id, server.id)
        self.networks.release_server_ports(server.id, context.internal_call())
        self.log_compute(server, "Took 0 seconds to destroy the instance on the hypervisor.")
        server.volumes = []
        server.status, server.vm_state, server.task_state = "DELETED", "deleted", None
        server.power_state, server.terminated_at, server.deleted = POWER_NOSTATE, now, True
        server.queued = False
        self.maintenance.progress(server.host)

    # -- updates ---------------------------------------------------------------------------
    def update(self, server_id: str, caller: Caller, changes: Mapping[str, Any]) -> Server:
        """`changes` may hold name, description, access_ip_v4, access_ip_v6."""
        server = self.server(server_id, caller)
        if not caller.can_write:
            raise forbidden("Policy doesn't allow os_compute_api:servers:update to be performed.")
        v4 = access_ip(str(changes.get("access_ip_v4", server.access_ip_v4)), 4)
        v6 = access_ip(str(changes.get("access_ip_v6", server.access_ip_v6)), 6)
        server.access_ip_v4, server.access_ip_v6 = v4, v6
        if "name" in changes:
            server.name = str(changes["name"])
        if "description" in changes:
            server.description = changes["description"]
        server.updated = self.ctx.clock.now()
        self.save(server)
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
        self.save(server)
        return server.metadata

    def delete_metadata(self, server_id: str, caller: Caller, key: str) -> None:
        server = self.server(server_id, caller)
        if key not in server.metadata:
            raise not_found("Metadata item was not found")
        del server.metadata[key]
        server.updated = self.ctx.clock.now()
        self.save(server)

    def set_locked(self, server_id: str, caller: Caller, locked: bool, request_id: str) -> None:
        server = self.server(server_id, caller)
        server.locked = locked
        self.action_log.record(server, "lock" if locked else "unlock", request_id, caller)
        self.save(server)

    def instance_actions(self, server_id: str, caller: Caller) -> list[InstanceAction]:
        server = self.servers.get(server_id)
        if server is None or not _visible(server, caller):
            raise not_found(f"Instance {server_id} could not be found.")
        return self.action_log.of(server_id)

    # -- helpers for the action modules -----------------------------------------------------
    def writable_server(self, server_id: str, caller: Caller, action: str) -> Server:
        """The server, if the caller may act on it (policy, lock)."""
        server = self.server(server_id, caller)
        if not caller.can_write:
            raise forbidden(
                f"Policy doesn't allow os_compute_api:servers:{action} to be performed."
            )
        require_unlocked(server, caller, action)
        return server

    def timing(self, name: str, default: float = 1.0) -> float:
        return float(self.ctx.estate.timings.get(name, default))

    # -- reporting -------------------------------------------------------------------------
    def host_id(self, server: Server) -> str:
        if not server.host:
            return ""
        return hashlib.sha224((server.project_id + server.host).encode()).hexdigest()

    def usage(self, project_id: str) -> dict[str, int]:
        mine = [s for s in self._by_project.get(project_id, {}).values() if not s.deleted]
        return {
            "instances": len(mine),
            "cores": sum(int(s.flavor["vcpus"]) for s in mine),
            "ram": sum(int(s.flavor["ram"]) for s in mine),
        }


def _visible(server: Server, caller: Caller) -> bool:
    return caller.is_admin or server.project_id == caller.project_id


def _boot_first(spec: VolumeRequest) -> tuple[int, int]:
    if spec.boot_index is None or spec.boot_index < 0:
        return (1, 0)
    return (0, spec.boot_index)
