"""The System Resource Controller: lssrc, startsrc, stopsrc, refresh over the node record's
subsystems. clcomd loads /etc/cluster/rhosts when it starts or is refreshed (CAA trusts what
it loaded, not what the file says now); `lssrc -ls` of a PowerHA subsystem asks the cluster
model."""

from __future__ import annotations

import zlib
from collections.abc import Callable

from powerbridge.emulator.aix.commands.base import Command, Invocation
from powerbridge.emulator.aix.node import Node

ACTIVE, INOPERATIVE = "active", "inoperative"
RHOSTS = "/etc/cluster/rhosts"
GROUPS = {
    "clcomd": "caa",
    "clconfd": "caa",
    "clstrmgrES": "cluster",
    "clevmgrdES": "cluster",
    "clinfoES": "cluster",
    "cthags": "cthags",
    "ctrmc": "rsct",
    "IBM.ConfigRM": "rsct_rm",
    "IBM.StorageRM": "rsct_rm",
    "sshd": "ssh",
    "syslogd": "ras",
    "inetd": "tcpip",
    "snmpd": "tcpip",
    "xntpd": "tcpip",
    "sendmail": "mail",
    "portmap": "portmap",
}
HEADER = f"{'Subsystem':<18}{'Group':<17}{'PID':<13}Status "


def default_subsystems(powerha: bool) -> dict[str, str]:
    """What runs on a freshly booted AIX 7.2 LPAR (clcomd comes with bos.cluster.rte; with
    PowerHA installed clstrmgrES runs in ST_INIT before cluster services start)."""
    subsystems = {
        "syslogd": ACTIVE,
        "sendmail": ACTIVE,
        "portmap": ACTIVE,
        "inetd": ACTIVE,
        "snmpd": ACTIVE,
        "xntpd": INOPERATIVE,
        "sshd": ACTIVE,
        "ctrmc": ACTIVE,
        "IBM.ConfigRM": INOPERATIVE,
        "cthags": INOPERATIVE,
        "clcomd": ACTIVE,
    }
    if powerha:
        subsystems.update(
            {"clstrmgrES": ACTIVE, "clevmgrdES": INOPERATIVE, "clinfoES": INOPERATIVE}
        )
    return subsystems


def fake_pid(node: Node, name: str) -> int:
    """A stable process id per node and subsystem, in the range AIX 7 hands out."""
    return 3000000 + zlib.crc32(f"{node.server_id}/{name}".encode()) % 13000000 // 2 * 2


def _row(node: Node, name: str) -> str:
    status = node.record.subsystems.get(name, INOPERATIVE)
    pid = str(fake_pid(node, name)) if status == ACTIVE else ""
    return f" {name:<17}{GROUPS.get(name, ''):<17}{pid:<13}{status}"


def _targets(inv: Invocation, command: str) -> tuple[str, list[str]] | None:
    """(`-s`|`-g`, the subsystems named) from the flags; None after printing why not."""
    args = inv.args
    if len(args) < 2 or args[0] not in ("-s", "-g"):
        inv.err.line(f"Usage: {command} {{-a|-g Group|-s Subsystem}}")
        return None
    subsystems = inv.node.record.subsystems
    if args[0] == "-s":
        if args[1] not in subsystems:
            inv.err.line(f"0513-085 The {args[1]} Subsystem is not on file.")
            return None
        return "-s", [args[1]]
    members = [name for name in subsystems if GROUPS.get(name) == args[1]]
    if not members:
        inv.err.line(f"0513-086 The {args[1]} Group is not on file.")
        return None
    return "-g", members


def lssrc(inv: Invocation) -> int:
    args, node = inv.args, inv.node
    if args[:1] == ["-a"]:
        inv.out.line(HEADER)
        for name in node.record.subsystems:
            inv.out.line(_row(node, name))
        return 0
    if args[:1] == ["-ls"]:
        return _long_status(inv)
    chosen = _targets(inv, "lssrc")
    if chosen is None:
        return 1
    inv.out.line(HEADER)
    for name in chosen[1]:
        inv.out.line(_row(node, name))
    return 0


def _long_status(inv: Invocation) -> int:
    if len(inv.args) < 2:
        inv.err.line("Usage: lssrc -ls Subsystem")
        return 1
    name = inv.args[1]
    if name not in inv.node.record.subsystems:
        inv.err.line(f"0513-085 The {name} Subsystem is not on file.")
        return 1
    status = inv.world.clusters.subsystem_status(inv.node, name)
    if status is not None:
        inv.out.write(status if status.endswith("\n") else status + "\n")
        return 0
    inv.out.line(HEADER)
    inv.out.line(_row(inv.node, name))
    return 0


def load_rhosts(inv: Invocation) -> None:
    """What clcomd does at start and refresh: read /etc/cluster/rhosts ([] when absent)."""
    fs = inv.node.fs
    if not fs.is_file(RHOSTS):
        inv.node.record.clcomd_rhosts = []
        return
    lines = [line.strip() for line in fs.read_text(RHOSTS).splitlines()]
    inv.node.record.clcomd_rhosts = [line for line in lines if line and not line.startswith("#")]


def _each_subsystem(inv: Invocation, command: str, act: Callable[[Invocation, str], bool]) -> int:
    """startsrc, stopsrc and refresh: `act` on each chosen subsystem in turn (False where it
    refused), then the node saved; 1 if any refused."""
    chosen = _targets(inv, command)
    if chosen is None:
        return 1
    done = [act(inv, name) for name in chosen[1]]
    inv.world.save(inv.node)
    return 0 if all(done) else 1


def _start(inv: Invocation, name: str) -> bool:
    subsystems = inv.node.record.subsystems
    if subsystems[name] == ACTIVE:
        inv.err.line(f"0513-029 The {name} Subsystem is already active.")
        inv.err.line("Multiple instances are not supported.")
        return False
    subsystems[name] = ACTIVE
    if name == "clcomd":
        load_rhosts(inv)
    pid = fake_pid(inv.node, name)
    inv.out.line(f"0513-059 The {name} Subsystem has been started. Subsystem PID is {pid}.")
    return True


def _is_active(inv: Invocation, name: str) -> bool:
    """Whether the subsystem runs; if not, stopsrc's and refresh's complaint."""
    if inv.node.record.subsystems[name] == ACTIVE:
        return True
    inv.err.line(f"0513-004 The Subsystem or Group, {name}, is currently inoperative.")
    return False


def _stop(inv: Invocation, name: str) -> bool:
    if not _is_active(inv, name):
        return False
    inv.node.record.subsystems[name] = INOPERATIVE
    if name == "clcomd":
        inv.node.record.clcomd_rhosts = None
    inv.out.line(f"0513-044 The {name} Subsystem was requested to stop.")
    return True


def _refresh(inv: Invocation, name: str) -> bool:
    if not _is_active(inv, name):
        return False
    if name == "clcomd":
        load_rhosts(inv)
    inv.out.line("0513-095 The request for subsystem refresh was completed successfully.")
    return True


def startsrc(inv: Invocation) -> int:
    return _each_subsystem(inv, "startsrc", _start)


def stopsrc(inv: Invocation) -> int:
    return _each_subsystem(inv, "stopsrc", _stop)


def refresh(inv: Invocation) -> int:
    return _each_subsystem(inv, "refresh", _refresh)


COMMANDS: dict[str, Command] = {
    "lssrc": lssrc,
    "startsrc": startsrc,
    "stopsrc": stopsrc,
    "refresh": refresh,
}
