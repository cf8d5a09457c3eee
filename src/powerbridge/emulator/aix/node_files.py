"""The files a freshly installed AIX node has, limited to what its commands read: /etc/hosts
(loopback and the node's own addresses), /etc/environment, /etc/passwd (root's home is `/`),
/etc/cluster/ (no rhosts yet), /.ssh (0700), /tmp, /home, /dev/null, and with PowerHA
/usr/es/sbin/cluster/ and the empty logs under /var/hacmp/log/. /etc/netsvc.conf is absent,
as on a new install (name resolution then tries local files first)."""

from __future__ import annotations

from powerbridge.emulator.aix.commands.src import default_subsystems
from powerbridge.emulator.aix.node import Node

AUTHORIZED_KEYS = "/.ssh/authorized_keys"
ENVIRONMENT = """\
PATH=/usr/bin:/etc:/usr/sbin:/usr/ucb:/usr/bin/X11:/sbin:/usr/java8_64/jre/bin:/usr/java8_64/bin
TZ=UTC
LANG=C
LOCPATH=/usr/lib/nls/loc
NLSPATH=/usr/lib/nls/msg/%L/%N:/usr/lib/nls/msg/%L/%N.cat
ODMDIR=/etc/objrepos
CLCMD_PASSTHRU=1
"""
PASSWD = """\
root:!:0:0::/:/usr/bin/ksh
daemon:!:1:1::/etc:
bin:!:2:2::/bin:
sys:!:3:3::/usr/sys:
adm:!:4:4::/var/adm:
nobody:!:4294967294:4294967294::/:
sshd:*:202:201::/var/empty:/usr/bin/ksh
"""
DIRECTORIES = ("/etc", "/etc/cluster", "/home", "/var/adm", "/var/hacmp/log", "/dev", "/usr/bin")
POWERHA_DIRECTORIES = (
    "/usr/es/sbin/cluster/utilities",
    "/usr/es/sbin/cluster/sbin",
    "/usr/es/sbin/cluster/events",
)
POWERHA_LOGS = ("/var/hacmp/log/hacmp.out", "/var/hacmp/log/clutils.log")


def hosts_file(node: Node) -> str:
    lines = [
        "127.0.0.1               loopback localhost      # loopback (lo0) name/address",
        "::1                     loopback localhost      # IPv6 loopback (lo0) name/address",
    ]
    short = node.name.split(".")[0]
    names = node.name if short == node.name else f"{node.name} {short}"
    lines += [f"{address:<23} {names}" for address in node.addresses]
    return "\n".join(lines) + "\n"


def seed_files(node: Node) -> None:
    """Lay down a freshly installed node's files (and its SRC subsystems, when none yet)."""
    fs = node.fs
    for directory in DIRECTORIES:
        fs.mkdir(directory, parents=True)
    fs.mkdir("/tmp", parents=True, mode=0o1777)
    fs.mkdir("/.ssh", parents=True, mode=0o700)
    fs.chmod("/.ssh", 0o700)
    fs.write_text("/dev/null", "", mode=0o666)
    fs.write_text("/etc/hosts", hosts_file(node))
    fs.write_text("/etc/environment", ENVIRONMENT)
    fs.write_text("/etc/passwd", PASSWD)
    if node.has_powerha:
        for directory in POWERHA_DIRECTORIES:
            fs.mkdir(directory, parents=True)
        for log in POWERHA_LOGS:
            fs.write_text(log, "")
    if not node.record.subsystems:
        node.record.subsystems = default_subsystems(node.has_powerha)


def write_authorized_keys(node: Node, keys: list[str]) -> None:
    """root's /.ssh/authorized_keys (0600 in a 0700 /.ssh), one key a line, as cloud-init
    writes it from the nova key pair and the user data's `ssh_authorized_keys`."""
    fs = node.fs
    fs.mkdir("/.ssh", parents=True, mode=0o700)
    fs.chmod("/.ssh", 0o700)
    unique = list(dict.fromkeys(key.strip() for key in keys if key.strip()))
    fs.write_text(AUTHORIZED_KEYS, "".join(key + "\n" for key in unique), mode=0o600)
    fs.chmod(AUTHORIZED_KEYS, 0o600)
