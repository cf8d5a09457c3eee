"""The cluster disks on a node, as ksh fragments: found by WWN, PVIDs, reserve policy.

hdisk names differ from node to node, so every script finds its disks itself at run time:
the hdisk whose UDID (`lspv -u`) holds the volume's WWN, as on real storage (never an
emulator id). A disk missing on a node stops the script naming node, disk, volume and WWN.
"""

from __future__ import annotations

from collections.abc import Iterable

from powerbridge.ha.ksh import quote
from powerbridge.ha.node_values import DiskRef

__all__ = ["assign_pvids", "disk_variable", "locate", "no_reserve", "require_pvids"]


def disk_variable(disk: DiskRef) -> str:
    """The shell variable a located disk's hdisk name is kept in (DATA1_WWN -> DATA1_DISK)."""
    return disk.variable.removesuffix("_WWN") + "_DISK"


def locate(disks: Iterable[DiskRef]) -> str:
    """Set `<ROLE>_DISK` to each disk's hdisk on this node, or stop naming the missing one."""
    return "".join(
        f'{disk_variable(disk)}=$(pb_disk "${disk.variable}" {quote(disk.what)}) || exit 3\n'
        for disk in disks
    )


def assign_pvids(disks: Iterable[DiskRef]) -> str:
    """A PVID for each located disk that has none here (chdev keeps one already written)."""
    return "".join(
        f'[ "$(pb_pvid ${disk_variable(disk)})" != none ] ||'
        f" pb_run chdev -l ${disk_variable(disk)} -a pv=yes\n"
        for disk in disks
    )


def require_pvids(disks: Iterable[DiskRef], home: str) -> str:
    """Stop when this node has not read a disk's PVID (cfgmgr after the home node wrote it)."""
    lines = []
    for disk in disks:
        variable = disk_variable(disk)
        before = quote(f"the PVID of {disk.what}")
        after = quote(
            f"is not read on this node: run chdev -l hdiskN -a pv=yes on {home}, then cfgmgr here"
        )
        lines.append(
            f'[ "$(pb_pvid ${variable})" != none ] || pb_fail {before} "(${variable})" {after}\n'
        )
    return "".join(lines)


def no_reserve(disks: Iterable[DiskRef]) -> str:
    """reserve_policy=no_reserve on each located disk, asked first (a disk in a varied-on
    volume group refuses the change even when it would change nothing)."""
    return "".join(
        f'[ "$(lsattr -El ${disk_variable(disk)} -a reserve_policy -F value)" = no_reserve ] ||'
        f" pb_run chdev -l ${disk_variable(disk)} -a reserve_policy=no_reserve\n"
        for disk in disks
    )
