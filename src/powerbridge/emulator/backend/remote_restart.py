"""PowerVC's simplified remote restart: the VMs of a failed host restarted on other hosts of
its host group when an admin asks (`POST os-hosts/<host>/ibm-evacuate {"host": <target>}`
for every VM of the host, nova's `evacuate` server action for one). A host fails through the
emulator's admin API (a `host_failure` node behaviour: the host goes to state `error`, its
VMs stop).

A VM is restarted only if its compute template allows it (`powervm:srr_capability` true, read
by the PowerVM rules module) and it is not hard pinned; a soft-pinned one is, as an admin asked.
The destination is claimed at once (the scheduler's choice within the host group, or the
named host); the VM shows REBUILD / `rebuilding` for `timings.remote_restart`, then runs there
(ACTIVE), its ports bound to the new host, the failed host's claim released.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from powerbridge.emulator.backend.hosts import Host, HostInventory, NoValidHost
from powerbridge.emulator.backend.identity_records import Caller, require_policy_admin
from powerbridge.emulator.backend.network import NetworkBackend
from powerbridge.emulator.backend.pinning import HARD, pin_of
from powerbridge.emulator.backend.placement import Scheduler
from powerbridge.emulator.backend.scheduling import ServerPlacement
from powerbridge.emulator.backend.server_lifecycle import ServerLifecycle
from powerbridge.emulator.backend.server_records import POWER_RUNNING, Server
from powerbridge.emulator.backend.server_states import settle, start_task
from powerbridge.emulator.errors import ApiError, bad_request, forbidden, not_found
from powerbridge.powervm import TemplateError, parse_template

ACTION = "evacuate"
FAILED = "error"
RESTARTABLE = ("active", "stopped", "error")
HostLeft = Callable[[str | None], None]


@dataclass(frozen=True)
class Restart:
    server_id: str
    name: str
    target_host: str | None  # None: left on the failed host, `reason` says why
    reason: str = ""


def precondition_failed(message: str) -> ApiError:
    return ApiError("preconditionFailed", message, status=412)


def srr_capable(server: Server) -> bool:
    flavor = server.flavor
    try:
        spec = parse_template(int(flavor["ram"]), int(flavor["vcpus"]), flavor["extra_specs"])
    except (TemplateError, KeyError, ValueError):
        return False
    return spec.srr_capability


class RemoteRestarts:
    def __init__(
        self,
        lifecycle: ServerLifecycle,
        *,
        hosts: HostInventory,
        scheduler: Scheduler,
        placement: ServerPlacement,
        networks: NetworkBackend,
        on_left: HostLeft,
    ) -> None:
        self.lifecycle = lifecycle
        self.hosts = hosts
        self.scheduler = scheduler
        self.placement = placement
        self.networks = networks
        self.on_left = on_left
        lifecycle.on_step("remote_restart", self._end)

    def _failed_host(self, ref: str, caller: Caller, action: str) -> Host:
        require_policy_admin(caller, f"os_compute_api:{action}")
        host = self.hosts.by_display_name(ref)
        if host is None:
            raise not_found(f"Compute host {ref} could not be found.")
        if host.spec.state != FAILED:
            raise precondition_failed(
                f"Host {host.name} is {host.spec.state}: only the virtual machines of a failed "
                "host (state error) are remote restarted."
            )
        return host

    def evacuate_host(
        self, host_ref: str, target: str | None, caller: Caller, request_id: str
    ) -> list[Restart]:
        """Every VM of the failed host, largest memory first; those that cannot go stay."""
        host = self._failed_host(host_ref, caller, "os-hosts:ibm-evacuate")
        servers = [s for s in map(self.lifecycle.find, host.servers) if s is not None]
        servers.sort(key=lambda s: (-s.claim_memory_mb, s.name))
        return [self._try(server, target, caller, request_id) for server in servers]

    def evacuate_server(
        self, server_id: str, target: str | None, caller: Caller, request_id: str
    ) -> Restart:
        """nova's `evacuate` action for one VM: refused (400) when it cannot go."""
        if not caller.is_admin:
            raise forbidden("Policy doesn't allow os_compute_api:os-evacuate to be performed.")
        server = self.lifecycle.writable_server(server_id, caller, "evacuate")
        self._failed_host(server.host or "", caller, "os-evacuate")
        restart = self._try(server, target, caller, request_id)
        if restart.target_host is None:
            raise bad_request(restart.reason)
        return restart

    def _try(self, server: Server, target: str | None, caller: Caller, request_id: str) -> Restart:
        reason = self._refusal(server)
        if reason:
            return Restart(server.id, server.name, None, reason)
        try:
            destination = self.placement.place_migration(server, target)
        except NoValidHost as failure:
            return Restart(server.id, server.name, None, str(failure))
        self.lifecycle.record_action(server, ACTION, request_id, caller, "compute_rebuild_instance")
        server.request_id = request_id
        server.migration_target = destination.name
        start_task(server, "rebuilding", "REBUILD")
        self.lifecycle.log_compute(
            server, f"Remote restart from failed host {server.host} to {destination.name}."
        )
        seconds = self.lifecycle.timing("remote_restart", 8)
        self.lifecycle.schedule_step(server, "remote_restart", seconds)
        return Restart(server.id, server.name, destination.name)

    @staticmethod
    def _refusal(server: Server) -> str:
        if pin_of(server) == HARD:
            return f"Virtual machine {server.name} is hard pinned to host {server.host}."
        if not srr_capable(server):
            return (
                f"Virtual machine {server.name} is not remote restart capable "
                "(its compute template has powervm:srr_capability false)."
            )
        if server.vm_state not in RESTARTABLE or server.task_state is not None:
            state = server.task_state or server.vm_state
            return f"Virtual machine {server.name} is busy ({state})."
        return ""

    def _end(self, server: Server, now: float) -> None:
        source, target = server.host, server.migration_target or server.host
        self.hosts.release(source, server.id, server.claim)
        server.host, server.migration_target = target, None
        server.availability_zone = self.scheduler.zone_of(target or "") or server.availability_zone
        settle(server, "ACTIVE")
        server.power_state = POWER_RUNNING
        self.networks.bind_server_ports(
            server.id, target or "", server.log_context().internal_call()
        )
        self.lifecycle.log_compute(server, f"Remote restarted on {target} (from {source}).")
        self.lifecycle.finish_action(server, ACTION, now, ok=True)
        self.on_left(source)
