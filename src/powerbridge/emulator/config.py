"""How an emulator instance is started: addresses, data, clock, credentials, URL style."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from powerbridge.emulator.clock import ClockMode

UrlStyle = Literal["proxied", "ports"]

DEFAULT_ADMIN_USER = "root"
DEFAULT_ADMIN_PASSWORD = "passw0rd"
DEFAULT_PROJECT = "ibm-default"
DEFAULT_DOMAIN = "Default"
DEFAULT_TOKEN_TTL = 6 * 3600.0
MEMORY = ":memory:"
# the simulated AIX nodes' sshd ports (docs/emulator-aix.md); (0, 0): any free port, still kept
DEFAULT_SSH_PORTS = (22000, 22999)


def default_data_dir() -> Path:
    """Per-user data dir (XDG), as the emulator's state and logs default to."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "powerbridge" / "emulator"


@dataclass
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 5000
    data_dir: Path | None = None  # None: in memory, logs in a temporary dir
    log_dir: Path | None = None  # default: <data_dir>/logs
    estate_path: Path | None = None  # None: the packaged default estate
    clock: ClockMode = "instant"
    speed: float = 1.0
    admin_password: str = DEFAULT_ADMIN_PASSWORD
    token_ttl: float = DEFAULT_TOKEN_TTL
    tls: bool = False
    url_style: UrlStyle = "proxied"
    public_url: str | None = None  # e.g. https://powervc.example.com; default: the Host header
    # ports style: service -> port, over the declared defaults; filled at bind
    service_ports: dict[str, int] = field(default_factory=dict)
    seed: int = 0  # random generator seed for behaviours
    ssh_ports: tuple[int, int] = DEFAULT_SSH_PORTS  # the AIX nodes' sshd port range

    @property
    def in_memory(self) -> bool:
        return self.data_dir is None

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"
