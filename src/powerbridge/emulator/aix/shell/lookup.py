"""Where a command lives on an AIX node, for `command -v`, `whence`, `type` and `which`: a
shell builtin, a function, a script on the node, or a simulated command at its AIX path (the
PowerHA ones only where PowerHA is installed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from powerbridge.emulator.aix.commands import COMMANDS
from powerbridge.emulator.aix.vfs import VirtualFS

if TYPE_CHECKING:
    from powerbridge.emulator.aix.shell.session import Session

POWERHA_DIRECTORY = "/usr/es/sbin/cluster/utilities"
# PowerHA SystemMirror's commands (cluster.es.*): absent on an AIX image without PowerHA
POWERHA_COMMANDS = frozenset(
    {
        "clmgr",
        "clRGinfo",
        "clRGmove",
        "halevel",
        "clshowsrv",
        "cldump",
        "cltopinfo",
        "cllsif",
        "clfindres",
        "cllsnode",
        "clstat",
    }
)
SBIN_COMMANDS = frozenset(
    {
        "lssrc",
        "startsrc",
        "stopsrc",
        "refresh",
        "ifconfig",
        "netstat",
        "lspv",
        "lsdev",
        "lsattr",
        "chdev",
        "cfgmgr",
        "bootinfo",
        "mkvg",
        "importvg",
        "varyonvg",
        "varyoffvg",
        "lsvg",
        "mklv",
        "crfs",
        "lsfs",
        "lscluster",
        "clcmd",
    }
)


def locate(session: Session, name: str) -> tuple[str, str] | None:
    """(kind, where): kind is builtin, function, keyword or file; None when not found."""
    from powerbridge.emulator.aix.shell.builtins import BUILTINS
    from powerbridge.emulator.aix.shell.parser import RESERVED

    if "/" in name:
        path = VirtualFS.normalize(name, session.cwd)
        entry = session.node.fs.stat(path)
        return ("file", name) if entry is not None and entry.executable else None
    if name in RESERVED:
        return "keyword", name
    if name in session.functions:
        return "function", name
    if name in BUILTINS:
        return "builtin", name
    if name not in COMMANDS:
        return None
    if name in POWERHA_COMMANDS:
        return ("file", f"{POWERHA_DIRECTORY}/{name}") if session.node.has_powerha else None
    return "file", f"/usr/sbin/{name}" if name in SBIN_COMMANDS else f"/usr/bin/{name}"


def describe(session: Session, name: str) -> str | None:
    """`whence -v` / `type`: `NAME is /usr/bin/NAME`, `NAME is a shell builtin`..."""
    found = locate(session, name)
    if found is None:
        return None
    kind, where = found
    if kind == "file":
        return f"{name} is {where}"
    return f"{name} is a {'shell builtin' if kind == 'builtin' else kind}"
