"""PowerVC's management of existing VMs on a host (`os-hosts/<host>/all-servers`, `onboard`,
`unmanage`): an unmanaged LPAR becomes a nova server (ACTIVE or SHUTOFF, claimed on its host)
with its volumes in cinder, attached; an unmanaged server leaves nova and cinder (its claim,
ports and collocation rule released) and goes back to the host's residents, where
`all-servers` lists it again. Admin only, as PowerVC's host APIs are.

Every id is checked before anything changes, so a request naming one wrong id changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.hosts import Claim, Host, HostInventory
from powerbridge.emulator.backend.identity_records import Caller, require_policy_admin
from powerbridge.emulator.backend.network import NetworkBackend
from powerbridge.emulator.backend.placement import Scheduler
from powerbridge.emulator.backend.residents import ResidentLpar, Residents, ResidentVolume
from powerbridge.emulator.backend.server_groups import ServerGroupBackend
from powerbridge.emulator.backend.server_lifecycle import ServerRegistry
from powerbridge.emulator.backend.server_records import (
    POWER_RUNNING,
    POWER_SHUTDOWN,
    Server,
    VolumeMapping,
)
from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.backend.volume_identity import WWN_KEY, volume_wwn
from powerbridge.emulator.backend.volume_records import Attachment, Volume
from powerbridge.emulator.errors import conflict, not_found
from powerbridge.emulator.logs import LogContext

DEVICE_LETTERS = "abcdefghijklmnopqrstuvwxyz"
HostLeft = Callable[[str | None], None]


@dataclass(frozen=True)
class HostServer:
    """One row of `all-servers`: a managed server or an unmanaged LPAR."""

    id: str
    name: str
    lpar_name: str
    host: str
    managed: bool
    state: str  # ACTIVE, SHUTOFF, BUILD... (nova's status for a managed one)
    memory_mb: int
    vcpus: int
    proc_units: str
    volumes: list[str]


def require_admin(caller: Caller, action: str) -> None:
    """PowerVC's os-hosts APIs: the cloud administrator's (powervc_roles' table says who)."""
    require_policy_admin(caller, f"os_compute_api:os-hosts:{action}")


class Onboarding:
    def __init__(
        self,
        ctx: BackendContext,
        registry: ServerRegistry,
        residents: Residents,
        *,
        hosts: HostInventory,
        scheduler: Scheduler,
        volumes: VolumeBackend,
        networks: NetworkBackend,
        server_groups: ServerGroupBackend,
        on_left: HostLeft,
    ) -> None:
        self.ctx = ctx
        self.registry = registry
        self.residents = residents
        self.hosts = hosts
        self.scheduler = scheduler
        self.volumes = volumes
        self.networks = networks
        self.server_groups = server_groups
        self.on_left = on_left

    def host(self, ref: str) -> Host:
        host = self.hosts.by_display_name(ref)
        if host is None:
            raise not_found(f"Compute host {ref} could not be found.")
        return host

    # -- all-servers -----------------------------------------------------------------------
    def all_servers(self, host_ref: str, caller: Caller) -> list[HostServer]:
        require_admin(caller, "all-servers")
        host = self.host(host_ref)
        managed = [s for s in map(self.registry.find, host.servers) if s is not None]
        rows = [_managed_row(s) for s in sorted(managed, key=lambda s: s.instance_name)]
        return rows + [_resident_row(r) for r in self.residents.on_host(host.name)]

    # -- onboard ---------------------------------------------------------------------------
    def onboard(
        self, host_ref: str, server_ids: list[str], caller: Caller, request_id: str
    ) -> list[Server]:
        require_admin(caller, "onboard")
        host = self.host(host_ref)
        lpars = [self._resident_of(host, lpar_id) for lpar_id in server_ids]
        return [self._adopt(host, lpar, caller, request_id) for lpar in lpars]

    def _resident_of(self, host: Host, lpar_id: str) -> ResidentLpar:
        lpar = self.residents.lpars.get(lpar_id)
        if lpar is not None and lpar.host == host.name:
            return lpar
        if self.registry.find(lpar_id) is not None:
            raise conflict(f"Virtual machine {lpar_id} is already managed by PowerVC.")
        raise not_found(
            f"No unmanaged virtual machine {lpar_id} on host {host.name}: "
            f"GET os-hosts/{host.name}/all-servers lists them."
        )

    def _adopt(self, host: Host, lpar: ResidentLpar, caller: Caller, request_id: str) -> Server:
        self.residents.take_lpar(lpar.id)
        now = self.ctx.clock.now()
        active = lpar.state == "active"
        server = Server(
            id=lpar.id,
            name=lpar.display_name or lpar.name,
            project_id=caller.project_id or "",
            user_id=caller.user_id,
            flavor=_flavor_of(lpar),
            image_id=None,
            created=now,
            updated=now,
            request_id=request_id,
            seq=self.registry.next_seq(),
            instance_name=lpar.name,  # the LPAR keeps its name on the host
            status="ACTIVE" if active else "SHUTOFF",
            vm_state="active" if active else "stopped",
            task_state=None,
            power_state=POWER_RUNNING if active else POWER_SHUTDOWN,
            host=host.name,
            availability_zone=self.scheduler.zone_of(host.name),
            launched_at=now,
        )
        server.set_claim(Claim(lpar.memory_mb, Decimal(lpar.proc_units), lpar.vcpus))
        server.claimed = True
        self.hosts.claim(host, server.id, server.claim)
        mappings = [
            self._adopt_volume(server, volume_id, index)
            for index, volume_id in enumerate(lpar.volumes)
        ]
        server.volumes = [asdict(m) for m in mappings]
        self.registry.add(server)
        self.registry.record_action(server, "onboard", request_id, caller)
        self.registry.finish_action(server, "onboard", now, ok=True)
        self.registry.save(server)
        self.registry.log_compute(server, f"Onboarded existing LPAR {lpar.name} on {host.name}.")
        return server

    def _adopt_volume(self, server: Server, volume_id: str, index: int) -> VolumeMapping:
        resident = self.residents.take_volume(volume_id)
        device = f"/dev/sd{DEVICE_LETTERS[index % 26]}"
        volume = adopted_volume(
            self.volumes,
            resident,
            server.project_id,
            server.user_id,
            self.ctx.clock.now(),
            status="in-use",
        )
        attachment = Attachment(
            attachment_id=str(uuid.uuid4()),
            volume_id=volume.id,
            server_id=server.id,
            host_name=server.host,
            device=device,
            attach_status="attached",
            attached_at=volume.created_at,
        )
        self.volumes.adopt(volume, attachment)
        boot = 0 if index == 0 and resident.bootable else None
        return VolumeMapping(volume.id, device, boot, False, attached=True)

    # -- unmanage --------------------------------------------------------------------------
    def unmanage(
        self, host_ref: str, server_ids: list[str], caller: Caller, request_id: str
    ) -> list[ResidentLpar]:
        require_admin(caller, "unmanage")
        host = self.host(host_ref)
        servers = [self._unmanageable(host, server_id) for server_id in server_ids]
        context = LogContext(request_id, caller.user_id, caller.project_id or "-")
        return [self._release(server, context) for server in servers]

    def _unmanageable(self, host: Host, server_id: str) -> Server:
        server = self.registry.find(server_id)
        if server is None or server.host != host.name:
            raise not_found(f"Instance {server_id} could not be found on host {host.name}.")
        if server.vm_state not in ("active", "stopped") or server.task_state or server.step:
            state = server.task_state or server.vm_state
            raise conflict(f"Cannot 'unmanage' instance {server.id} while it is in {state}.")
        for mapping in server.mappings():
            others = [
                a.server_id
                for a in self.volumes.attachments_of_volume(mapping.volume_id)
                if a.server_id != server.id
            ]
            if not mapping.attached or others or self.volumes.status(mapping.volume_id) != "in-use":
                raise conflict(
                    f"Cannot 'unmanage' instance {server.id}: volume {mapping.volume_id} is "
                    "busy or attached to another virtual machine too."
                )
        return server

    def _release(self, server: Server, context: LogContext) -> ResidentLpar:
        self.hosts.release(server.host, server.id, server.claim)
        self.server_groups.remove_member(server.id)
        self.networks.release_server_ports(server.id, context.internal_call())
        lpar = ResidentLpar(
            id=server.id,
            name=server.instance_name,
            host=server.host or "",
            memory_mb=server.claim_memory_mb,
            vcpus=server.claim_vcpus or int(server.flavor.get("vcpus", 1)),
            proc_units=server.claim_units,
            state="active" if server.vm_state == "active" else "shutoff",
            display_name=server.name,
        )
        for mapping in sorted(server.mappings(), key=lambda m: m.boot_index != 0):
            volume = self.volumes.forget(mapping.volume_id)
            lpar.volumes.append(volume.id)
            self.residents.put_volume(resident_of(volume, lpar.id))
        self.residents.put_lpar(lpar)
        self.registry.log_compute(server, f"Unmanaged: LPAR {lpar.name} stays on {lpar.host}.")
        self.registry.remove(server)
        self.on_left(lpar.host)
        return lpar


def adopted_volume(
    volumes: VolumeBackend,
    resident: ResidentVolume,
    project_id: str,
    user_id: str,
    now: float,
    *,
    status: str,
) -> Volume:
    """The cinder record of a resident volume being onboarded (its capacity now counted)."""
    kind = next(
        (
            t
            for t in volumes.types.values()
            if t.provider == resident.provider and t.pool in ("", resident.pool)
        ),
        None,
    )
    return Volume(
        id=resident.id,
        project_id=project_id,
        user_id=user_id,
        size=resident.size,
        status=status,
        volume_type_id=kind.id if kind else None,
        provider=resident.provider,
        pool=resident.pool,
        created_at=now,
        name=resident.name,
        host=f"{resident.provider}@{resident.provider}#{resident.pool}",
        bootable=resident.bootable,
        metadata={WWN_KEY: volume_wwn(resident.id)},
        updated_at=now,
        allocated_gb=resident.size,
    )


def resident_of(volume: Volume, lpar_id: str | None) -> ResidentVolume:
    return ResidentVolume(
        id=volume.id,
        name=volume.name or volume.id,
        provider=volume.provider,
        pool=volume.pool,
        size=volume.size,
        bootable=volume.bootable,
        lpar_id=lpar_id,
    )


def _flavor_of(lpar: ResidentLpar) -> dict[str, object]:
    return {
        "id": None,
        "original_name": "onboarded",
        "ram": lpar.memory_mb,
        "vcpus": lpar.vcpus,
        "disk": 0,
        "ephemeral": 0,
        "swap": 0,
        "extra_specs": {"powervm:proc_units": lpar.proc_units},
    }


def _managed_row(server: Server) -> HostServer:
    return HostServer(
        id=server.id,
        name=server.name,
        lpar_name=server.instance_name,
        host=server.host or "",
        managed=True,
        state=server.status,
        memory_mb=server.claim_memory_mb,
        vcpus=server.claim_vcpus,
        proc_units=server.claim_units,
        volumes=[m.volume_id for m in server.mappings()],
    )


def _resident_row(lpar: ResidentLpar) -> HostServer:
    return HostServer(
        id=lpar.id,
        name=lpar.display_name or lpar.name,
        lpar_name=lpar.name,
        host=lpar.host,
        managed=False,
        state="ACTIVE" if lpar.state == "active" else "SHUTOFF",
        memory_mb=lpar.memory_mb,
        vcpus=lpar.vcpus,
        proc_units=lpar.proc_units,
        volumes=list(lpar.volumes),
    )
