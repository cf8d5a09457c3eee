"""Live partition mobility: `os-migrateLive`, with or without a target host.

The destination is chosen (or the named one checked) by the scheduler with the server's own
rules (host group, storage connectivity group, collocation rule, capacity), and claimed at once;
the server shows MIGRATING until the `live_migration` step moves it, then the source claim is
released. A refused destination is a 400 `No valid host was found. <reason>`, also written to
the scheduler log. Shut-off VMs move too (PowerVM's inactive partition mobility).
"""

from __future__ import annotations

from collections.abc import Callable

from powerbridge.emulator.backend.hosts import Host, HostInventory, NoValidHost
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.migration_log import LIVE, MigrationLog
from powerbridge.emulator.backend.network import NetworkBackend
from powerbridge.emulator.backend.pinning import refuse_if_hard_pinned
from powerbridge.emulator.backend.placement import Scheduler
from powerbridge.emulator.backend.scheduling import ServerPlacement
from powerbridge.emulator.backend.server_lifecycle import ServerLifecycle
from powerbridge.emulator.backend.server_records import POWER_RUNNING, Server, require_state
from powerbridge.emulator.backend.server_states import settle, start_task
from powerbridge.emulator.errors import bad_request, forbidden
from powerbridge.emulator.logs import LogContext

ACTION = "live-migration"
MOVABLE = ("active", "stopped")
MigratedListener = Callable[[str | None], None]


class LiveMigrations:
    def __init__(
        self,
        lifecycle: ServerLifecycle,
        *,
        hosts: HostInventory,
        scheduler: Scheduler,
        placement: ServerPlacement,
        networks: NetworkBackend,
        migration_log: MigrationLog | None = None,
    ) -> None:
        self.lifecycle = lifecycle
        self.migration_log = migration_log
        self.hosts = hosts
        self.scheduler = scheduler
        self.placement = placement
        self.networks = networks
        self._migrated_listeners: list[MigratedListener] = []
        lifecycle.on_step("live_migration", self._end)

    def on_migrated(self, listener: MigratedListener) -> None:
        """Call `listener(source_host)` whenever a server has left that host."""
        self._migrated_listeners.append(listener)

    def start(self, server_id: str, caller: Caller, request_id: str, host: str | None) -> Host:
        """The API call: admin only, the server idle and active (or shut off)."""
        if not caller.is_admin:
            raise forbidden(
                "Policy doesn't allow os_compute_api:os-migrate-server:migrate_live "
                "to be performed."
            )
        server = self.lifecycle.writable_server(server_id, caller, "os-migrateLive")
        require_state(server, "os-migrateLive", MOVABLE)
        refuse_if_hard_pinned(server, "os-migrateLive")  # a soft pin yields to the admin
        context = LogContext(request_id, caller.user_id, caller.project_id or "-")
        try:
            return self.begin(server, host, caller, request_id)
        except NoValidHost as failure:
            self.lifecycle.log_no_valid_host(server, failure, context)
            raise bad_request(str(failure)) from None

    def begin(self, server: Server, target: str | None, caller: Caller, request_id: str) -> Host:
        """Claim a destination and start moving (NoValidHost when there is none)."""
        lifecycle = self.lifecycle
        destination = self.placement.place_migration(server, target)
        lifecycle.record_action(server, ACTION, request_id, caller, "compute_live_migration")
        server.request_id = request_id
        server.migration_target = destination.name
        if self.migration_log is not None:
            self.migration_log.start(server, LIVE, destination.name, server.flavor, "running")
        server.previous_vm_state = server.vm_state
        start_task(server, "migrating", "MIGRATING")
        lifecycle.log_compute(
            server, f"Live migration to {destination.name} ({destination.display_name}) started."
        )
        lifecycle.schedule_step(server, "live_migration", lifecycle.timing("live_migration", 10))
        return destination

    def _end(self, server: Server, now: float) -> None:
        source, target = server.host, server.migration_target or server.host
        self.hosts.release(source, server.id, server.claim)
        server.host, server.migration_target = target, None
        server.availability_zone = self.scheduler.zone_of(target or "") or server.availability_zone
        if server.previous_vm_state == "stopped":
            settle(server, "SHUTOFF")
        else:
            settle(server, "ACTIVE")
            server.power_state = POWER_RUNNING
        server.previous_vm_state = None
        self.networks.bind_server_ports(
            server.id, target or "", server.log_context().internal_call()
        )
        self.lifecycle.log_compute(server, f"Live migration from {source} to {target} completed.")
        self.lifecycle.finish_action(server, ACTION, now, ok=True)
        if self.migration_log is not None:
            self.migration_log.finish(server, LIVE, "completed")
        for listener in self._migrated_listeners:
            listener(source)
