"""nova's service records (`os-services`): one nova-compute per host, and the controller's
nova-scheduler and nova-conductor, each enabled or disabled by an administrator.

A host in maintenance mode shows its nova-compute disabled (PowerVC disables the service
when it puts a host into maintenance); an administrator's own disable is kept here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from powerbridge.emulator.backend.hosts import HostInventory

CONTROLLER = "powervc"  # the management server's host name in nova's service list
_NAMESPACE = uuid.UUID("5f0c3a8e-9d55-4d3c-9a0e-6c2b0d1f7a11")


@dataclass(frozen=True)
class ComputeService:
    number: int
    uuid: str
    binary: str
    host: str
    zone: str
    disabled_reason: str | None  # None when enabled
    disabled: bool
    forced_down: bool


@dataclass
class _Override:
    disabled: bool = False
    disabled_reason: str | None = None
    forced_down: bool = False


class ComputeServices:
    def __init__(self, hosts: HostInventory) -> None:
        self.hosts = hosts
        self._overrides: dict[str, _Override] = {}

    def all(self, zone_of: dict[str, str]) -> list[ComputeService]:
        rows = [
            ("nova-scheduler", CONTROLLER, "internal"),
            ("nova-conductor", CONTROLLER, "internal"),
        ]
        rows += [("nova-compute", name, zone_of.get(name, "nova")) for name in self.hosts.hosts]
        return [self._record(number, *row) for number, row in enumerate(rows, start=1)]

    def _record(self, number: int, binary: str, host: str, zone: str) -> ComputeService:
        ident = str(uuid.uuid5(_NAMESPACE, f"{binary}@{host}"))
        override = self._overrides.get(ident, _Override())
        disabled, reason = override.disabled, override.disabled_reason
        inventory_host = self.hosts.hosts.get(host)
        if inventory_host is not None and inventory_host.maintenance != "ok" and not disabled:
            disabled, reason = True, "maintenance mode"
        return ComputeService(
            number, ident, binary, host, zone, reason, disabled, override.forced_down
        )

    def update(
        self,
        ident: str,
        *,
        disabled: bool | None = None,
        reason: str | None = None,
        forced_down: bool | None = None,
    ) -> None:
        override = self._overrides.setdefault(ident, _Override())
        if disabled is not None:
            override.disabled = disabled
            override.disabled_reason = reason if disabled else None
        if forced_down is not None:
            override.forced_down = forced_down
