"""Resize: a new compute template (`flavorRef`, or PowerVC's inline flavor) for a server.

PowerVM resizes a partition in place (dynamic LPAR for a running VM), so the server keeps its
host and only its claim there changes; growth that does not fit is refused at once. A running
VM cannot change its minimum or maximum memory (they bound dynamic changes), which PowerVC
refuses too. The server goes RESIZE -> VERIFY_RESIZE and waits for `confirmResize`
(or `revertResize`, which restores the old template and claim), unless the estate's
`resize_confirm_window` confirms it after that many seconds, as nova's option does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from powerbridge import powervm
from powerbridge.emulator.backend.flavors import Flavor, rule_violations
from powerbridge.emulator.backend.hosts import Claim, Host, HostInventory
from powerbridge.emulator.backend.identity_records import Caller
from powerbridge.emulator.backend.migration_log import RESIZE, MigrationLog
from powerbridge.emulator.backend.placement import host_shortage
from powerbridge.emulator.backend.scheduling import template_claim
from powerbridge.emulator.backend.server_lifecycle import ServerLifecycle
from powerbridge.emulator.backend.server_quota import ServerQuota
from powerbridge.emulator.backend.server_records import (
    Server,
    flavor_snapshot,
    require_state,
)
from powerbridge.emulator.backend.server_states import settle, start_task
from powerbridge.emulator.errors import bad_request

RESIZABLE = ("active", "stopped")
STATUS_OF = {"active": "ACTIVE", "stopped": "SHUTOFF"}


class Resizes:
    def __init__(
        self,
        lifecycle: ServerLifecycle,
        *,
        hosts: HostInventory,
        confirm_window: float,
        migration_log: MigrationLog | None = None,
        quota: ServerQuota | None = None,
    ) -> None:
        self.lifecycle = lifecycle
        self.migration_log = migration_log
        self.quota = quota
        self.hosts = hosts
        self.confirm_window = confirm_window
        lifecycle.on_step("resize", self._end_resize)
        lifecycle.on_step("resize_revert", self._end_revert)
        lifecycle.on_step("resize_auto_confirm", self._auto_confirm)

    def resize(
        self,
        server_id: str,
        caller: Caller,
        request_id: str,
        *,
        flavor: Flavor | None,
        inline: dict[str, Any] | None,
    ) -> None:
        server = self.lifecycle.writable_server(server_id, caller, "resize")
        require_state(server, "resize", RESIZABLE)
        new = flavor_snapshot(flavor, inline)
        if self.quota is not None:  # nova's API checks quota before the driver sees it
            self.quota.check_resize(server, new)
        self._check_template(server, new)
        host = self._host(server)
        old_claim, new_claim = server.claim, template_claim(new)
        self._check_room(host, old_claim, new_claim)
        self.lifecycle.record_action(
            server, "resize", request_id, caller, "compute_resize_instance"
        )
        server.request_id = request_id
        server.old_flavor, server.flavor = server.flavor, new
        if self.migration_log is not None:
            self.migration_log.start(server, RESIZE, server.host, server.old_flavor, "migrating")
        server.old_claim = [old_claim.memory_mb, str(old_claim.proc_units), old_claim.vcpus]
        self.hosts.change_claim(host, old_claim, new_claim)
        server.set_claim(new_claim)
        server.previous_vm_state = server.vm_state
        start_task(server, "resize_prep", "RESIZE")
        self.lifecycle.log_compute(server, f"Resizing to {_describe(new)}.")
        self.lifecycle.schedule_step(server, "resize", self.lifecycle.timing("resize", 5))

    def _check_template(self, server: Server, new: dict[str, Any]) -> None:
        old = server.flavor
        if new["id"] is not None:
            same = new["id"] == old.get("id")
        else:
            same = all(new[k] == old[k] for k in ("ram", "vcpus", "disk", "extra_specs"))
        if same:
            raise bad_request("When resizing, instances must change flavor!")
        problem = rule_violations(new["ram"], new["vcpus"], new["extra_specs"])
        if problem:
            raise bad_request(problem)
        if server.vm_state != "active":
            return
        before = powervm.parse_template(old["ram"], old["vcpus"], old["extra_specs"])
        after = powervm.parse_template(new["ram"], new["vcpus"], new["extra_specs"])
        if (before.min_memory_mb, before.max_memory_mb) != (
            after.min_memory_mb,
            after.max_memory_mb,
        ):
            raise bad_request(
                "The minimum and maximum memory of an active virtual machine cannot change "
                f"(minimum {before.min_memory_mb} -> {after.min_memory_mb} MB, maximum "
                f"{before.max_memory_mb} -> {after.max_memory_mb} MB): stop it first."
            )

    def _host(self, server: Server) -> Host:
        host = self.hosts.host(server.host or "")
        if host is None:
            raise bad_request(f"Instance {server.id} has no host to resize on.")
        return host

    @staticmethod
    def _check_room(host: Host, old: Claim, new: Claim) -> None:
        growth = Claim(
            max(0, new.memory_mb - old.memory_mb),
            max(Decimal(0), new.proc_units - old.proc_units),
        )
        if not host.fits(growth):
            raise bad_request(f"No valid host was found. {host_shortage(host, growth)}")

    def _end_resize(self, server: Server, now: float) -> None:
        settle(server, "VERIFY_RESIZE")
        self._migration(server, "finished")
        self.lifecycle.log_compute(server, "Resize finished; waiting for confirmation.")
        self.lifecycle.finish_action(server, "resize", now, ok=True)
        if self.confirm_window > 0:
            self.lifecycle.schedule_step(server, "resize_auto_confirm", self.confirm_window)

    # -- confirm and revert ----------------------------------------------------------------
    def confirm(self, server_id: str, caller: Caller, request_id: str) -> None:
        server = self.lifecycle.writable_server(server_id, caller, "confirmResize")
        require_state(server, "confirmResize", ("resized",))
        self.lifecycle.record_action(server, "confirmResize", request_id, caller)
        self._confirmed(server, self.lifecycle.now())

    def _auto_confirm(self, server: Server, now: float) -> None:
        if server.vm_state == "resized" and server.task_state is None:
            self._confirmed(server, now)

    def _confirmed(self, server: Server, now: float) -> None:
        server.old_flavor, server.old_claim = None, None
        self._settle(server)
        self._migration(server, "confirmed")
        self.lifecycle.finish_action(server, "confirmResize", now, ok=True)
        self.lifecycle.save(server)

    def revert(self, server_id: str, caller: Caller, request_id: str) -> None:
        server = self.lifecycle.writable_server(server_id, caller, "revertResize")
        require_state(server, "revertResize", ("resized",))
        host = self._host(server)
        memory, units, vcpus = server.old_claim or [0, "0", 0]
        old_claim = Claim(int(memory), Decimal(str(units)), int(vcpus))
        self._check_room(host, server.claim, old_claim)
        self.lifecycle.record_action(server, "revertResize", request_id, caller)
        server.request_id = request_id
        self.hosts.change_claim(host, server.claim, old_claim)
        server.set_claim(old_claim)
        server.flavor, server.old_flavor, server.old_claim = server.old_flavor or {}, None, None
        start_task(server, "resize_reverting", "REVERT_RESIZE")
        self.lifecycle.schedule_step(server, "resize_revert", self.lifecycle.timing("resize", 5))

    def _end_revert(self, server: Server, now: float) -> None:
        self._settle(server)
        self._migration(server, "reverted")
        self.lifecycle.log_compute(server, f"Resize reverted to {_describe(server.flavor)}.")
        self.lifecycle.finish_action(server, "revertResize", now, ok=True)

    def _migration(self, server: Server, status: str) -> None:
        if self.migration_log is not None:
            self.migration_log.finish(server, RESIZE, status)

    @staticmethod
    def _settle(server: Server) -> None:
        settle(server, STATUS_OF.get(server.previous_vm_state or "active", "ACTIVE"))
        server.previous_vm_state = None


def _describe(flavor: dict[str, Any]) -> str:
    name = flavor.get("original_name") or "inline"
    return f"{name} ({flavor['ram']} MB, {flavor['vcpus']} virtual processors)"
