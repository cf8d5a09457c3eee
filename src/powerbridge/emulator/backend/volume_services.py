"""cinder's service records' administrator state: which services are disabled (and why) and
which backends are frozen. The services themselves are derived from the storage providers
(one cinder-volume per provider, `<name>@<name>`, and the controller's cinder-scheduler)."""

from __future__ import annotations

from dataclasses import dataclass, field

from powerbridge.emulator.backend.volume import VolumeBackend
from powerbridge.emulator.errors import bad_request, not_found

CONTROLLER = "powervc"


@dataclass
class ServiceState:
    disabled: dict[str, str | None] = field(default_factory=dict)  # "binary host" -> reason
    frozen: set[str] = field(default_factory=set)  # volume hosts


class VolumeServices:
    def __init__(self, volumes: VolumeBackend) -> None:
        self.volumes = volumes
        self.state = ServiceState()

    def services(self) -> list[tuple[str, str]]:
        """(binary, host) of every service."""
        rows = [("cinder-scheduler", CONTROLLER)]
        rows += [("cinder-volume", f"{name}@{name}") for name in self.volumes.providers]
        return rows

    def _find(self, binary: object, host: object) -> tuple[str, str]:
        for row in self.services():
            if row == (binary, host):
                return row
        raise not_found(f"Service {binary} on host {host} could not be found.")

    def set_disabled(
        self, binary: object, host: object, disabled: bool, reason: str | None
    ) -> None:
        found = self._find(binary, host)
        key = " ".join(found)
        if disabled:
            self.state.disabled[key] = reason
        else:
            self.state.disabled.pop(key, None)

    def disabled_reason(self, binary: str, host: str) -> tuple[bool, str | None]:
        key = f"{binary} {host}"
        return key in self.state.disabled, self.state.disabled.get(key)

    def set_frozen(self, host: object, frozen: bool) -> None:
        volume_hosts = [h for b, h in self.services() if b == "cinder-volume"]
        if host not in volume_hosts:
            raise bad_request(f"Invalid input received: No service found with host={host}.")
        if frozen:
            self.state.frozen.add(str(host))
        else:
            self.state.frozen.discard(str(host))

    def is_frozen(self, host: str) -> bool:
        return host in self.state.frozen
