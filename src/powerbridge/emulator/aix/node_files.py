"""The files a node has at first boot (minimal until the shell's file set lands)."""

from __future__ import annotations

from powerbridge.emulator.aix.node import Node


def seed_files(node: Node) -> None:
    """Lay down a freshly installed node's files: the directories and /etc/hosts."""
    fs = node.fs
    for directory in ("/etc", "/etc/cluster", "/tmp", "/var/hacmp/log", "/.ssh"):
        fs.mkdir(directory, parents=True)
    fs.chmod("/.ssh", 0o700)
    lines = ["127.0.0.1 loopback localhost"]
    lines += [f"{address} {node.name}" for address in node.addresses]
    fs.write_text("/etc/hosts", "\n".join(lines) + "\n")
