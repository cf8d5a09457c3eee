"""The OpenSSH client files that reach the nodes: `ssh/config` and `ssh/known_hosts`.

One `Host` block per node names its IP addresses and its host name and sends the client to
the node's sshd on loopback (`HostName`, `Port`), as root, checking the node's host key under
its name (`HostKeyAlias`) in the emulator's own known_hosts, strictly. There is no
`IdentityFile`: the emulator never holds a private key; clients bring theirs (`-i`, an agent,
asyncssh's `client_keys`). A PowerHA service label gets a block too, on the port of the node
holding its resource group now and checked against that node's key, so `ssh <service IP>`
follows the group as it would on a real network.

Both files are written through a temporary file and `os.replace`, so a client never reads half
of one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from powerbridge.emulator.files import write_atomically

PRIVATE = 0o600  # OpenSSH refuses a config that others may write

CONFIG, KNOWN_HOSTS = "config", "known_hosts"


@dataclass(frozen=True)
class SshHost:
    """One reachable name: a node (or a service label on the node holding it)."""

    names: list[str]  # Host patterns: the name, then the addresses
    port: int
    key_alias: str  # the node's name, under which known_hosts keeps its key


@dataclass(frozen=True)
class KnownHost:
    names: list[str]  # the node's name and addresses
    public_key: str  # "ssh-ed25519 AAAA..."


class SshFiles:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.config_path = directory / CONFIG
        self.known_hosts_path = directory / KNOWN_HOSTS

    def write(self, hosts: Iterable[SshHost], known: Iterable[KnownHost], hostname: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        known_hosts = "".join(f"{','.join(k.names)} {k.public_key}\n" for k in known)
        write_atomically(self.known_hosts_path, known_hosts.encode(), PRIVATE)
        blocks = [self._block(host, hostname) for host in hosts]
        header = "# Written by the PowerVC emulator: its simulated AIX nodes (do not edit).\n"
        write_atomically(self.config_path, (header + "".join(blocks)).encode(), PRIVATE)

    def _block(self, host: SshHost, hostname: str) -> str:
        lines = [
            f"Host {' '.join(host.names)}",
            f"    HostName {hostname}",
            f"    Port {host.port}",
            "    User root",
            f"    HostKeyAlias {host.key_alias}",
            f"    UserKnownHostsFile {_quoted(self.known_hosts_path)}",
            "    StrictHostKeyChecking yes",
        ]
        return "\n".join(lines) + "\n\n"


def public_key_line(private_key: str) -> str:
    """`<type> <base64>` of an OpenSSH private key (no comment)."""
    key = asyncssh.import_private_key(private_key)
    fields = bytes(key.export_public_key()).decode().split()
    return " ".join(fields[:2])


def _quoted(path: Path) -> str:
    text = str(path)
    return f'"{text}"' if any(c.isspace() for c in text) else text
