"""Host maintenance mode (PowerVC's `ego/prs/hypervisor_maintenance/<host>`).

Enabling takes the host out of placement at once. `migrate: none` leaves its VMs where they
are; `active-only` live-migrates its active VMs away, `all` also its shut-off ones, largest
memory first (PowerVC's order), each through the scheduler (or to `target_host`). The status is
`entering` until the last of them has left, then `on`; a VM with nowhere to go makes it `error`
(the VMs already moving carry on). Disabling returns the host to placement (status `ok`).
As in PowerVC, migrating VMs away is refused while any VM on the host is building, in error
or busy, or belongs to an affinity rule with other members.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from powerbridge.emulator.backend.context import BackendContext
from powerbridge.emulator.backend.hosts import (
    MAINTENANCE_OK,
    OPERATING,
    Host,
    HostInventory,
    NoValidHost,
)
from powerbridge.emulator.backend.identity_records import Caller, require_policy_admin
from powerbridge.emulator.backend.migration import LiveMigrations
from powerbridge.emulator.backend.pinning import refuse_if_hard_pinned
from powerbridge.emulator.backend.server_groups import ServerGroupBackend
from powerbridge.emulator.backend.server_lifecycle import ServerLifecycle
from powerbridge.emulator.backend.server_records import Server
from powerbridge.emulator.errors import bad_request, conflict, not_found
from powerbridge.emulator.logs import LogContext

MIGRATE_CHOICES = ("none", "active-only", "all")
MOVED_STATES = {"none": (), "active-only": ("active",), "all": ("active", "stopped")}


@dataclass
class MaintenanceRecord:
    host: str
    status: str  # ok | entering | on | error
    migrate: str = "none"
    target_host: str | None = None
    request_id: str = ""
    pending: list[str] = field(default_factory=list)  # servers still to leave the host
    message: str | None = None


class HostMaintenance:
    def __init__(
        self,
        ctx: BackendContext,
        lifecycle: ServerLifecycle,
        *,
        hosts: HostInventory,
        server_groups: ServerGroupBackend,
        migrations: LiveMigrations,
    ) -> None:
        self.ctx = ctx
        self.lifecycle = lifecycle
        self.hosts = hosts
        self.server_groups = server_groups
        self.migrations = migrations
        self.records: dict[str, MaintenanceRecord] = {}
        for body in ctx.store.load("host_maintenance"):
            record = MaintenanceRecord(**body)
            self.records[record.host] = record
            host = hosts.host(record.host)
            if host is not None:
                hosts.set_maintenance(host, record.status, record.migrate)

    def _save(self, record: MaintenanceRecord) -> None:
        self.records[record.host] = record
        self.ctx.store.put("host_maintenance", record.host, asdict(record))

    def host(self, ref: str) -> Host:
        host = self.hosts.by_display_name(ref)
        if host is None:
            raise not_found(f"Compute host {ref} could not be found.")
        return host

    def record(self, host: Host) -> MaintenanceRecord:
        return self.records.get(host.name) or MaintenanceRecord(host.name, MAINTENANCE_OK)

    # -- the API call ----------------------------------------------------------------------
    def set(
        self,
        ref: str,
        caller: Caller,
        request_id: str,
        *,
        enable: bool,
        migrate: str = "none",
        target: str | None = None,
    ) -> MaintenanceRecord:
        require_policy_admin(caller, "ego:prs:hypervisor_maintenance")
        host = self.host(ref)
        if not enable:
            return self._disable(host, request_id)
        if migrate not in MIGRATE_CHOICES:
            raise bad_request(
                f"Invalid migrate {migrate!r}: use one of {', '.join(MIGRATE_CHOICES)}."
            )
        movers = self._check_enable(host, migrate, target)
        record = MaintenanceRecord(host.name, "entering" if movers else "on", migrate, target)
        record.request_id, record.pending = request_id, [s.id for s in movers]
        self._save(record)
        self.hosts.set_maintenance(host, record.status, migrate)
        self._log(host, f"Entering maintenance mode (migrate {migrate}).", request_id, caller)
        for server in movers:
            if not self._move(server, record, caller, request_id):
                break
        self._save(record)
        return record

    def _disable(self, host: Host, request_id: str) -> MaintenanceRecord:
        record = MaintenanceRecord(host.name, MAINTENANCE_OK, request_id=request_id)
        self._save(record)
        self.hosts.set_maintenance(host, MAINTENANCE_OK, "none")
        return record

    def _check_enable(self, host: Host, migrate: str, target: str | None) -> list[Server]:
        if host.maintenance in ("entering", "on"):
            raise conflict(f"Host {host.name} is already in maintenance mode ({host.maintenance}).")
        if host.spec.state != OPERATING:
            raise conflict(
                f"Host {host.name} cannot enter maintenance mode: its hypervisor state is "
                f"{host.spec.state}, not operating."
            )
        if target is not None:
            found = self.hosts.by_display_name(target)
            if found is None or found.name == host.name:
                raise bad_request(f"Invalid target_host {target}: another managed host is needed.")
        servers = [s for s in map(self.lifecycle.find, host.servers) if s is not None]
        if migrate == "none":
            return []
        for server in servers:
            self._check_movable(server)
        wanted = MOVED_STATES[migrate]
        movers = [s for s in servers if s.vm_state in wanted and s.migration_target is None]
        return sorted(movers, key=lambda s: (-s.claim_memory_mb, s.name))

    def _check_movable(self, server: Server) -> None:
        refuse_if_hard_pinned(server, "migrate")
        if server.vm_state in ("building", "error") or server.task_state is not None:
            state = server.task_state or server.vm_state
            raise conflict(
                f"Cannot migrate the virtual machines away: {server.name} ({server.id}) is in "
                f"state {state}."
            )
        group = self.server_groups.group_of(server.id)
        if group is not None and group.policy == "affinity" and len(group.members) > 1:
            raise conflict(
                f"Cannot migrate the virtual machines away: {server.name} belongs to collocation "
                f"rule {group.name} (affinity) with other members."
            )

    def _move(
        self, server: Server, record: MaintenanceRecord, caller: Caller, request_id: str
    ) -> bool:
        try:
            self.migrations.begin(server, record.target_host, caller, request_id)
        except NoValidHost as failure:
            context = LogContext(request_id, caller.user_id, caller.project_id or "-")
            self.lifecycle.log_no_valid_host(server, failure, context)
            record.status, record.message = "error", str(failure)
            record.pending = [s for s in record.pending if s != server.id]
            host = self.hosts.host(record.host)
            if host is not None:
                self.hosts.set_maintenance(host, "error", record.migrate)
            return False
        return True

    # -- progress --------------------------------------------------------------------------
    def progress(self, host_name: str | None) -> None:
        """A VM left `host_name` (migrated or deleted): maybe maintenance is now `on`."""
        record = self.records.get(host_name or "")
        if record is None or record.status != "entering":
            return
        host = self.hosts.host(record.host)
        record.pending = [s for s in record.pending if host is not None and s in host.servers]
        if not record.pending and host is not None:
            record.status = "on"
            self.hosts.set_maintenance(host, "on", record.migrate)
            self._log(host, "Maintenance mode is on.", record.request_id, None)
        self._save(record)

    def _log(self, host: Host, message: str, request_id: str, caller: Caller | None) -> None:
        context = LogContext(
            request_id, caller.user_id if caller else "-", (caller and caller.project_id) or "-"
        )
        self.ctx.logs.write(
            f"nova-compute-{host.name}", "INFO", "nova.compute.manager", message, context
        )
