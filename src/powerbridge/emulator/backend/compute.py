"""Nova servers on PowerVM: create, delete, updates, metadata, locks, the actions log.

A create validates everything first (image, networks, volumes, availability zone or host,
collocation rule), then accepts `max_count` servers at once (all or nothing) and hands each to
the deploy steps (`server_deploys`). Servers live in the `ServerRegistry` (`server_lifecycle`),
which the action modules (power, mobility, resize, images, volume attachments) share with this
one through its narrow `ServerLifecycle` interface.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.host_groups import HostGroupBackend
from powerbridge.emulator.backend.hosts import HostInventory
from powerbridge.emulator.backend.identity_records import Caller, require_writer
from powerbridge.emulator.backend.image import ImageBackend
from powerbridge.emulator.backend.keypairs import KeypairBackend
from powerbridge.emulator.backend.network import NetworkBackend
from powerbridge.emulator.backend.quotas import QuotaBackend
from powerbridge.emulator.backend.server_deploys import ServerDeploys
from powerbridge.emulator.backend.server_groups import ServerGroupBackend
from powerbridge.emulator.backend.server_keys import key_data_for
from powerbridge.emulator.backend.server_lifecycle import ServerRegistry
from powerbridge.emulator.backend.server_quota import ServerQuota
from powerbridge.emulator.backend.server_records import (
    POWER_NOSTATE,
    InstanceAction,
    Server,
    ServerRequest,
    VolumeMapping,
    VolumeRequest,
    access_ip,
    flavor_snapshot,
    requested_host,
    requested_zone,
    require_unlocked,
)
from powerbridge.emulator.backend.server_states import settle, start_task
from powerbridge.emulator.backend.settings import instance_name
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.errors import ApiError, bad_request, not_found
from powerbridge.emulator.logs import LogContext

DEVICE_LETTERS = "abcdefghijklmnopqrstuvwxyz"
HostLeft = Callable[[str | None], None]


class ComputeBackend:
    def __init__(
        self,
        ctx: BackendContext,
        registry: ServerRegistry,
        deploys: ServerDeploys,
        *,
        images: ImageBackend,
        networks: NetworkBackend,
        volumes: VolumeBackend,
        hosts: HostInventory,
        host_groups: HostGroupBackend,
        server_groups: ServerGroupBackend,
        on_deleted: HostLeft,
        keypairs: KeypairBackend | None = None,
        quotas: QuotaBackend | None = None,
    ) -> None:
        self.ctx = ctx
        self.quota = ServerQuota(quotas, self.usage) if quotas is not None else None
        self.registry = registry
        self.deploys = deploys
        self.images = images
        self.networks = networks
        self.volumes = volumes
        self.hosts = hosts
        self.host_groups = host_groups
        self.server_groups = server_groups
        self.on_deleted = on_deleted
        self.keypairs = keypairs
        registry.on_step("delete", self._end_delete)

    @property
    def servers(self) -> dict[str, Server]:
        return self.registry.servers

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
            self.registry.resume_steps(server)

    # -- lookups ---------------------------------------------------------------------------
    def server(self, server_id: str, caller: Caller) -> Server:
        return self.registry.server(server_id, caller)

    def list_servers(
        self, caller: Caller, *, all_tenants: bool = False, include_deleted: bool = False
    ) -> list[Server]:
        """The servers the caller lists, by (created, id) ascending, as nova sorts them."""
        project = None if all_tenants and caller.is_admin else caller.project_id or ""
        if include_deleted:
            return list(self.registry.in_creation_order(project))
        return self.registry.live_in_creation_order(project)

    # -- create ----------------------------------------------------------------------------
    def create_servers(
        self, caller: Caller, request: ServerRequest, request_id: str
    ) -> list[Server]:
        """Validate everything first, then create `max_count` servers (all or nothing)."""
        require_writer(caller, "os_compute_api:servers:create")
        if self.quota is not None:
            self.quota.check(caller, request)
        context = LogContext(request_id, caller.user_id, caller.project_id or "-")
        request = dataclasses.replace(
            request,
            access_ip_v4=access_ip(request.access_ip_v4, 4),
            access_ip_v6=access_ip(request.access_ip_v6, 6),
        )
        if request.image_id:
            self._check_image(request.image_id, caller, request)
        elif not any(v.boot_index == 0 for v in request.volumes):
            raise bad_request(
                "Block Device Mapping is Invalid: You specified more local "
                "devices than the limit allows"
            )
        for net in request.networks:
            if net.network_id:
                self._check_network(net.network_id, caller)
        key_data = self._key_data(caller, request.key_name)
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
                    caller, request, name, index, reservation, request_id, context, key_data
                )
                created.append(server)
                if group_id:
                    self.server_groups.add_member(group_id, server.id)
        except ApiError:
            for server in created:
                self._discard(server, context)
            raise
        return created

    def _key_data(self, caller: Caller, key_name: str | None) -> str | None:
        if self.keypairs is None:
            return None
        return key_data_for(self.keypairs, caller.user_id, key_name)

    def _check_image(self, image_id: str, caller: Caller, request: ServerRequest) -> None:
        try:
            image = self.images.image(image_id, caller)
        except ApiError:
            raise bad_request(f"Image {image_id} could not be found.") from None
        if request.flavor is not None and request.flavor.ram < image.min_ram:
            raise bad_request("Flavor's memory is too small for requested image.")

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
                if spec.boot_index == 0 and not volume.bootable:
                    raise bad_request(f"Block Device {spec.uuid} is not bootable.")
                if request.max_count > 1 and not volume.multiattach:
                    raise bad_request(
                        "Block Device Mapping is Invalid: a volume cannot be "
                        "attached to several servers unless it is multiattach."
                    )
            elif spec.source_type in ("image", "blank"):
                if spec.volume_type:
                    self.volumes.volume_type(spec.volume_type)
                if spec.source_type == "image" and spec.uuid:
                    self._check_image(spec.uuid, caller, request)

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
        key_data: str | None = None,
    ) -> Server:
        now = self.ctx.clock.now()
        server_id = str(uuid.uuid4())
        seq = self.registry.next_seq()
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
            instance_name=self._instance_name(
                name, server_id, seq, requested_host(request.availability_zone)
            ),
            availability_zone=request.availability_zone,
            requested_host=requested_host(request.availability_zone),
            metadata=dict(request.metadata),
            key_name=request.key_name,
            key_data=key_data,
            user_data=request.user_data,
            config_drive="True" if request.config_drive else "",
            description=request.description,
            tags=list(request.tags),
            reservation_id=reservation,
            launch_index=index,
            access_ip_v4=request.access_ip_v4,
            access_ip_v6=request.access_ip_v6,
        )
        self.registry.add(server)
        try:
            self._allocate_ports(server, request, caller, context)
            self._map_volumes(server, request, caller, context)
        except ApiError:
            self._discard(server, context)
            raise
        self.registry.record_action(server, "create", request_id, caller)
        self.ctx.logs.write(
            "nova-api",
            "INFO",
            "nova.compute.api",
            f"[instance: {server.id}] Creating server {name!r}",
            context,
        )
        self.deploys.start(server)
        return server

    def _instance_name(self, name: str, server_id: str, seq: int, host: str | None = None) -> str:
        """nova.conf's instance_name_template (a requested host's own, if its file sets one);
        the chosen host's template names the LPAR once it is scheduled (ServerDeploys)."""
        template = self.ctx.settings.nova.template_for(host)
        return instance_name(template, name, server_id, seq)

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
            min_disk_checked=False,
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
        self.registry.remove(server)

    # -- delete ----------------------------------------------------------------------------
    def delete(self, server_id: str, caller: Caller, request_id: str) -> None:
        server = self.server(server_id, caller)
        require_unlocked(server, caller, "delete")
        require_writer(caller, "os_compute_api:servers:delete")
        self.registry.record_action(server, "delete", request_id, caller)
        server.request_id = request_id
        start_task(server, "deleting")
        self.registry.schedule_step(server, "delete", self.registry.timing("server_delete", 2.0))

    def _end_delete(self, server: Server, now: float) -> None:
        context = server.log_context()
        if server.status == "BUILD" and server.host:
            self.deploys.release_slot(server)
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
        self.registry.log_compute(
            server, "Took 0 seconds to destroy the instance on the hypervisor."
        )
        server.volumes = []
        settle(server, "DELETED")
        server.power_state, server.terminated_at, server.deleted = POWER_NOSTATE, now, True
        server.queued = False
        self.on_deleted(server.host)

    # -- updates ---------------------------------------------------------------------------
    def update(self, server_id: str, caller: Caller, changes: Mapping[str, Any]) -> Server:
        """`changes` may hold name, description, access_ip_v4, access_ip_v6."""
        server = self.server(server_id, caller)
        require_writer(caller, "os_compute_api:servers:update")
        v4 = access_ip(str(changes.get("access_ip_v4", server.access_ip_v4)), 4)
        v6 = access_ip(str(changes.get("access_ip_v6", server.access_ip_v6)), 6)
        server.access_ip_v4, server.access_ip_v6 = v4, v6
        if "name" in changes:
            server.name = str(changes["name"])
        if "description" in changes:
            server.description = changes["description"]
        server.updated = self.ctx.clock.now()
        self.registry.save(server)
        return server

    def set_metadata(
        self, server_id: str, caller: Caller, items: Mapping[str, str], *, replace: bool
    ) -> dict[str, str]:
        server = self.server(server_id, caller)
        require_writer(caller, "os_compute_api:server-metadata:update")
        merged = dict(items) if replace else {**server.metadata, **items}
        if len(merged) > 128:
            raise ApiError(
                "forbidden",
                "Quota exceeded for metadata_items: Requested "
                f"{len(merged)}, but already used 0 of 128 metadata_items",
            )
        server.metadata = merged
        server.updated = self.ctx.clock.now()
        self.registry.save(server)
        return server.metadata

    def delete_metadata(self, server_id: str, caller: Caller, key: str) -> None:
        server = self.server(server_id, caller)  # another project's: 404
        # a reader reads metadata, deletes none (nova's policy first)
        require_writer(caller, "os_compute_api:server-metadata:delete")
        if key not in server.metadata:
            raise not_found("Metadata item was not found")
        del server.metadata[key]
        server.updated = self.ctx.clock.now()
        self.registry.save(server)

    def set_locked(self, server_id: str, caller: Caller, locked: bool, request_id: str) -> None:
        server = self.server(server_id, caller)
        verb = "lock" if locked else "unlock"  # nova's os-lock-server policy, then the lock
        require_writer(caller, f"os_compute_api:os-lock-server:{verb}")
        server.locked = locked
        self.registry.record_action(server, "lock" if locked else "unlock", request_id, caller)
        self.registry.save(server)

    def instance_actions(self, server_id: str, caller: Caller) -> list[InstanceAction]:
        if self.registry.visible(server_id, caller) is None:
            raise not_found(f"Instance {server_id} could not be found.")
        return self.registry.action_log.of(server_id)

    # -- reporting -------------------------------------------------------------------------
    def host_id(self, server: Server) -> str:
        if not server.host:
            return ""
        return _host_id(server.project_id, server.host)

    def usage(self, project_id: str) -> dict[str, int]:
        mine = [s for s in self.registry.of_project(project_id).values() if not s.deleted]
        return {
            "instances": len(mine),
            "cores": sum(int(s.flavor["vcpus"]) for s in mine),
            "ram": sum(int(s.flavor["ram"]) for s in mine),
        }


def _boot_first(spec: VolumeRequest) -> tuple[int, int]:
    if spec.boot_index is None or spec.boot_index < 0:
        return (1, 0)
    return (0, spec.boot_index)


@functools.lru_cache(maxsize=4096)
def _host_id(project_id: str, host: str) -> str:
    """nova's hostId: a hash of the project and the host (the same for every server of a
    project on a host, so a page of 1,000 servers hashes a few pairs, not 1,000)."""
    return hashlib.sha224((project_id + host).encode()).hexdigest()
