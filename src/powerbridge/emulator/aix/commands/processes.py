"""ps: the node's processes as a workflow greps them (`ps -ef | grep clstrmgr`): init,
srcmstr, every active SRC subsystem with the PID lssrc shows, and the login's shell."""

from __future__ import annotations

import time

from powerbridge.emulator.aix.commands.base import Command, Invocation
from powerbridge.emulator.aix.commands.src import ACTIVE, fake_pid

INIT_PID, SRCMSTR_PID = 1, 3735690
PROGRAMS = {
    "clcomd": "/usr/sbin/clcomd -d",
    "clconfd": "/usr/sbin/clconfd",
    "clstrmgrES": "/usr/es/sbin/cluster/clstrmgr",
    "clevmgrdES": "/usr/es/sbin/cluster/clevmgrd",
    "clinfoES": "/usr/es/sbin/cluster/clinfo",
    "cthags": "/usr/sbin/rsct/bin/hagsd cthags",
    "ctrmc": "/usr/sbin/rsct/bin/rmcd -a IBM.LPCommands -r -S 1500",
    "IBM.ConfigRM": "/usr/sbin/rsct/bin/IBM.ConfigRMd",
    "sshd": "/usr/sbin/sshd",
    "syslogd": "/usr/sbin/syslogd",
    "inetd": "/usr/sbin/inetd",
    "snmpd": "/usr/sbin/snmpd",
    "xntpd": "/usr/sbin/xntpd",
    "sendmail": "sendmail: accepting connections",
    "portmap": "/usr/sbin/portmap",
}


def _processes(inv: Invocation) -> list[tuple[int, int, str]]:
    """(pid, parent pid, command) of every process, init first."""
    rows = [(INIT_PID, 0, "/etc/init"), (SRCMSTR_PID, INIT_PID, "/usr/sbin/srcmstr")]
    for name, status in inv.node.record.subsystems.items():
        if status == ACTIVE:
            rows.append((fake_pid(inv.node, name), SRCMSTR_PID, PROGRAMS.get(name, name)))
    shell_pid = fake_pid(inv.node, "ksh")
    rows.append((shell_pid, fake_pid(inv.node, "sshd"), "-ksh"))
    rows.append((shell_pid + 2, shell_pid, "ps " + " ".join(inv.args)))
    return rows


def ps(inv: Invocation) -> int:
    letters = set("".join(arg.lstrip("-") for arg in inv.args))
    if letters - set("efAaux") or any(not arg.startswith("-") and arg != "aux" for arg in inv.args):
        inv.err.line("ps: Not a recognized flag: " + "".join(sorted(letters - set("efAaux"))))
        inv.err.line("Usage: ps [-ANaedfklmMZ] [-n namelist] [-F Format] [-o specifier[=header]]")
        return 1
    rows = _processes(inv)
    if not letters & set("eAa"):
        rows = rows[-2:]
    booted = inv.node.record.booted_at or inv.world.now()
    started = time.strftime("%b %d", time.gmtime(booted))
    if "f" in letters or "u" in letters:
        inv.out.line("     UID      PID     PPID   C    STIME    TTY  TIME CMD")
        for pid, parent, command in rows:
            tty = "pts/0" if command in ("-ksh",) or command.startswith("ps") else "-"
            inv.out.line(f"    root {pid:>8} {parent:>8}   0   {started}  {tty:>5}  0:00 {command}")
        return 0
    inv.out.line("      PID    TTY  TIME CMD")
    for pid, _parent, command in rows:
        inv.out.line(f" {pid:>8}      -  0:00 {command.split()[0].rsplit('/', 1)[-1]}")
    return 0


COMMANDS: dict[str, Command] = {"ps": ps}
