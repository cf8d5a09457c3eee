"""Live partition mobility: `os-migrateLive`, with or without a target host.

The destination is chosen (or the named one checked) by the scheduler with the server's own
rules (host group, storage connectivity group, collocation rule, capacity), and claimed at once;
the server shows MIGRATING until the `live_migration` step moves it, then the source claim is
released. A refused destination is a 400 `No valid host was found. <reason>`, also written to
the scheduler log. Shut-off VMs move too (PowerVM's inactive partition mobility).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from powerbridge.emulator.backend.hosts import Host, NoValidHost
from powerbridge.emulator.backend.identity import Caller
from powerbridge.emulator.backend.server_records import POWER_RUNNING, Server, require_state
from powerbridge.emulator.errors import bad_request, forbidden
from powerbridge.emulator.logs import LogContext

if TYPE_CHECKING:
    from powerbridge.emulator.backend.compute import ComputeBackend

ACTION = "live-migration"
MOVABLE = ("active", "stopped")


class LiveMigrations:
    def __init__(self, compute: ComputeBackend) -> None:
        self.compute = compute
        compute.on_step("live_migration", self._end)

    def start(self, server_id: str, caller: Caller, request_id: str, host: str | None) -> Host:
        """The API call: admin only, the server idle and active (or shut off)."""
        if not caller.is_admin:
            raise forbidden(
                "Policy doesn't allow os_compute_api:os-migrate-server:migrate_live "
                "to be performed."
            )
        server = self.compute.writable_server(server_id, caller, "os-migrateLive")
        require_state(server, "os-migrateLive", MOVABLE)
        context = LogContext(request_id, caller.user_id, caller.project_id or "-")
        try:
            return self.begin(server, host, caller, request_id)
        except NoValidHost as failure:
            self.compute.log_no_valid_host(server, failure, context)
            raise bad_request(str(failure)) from None

    def begin(self, server: Server, target: str | None, caller: Caller, request_id: str) -> Host:
        """Claim a destination and start moving (NoValidHost when there is none)."""
        compute = self.compute
        destination = compute.placement.place_migration(server, target)
        compute.action_log.record(server, ACTION, request_id, caller, "compute_live_migration")
        server.request_id = request_id
        server.migration_target = destination.name
        server.previous_vm_state = server.vm_state
        server.status, server.task_state = "MIGRATING", "migrating"
        compute.log_compute(
            server, f"Live migration to {destination.name} ({destination.display_name}) started."
        )
        compute.schedule_step(server, "live_migration", compute.timing("live_migration", 10))
        return destination

    def _end(self, server: Server, now: float) -> None:
        compute = self.compute
        source, target = server.host, server.migration_target or server.host
        compute.hosts.release(source, server.id, server.claim)
        server.host, server.migration_target = target, None
        server.availability_zone = (
            compute.scheduler.zone_of(target or "") or server.availability_zone
        )
        if server.previous_vm_state == "stopped":
            server.status, server.vm_state = "SHUTOFF", "stopped"
        else:
            server.status, server.vm_state = "ACTIVE", "active"
            server.power_state = POWER_RUNNING
        server.task_state, server.previous_vm_state = None, None
        compute.networks.bind_server_ports(
            server.id, target or "", server.log_context().internal_call()
        )
        compute.log_compute(server, f"Live migration from {source} to {target} completed.")
        compute.action_log.finish(server, ACTION, now, ok=True)
        compute.maintenance.progress(source)
