"""One simulated AIX node's record: the facts its commands print, its network interfaces, its
SRC subsystems, its SSH identity and its files (persisted as the store kind `aix_node`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from powerbridge.emulator.aix.vfs import VirtualFS

NODE_KIND = "aix_node"
DEFAULT_AIX_LEVEL = "7200-05-03-2148"
DOWN, BOOTING, UP = "down", "booting", "up"


@dataclass
class Interface:
    name: str  # en0, en1, ... in the order of the server's ports
    address: str
    netmask: str
    mac: str
    network: str = ""  # the PowerVC (Neutron) network name
    aliases: list[str] = field(default_factory=list)  # service IPs this node holds now


@dataclass
class NodeRecord:
    server_id: str
    name: str  # the host name: the server's name as cloud-init sets it
    # the partition's name on the host (nova's instance name, from instance_name_template),
    # which `uname -L` prints; empty for a node recorded before it was kept
    lpar_name: str = ""
    aix_level: str = DEFAULT_AIX_LEVEL
    powerha_version: str | None = None  # `halevel -s`; None: PowerHA is not installed
    interfaces: list[Interface] = field(default_factory=list)
    state: str = DOWN  # down | booting | up (sshd answers only when up)
    ssh_port: int | None = None  # kept across restarts
    host_key: str | None = None  # the node's OpenSSH host key (private), made at first boot
    authorized_keys: list[str] = field(default_factory=list)  # root's, from nova and user data
    subsystems: dict[str, str] = field(default_factory=dict)  # SRC name -> active|inoperative
    # the /etc/cluster/rhosts lines clcomd loaded at its last start or refresh (None: never):
    # CAA trusts what clcomd read, not what the file says now
    clcomd_rhosts: list[str] | None = None
    booted_at: float | None = None
    boot_due: float | None = None  # while booting: when sshd answers (rescheduled on restart)
    rebuilding: bool = False  # a rebuild is running: the next boot is a fresh install
    files: dict[str, Any] = field(default_factory=dict)  # the VirtualFS, serialised

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> NodeRecord:
        interfaces = [Interface(**item) for item in body.get("interfaces", [])]
        return cls(**{**body, "interfaces": interfaces})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Node:
    """A node as commands see it: its record and its live file system."""

    def __init__(self, record: NodeRecord, fs: VirtualFS) -> None:
        self.record = record
        self.fs = fs

    @property
    def server_id(self) -> str:
        return self.record.server_id

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def addresses(self) -> list[str]:
        return [interface.address for interface in self.record.interfaces]

    @property
    def is_up(self) -> bool:
        return self.record.state == UP

    @property
    def has_powerha(self) -> bool:
        return self.record.powerha_version is not None
