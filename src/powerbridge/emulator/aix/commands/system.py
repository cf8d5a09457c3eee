"""System facts and time: hostname, uname, oslevel, halevel, lslpp, id, whoami, date, sleep,
env. The facts come from the node's record (its image's AIX and PowerHA levels)."""

from __future__ import annotations

import asyncio
import fnmatch
import time
import zlib
from collections.abc import Callable

from powerbridge.emulator.aix.commands.base import Command, Invocation
from powerbridge.emulator.aix.node import Node

MACHINE_MODEL = "IBM,9009-42A"  # a POWER9 S924, a common PowerVC-managed host
MANUAL_CLOCK_POLL = 0.005  # seconds between looks at a manual clock while `sleep` waits
MAX_SLEEP = 7 * 24 * 3600
ROOT_ID = "uid=0(root) gid=0(system) groups=2(bin),3(sys),7(security),8(cron),10(audit),11(lp)"

# AIX base filesets a workflow checks (bos.clvm.enh, bos.ahafs: CAA and enhanced concurrent
# volume groups), and the PowerHA SystemMirror filesets by package
AIX_FILESETS = {
    "bos.rte": "Base Operating System Runtime",
    "bos.ahafs": "Aha File System",
    "bos.cluster.rte": "Cluster Aware AIX",
    "bos.clvm.enh": "Enhanced Concurrent Logical Volume Manager",
    "rsct.basic.rte": "RSCT Basic Function",
    "rsct.core.rmc": "RSCT Resource Monitoring and Control",
}
POWERHA_FILESETS = {
    "cluster.es.server.rte": "Base Server Runtime",
    "cluster.es.server.utils": "Server Utilities",
    "cluster.es.server.events": "Server Events",
    "cluster.es.server.diag": "Server Diags",
    "cluster.es.server.cfgast": "Two-Node Configuration Assistant",
    "cluster.es.server.testtool": "Cluster Test Tool",
    "cluster.es.client.rte": "PowerHA SystemMirror Client Runtime",
    "cluster.es.client.lib": "PowerHA SystemMirror Client Libraries",
    "cluster.es.client.utils": "PowerHA SystemMirror Client Utilities",
    "cluster.es.client.clcomd": "Cluster Communication Infrastructure",
    "cluster.license": "PowerHA SystemMirror Electronic License",
}


def aix_parts(node: Node) -> tuple[str, str, str]:
    """(version, release, technology level) from `7200-05-03-2148`."""
    level = node.record.aix_level
    base = level.split("-")[0]
    tl = level.split("-")[1] if "-" in level else "00"
    return base[:1] or "7", base[1:2] or "2", str(int(tl)) if tl.isdecimal() else "0"


def machine_id(node: Node) -> str:
    """`uname -m`: 00 + 8 hex digits of the system serial + 4C00, stable per server."""
    return f"00{zlib.crc32(node.server_id.encode()) & 0xFFFFFFFF:08X}4C00"


def lpar_number(node: Node) -> int:
    return zlib.crc32(node.server_id.encode()) % 64 + 2


def hostname(inv: Invocation) -> int:
    name = inv.node.name
    inv.out.line(name.split(".")[0] if inv.args[:1] == ["-s"] else name)
    return 0


UNAME_FIELDS: dict[str, Callable[[Node], str]] = {
    "s": lambda node: "AIX",
    "n": lambda node: node.name,
    "r": lambda node: aix_parts(node)[1],
    "v": lambda node: aix_parts(node)[0],
    "m": machine_id,
    "M": lambda node: MACHINE_MODEL,
    "p": lambda node: "powerpc",
    # the LPAR number and name, as the HMC knows the partition (not the host name)
    "L": lambda node: f"{lpar_number(node)} {node.record.lpar_name or node.name}",
    "u": lambda node: f"IBM,02{machine_id(node)[2:9]}",
}


def uname(inv: Invocation) -> int:
    letters = "".join(arg.lstrip("-") for arg in inv.args) or "s"
    unknown = set(letters) - set(UNAME_FIELDS) - {"a"}
    if unknown or any(not arg.startswith("-") for arg in inv.args):
        inv.err.line(f"uname: Not a recognized flag: {''.join(sorted(unknown)) or inv.args[0]}")
        inv.err.line("Usage: uname [-snlrvmapxMSuLF]")
        return 1
    order = "snrvm" if "a" in letters else ""
    order += "".join(letter for letter in "snrvmpMLu" if letter in letters and letter not in order)
    inv.out.line(" ".join(UNAME_FIELDS[letter](inv.node) for letter in order))
    return 0


def oslevel(inv: Invocation) -> int:
    level = inv.node.record.aix_level
    version, release, _tl = aix_parts(inv.node)
    if inv.args[:1] == ["-s"]:
        inv.out.line(level)
    elif inv.args[:1] == ["-r"]:
        inv.out.line("-".join(level.split("-")[:2]))
    elif not inv.args:
        inv.out.line(f"{version}.{release}.0.0")
    else:
        inv.err.line("Usage: oslevel [-l Level | -g Level | -q] [-r | -s] | [-f]")
        return 1
    return 0


def halevel(inv: Invocation) -> int:
    """`halevel`: 7.2.5; `halevel -s`: `7.2.5 GA` or `7.2.5 SP2` (what the record holds)."""
    version = inv.node.record.powerha_version
    if version is None:
        return 127  # not installed: the shell prints `ksh: halevel:  not found.`
    number, _space, service_pack = version.partition(" ")
    if inv.args[:1] == ["-s"]:
        inv.out.line(f"{number} {service_pack or 'GA'}")
    elif not inv.args:
        inv.out.line(number)
    else:
        inv.err.line("Usage: halevel [-s] [-x]")
        return 1
    return 0


def installed_filesets(node: Node) -> dict[str, tuple[str, str]]:
    """Every installed fileset: name -> (level, description)."""
    version, release, tl = aix_parts(node)
    filesets = {name: (f"{version}.{release}.{tl}.0", text) for name, text in AIX_FILESETS.items()}
    if node.record.powerha_version is not None:
        number = node.record.powerha_version.split()[0]
        level = ".".join([*number.split("."), "0", "0", "0"][:4])
        filesets.update({name: (level, text) for name, text in POWERHA_FILESETS.items()})
    return filesets


def lslpp(inv: Invocation) -> int:
    args = list(inv.args)
    if not args or args[0] not in ("-l", "-L", "-c"):
        inv.err.line("Usage: lslpp {-d|-f|-h|-i|-l|-L|-p} [-a] [-c] [-J] [-q] [FilesetName...]")
        return 1
    names = args[1:] or ["*"]
    filesets = installed_filesets(inv.node)
    chosen: list[str] = []
    status = 0
    for name in names:
        matches = [
            fileset
            for fileset in filesets
            if fnmatch.fnmatchcase(fileset, name) or fileset.startswith(name + ".")
        ]
        if not matches:
            inv.err.line(f"lslpp: 0504-132  Fileset {name} not installed.")
            status = 1
        chosen.extend(match for match in sorted(matches) if match not in chosen)
    if chosen:
        _fileset_table(inv, chosen, filesets)
    return status


def _fileset_table(
    inv: Invocation, chosen: list[str], filesets: dict[str, tuple[str, str]]
) -> None:
    inv.out.line("  Fileset                      Level  State      Description         ")
    inv.out.line("  " + "-" * 76)
    for repository in ("/usr/lib/objrepos", "/etc/objrepos"):
        inv.out.line(f"Path: {repository}")
        for name in chosen:
            level, text = filesets[name]
            inv.out.line(f"  {name:<27}{level:>8}  COMMITTED  {text}")
        inv.out.line()


def id_(inv: Invocation) -> int:
    letters = set("".join(arg.lstrip("-") for arg in inv.args))
    if letters - set("ugnrG"):
        inv.err.line("Usage: id [-G [-n]] [-g [-r|-n]] [-u [-r|-n]] [User]")
        return 1
    if "u" in letters or "g" in letters:
        inv.out.line(("root" if "u" in letters else "system") if "n" in letters else "0")
    else:
        inv.out.line(ROOT_ID)
    return 0


def whoami(inv: Invocation) -> int:
    inv.out.line("root")
    return 0


def date(inv: Invocation) -> int:
    moment = time.gmtime(inv.world.now())
    formats = [arg for arg in inv.args if arg.startswith("+")]
    if any(not (arg.startswith("+") or arg == "-u") for arg in inv.args):
        inv.err.line("date: 0551-402 Invalid character in date/time specification.")
        inv.err.line('Usage: date [-u] [+"Field Descriptors"]')
        return 1
    if formats:
        inv.out.line(time.strftime(formats[0][1:].replace("%Z", "UTC"), moment))
    else:
        day = time.strftime("%a %b", moment)
        inv.out.line(
            f"{day} {moment.tm_mday:>2} {time.strftime('%H:%M:%S', moment)} UTC {moment.tm_year}"
        )
    return 0


async def sleep(inv: Invocation) -> int:
    """Waits on the emulator clock: at once on an instant clock, `N / speed` real seconds on a
    real one, until the manual clock has been advanced N seconds on a manual one."""
    if len(inv.args) != 1 or not inv.args[0].isdecimal():
        inv.err.line("Usage: sleep Seconds")
        return 2
    seconds = min(int(inv.args[0]), MAX_SLEEP)
    clock = inv.world.ctx.clock
    if clock.mode == "instant" or seconds == 0:
        return 0
    if clock.mode == "real":
        await asyncio.sleep(seconds / clock.speed)
        return 0
    until = inv.world.now() + seconds
    while inv.world.now() < until:
        await asyncio.sleep(MANUAL_CLOCK_POLL)
    return 0


def env(inv: Invocation) -> int:
    if inv.args:
        inv.err.line("env: running a command through env is not simulated.")
        return 1
    for name in sorted(inv.env):
        inv.out.line(f"{name}={inv.env[name]}")
    return 0


COMMANDS: dict[str, Command] = {
    "hostname": hostname,
    "uname": uname,
    "oslevel": oslevel,
    "halevel": halevel,
    "lslpp": lslpp,
    "id": id_,
    "whoami": whoami,
    "date": date,
    "sleep": sleep,
    "env": env,
}
