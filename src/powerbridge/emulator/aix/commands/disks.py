"""Disk commands: lspv, lsdev, bootinfo, lsattr, chdev, cfgmgr (over `world.disks`)."""

from __future__ import annotations

import getopt

from powerbridge.emulator.aix.commands.base import Command, Invocation
from powerbridge.emulator.aix.disk_records import (
    DISK_DESCRIPTION,
    RESERVE_POLICIES,
    disk_uuid,
)
from powerbridge.emulator.aix.disks import DiskView
from powerbridge.emulator.aix.lvm import Lvm

USAGE = 2  # AIX commands exit non-zero on usage errors; 2 is what getopt-based ones return


def not_in_odm(name: str) -> str:
    return (
        "0514-519 The following device was not found in the customized device configuration "
        f"database: {name}"
    )


def parse(inv: Invocation, spec: str, usage: str) -> tuple[list[tuple[str, str]], list[str]] | None:
    """getopt over the arguments; on a bad flag, AIX's complaint and the usage line."""
    try:
        return getopt.getopt(inv.args, spec)
    except getopt.GetoptError as error:
        inv.err.line(f"{inv.name}: {error.msg}")
        inv.err.line(f"Usage: {usage}")
        return None


def pvid_text(disk: DiskView) -> str:
    return disk.pvid or "none"


# -- lspv ----------------------------------------------------------------------------------
def lspv(inv: Invocation) -> int:
    parsed = parse(inv, "u", "lspv [-u] | lspv PhysicalVolume")
    if parsed is None:
        return USAGE
    opts, names = parsed
    if names:
        return _lspv_detail(inv, names[0])
    for disk in inv.world.disks.disks(inv.node):
        row = f"{disk.name:<16}{pvid_text(disk):<36}{disk.volume_group or 'None':<16}"
        if opts:
            row += f"{disk.state:<20}{disk.udid:<68}{disk_uuid(disk.wwn)}"
        else:
            row += disk.state
        inv.out.line(row.rstrip())
    return 0


def _lspv_detail(inv: Invocation, name: str) -> int:
    disk = inv.world.disks.find(inv.node, name)
    if disk is None:
        inv.err.line(f"0516-1396 lspv: The physical volume {name}, was not found in the")
        inv.err.line("system database.")
        return 1
    lvm = Lvm(inv.world.disks)
    group = lvm.table.group_named(inv.node, disk.volume_group or "")
    if group is None:
        inv.err.line(f"0516-320 lspv: Physical volume {disk.pvid or name} is not assigned to")
        inv.err.line("\ta volume group.")
        return 1
    total = lvm.total_pps(group) // max(1, len(group.disks))
    pair = "{:<20}{:<25}{:<18}{}"
    inv.out.line(pair.format("PHYSICAL VOLUME:", disk.name, "VOLUME GROUP:", group.name))
    inv.out.line(pair.format("PV IDENTIFIER:", pvid_text(disk), "VG IDENTIFIER", group.vgid))
    inv.out.line(pair.format("PV STATE:", disk.state or "inactive", "", "").rstrip())
    inv.out.line(
        pair.format(
            "PP SIZE:", f"{group.pp_size_mb} megabyte(s)", "LOGICAL VOLUMES:", len(group.lvs)
        )
    )
    inv.out.line(
        pair.format(
            "TOTAL PPs:", f"{total} ({total * group.pp_size_mb} megabytes)", "VG DESCRIPTORS:", 2
        )
    )
    return 0


# -- lsdev ---------------------------------------------------------------------------------
def lsdev(inv: Invocation) -> int:
    parsed = parse(inv, "Cc:l:F:HS:", "lsdev -C [-c Class] [-l Name] [-F Format] [-H]")
    if parsed is None:
        return USAGE
    opts = dict(parsed[0])
    if opts.get("-c", "disk") != "disk":
        return 0  # only disks are simulated; other classes list nothing
    table = inv.world.disks
    available = {disk.key: disk for disk in table.disks(inv.node)}
    rows = []
    for name, key in table.defined(inv.node):
        if "-l" in opts and opts["-l"] != name:
            continue
        status = "Available" if key in available else "Defined"
        rows.append(
            {
                "name": name,
                "status": status,
                "location": "00-00-01",
                "description": DISK_DESCRIPTION,
            }
        )
    if "-l" in opts and not rows:
        inv.err.line(f"lsdev: {not_in_odm(opts['-l'])}")
        return 1
    _print_devices(inv, rows, opts.get("-F"), "-H" in opts)
    return 0


def _print_devices(
    inv: Invocation, rows: list[dict[str, str]], template: str | None, header: bool
) -> None:
    if template is not None:
        fields = template.split()
        for row in rows:
            inv.out.line(" ".join(row.get(field, "") for field in fields))
        return
    width = max((len(row["name"]) for row in rows), default=6)
    if header:
        inv.out.line(f"{'name':<{width}} {'status':<9} {'location':<8} description")
    for row in rows:
        inv.out.line(
            f"{row['name']:<{width}} {row['status']:<9} {row['location']} {row['description']}"
        )


# -- bootinfo ------------------------------------------------------------------------------
def bootinfo(inv: Invocation) -> int:
    parsed = parse(inv, "s:", "bootinfo -s hdiskN")
    if parsed is None or not parsed[0]:
        if parsed is not None:
            inv.err.line("Usage: bootinfo -s hdiskN")
        return USAGE
    name = parsed[0][0][1]
    disk = inv.world.disks.find(inv.node, name)
    if disk is None:
        inv.err.line(f"bootinfo: {name} is not a configured disk.")
        return 1
    inv.out.line(str(disk.size_mb))
    return 0


# -- lsattr --------------------------------------------------------------------------------
def disk_attributes(disk: DiskView, index: int) -> list[tuple[str, str, str, str]]:
    """(attribute, value, description, user settable) as `lsattr -El hdiskN` lists them."""
    port = disk.wwn[-12:].lower()
    pvid = f"{disk.pvid}0000000000000000" if disk.pvid else "none"
    return [
        ("PCM", "PCM/friend/fcpother", "Path Control Module", "False"),
        ("PR_key_value", "none", "Persistant Reserve Key Value", "True+"),
        ("algorithm", "shortest_queue", "Algorithm", "True+"),
        ("clr_q", "no", "Device CLEARS its Queue on error", "True"),
        ("dist_err_pcnt", "0", "Distributed Error Percentage", "True"),
        ("dist_tw_width", "50", "Distributed Error Sample Time", "True"),
        ("hcheck_cmd", "test_unit_rdy", "Health Check Command", "True+"),
        ("hcheck_interval", "60", "Health Check Interval", "True+"),
        ("hcheck_mode", "nonactive", "Health Check Mode", "True+"),
        ("location", "", "Location Label", "True+"),
        ("lun_id", f"0x{index:x}000000000000", "Logical Unit Number ID", "False"),
        ("max_coalesce", "0x40000", "Maximum Coalesce Size", "True"),
        ("max_retry_delay", "60", "Maximum Quiesce Time", "True"),
        ("max_transfer", "0x80000", "Maximum TRANSFER Size", "True"),
        ("node_name", f"0x5005076810{port[:6]}", "FC Node Name", "False"),
        ("pvid", pvid, "Physical volume identifier", "False"),
        ("q_err", "yes", "Use QERR bit", "True"),
        ("q_type", "simple", "Queuing TYPE", "True"),
        ("queue_depth", "20", "Queue DEPTH", "True+"),
        ("reassign_to", "120", "REASSIGN time out value", "True"),
        ("reserve_policy", disk.reserve_policy, "Reserve Policy", "True+"),
        ("rw_timeout", "30", "READ/WRITE time out value", "True"),
        ("scsi_id", f"0x{0x10A00 + index:x}", "SCSI ID", "False"),
        ("size_in_mb", str(disk.size_mb), "Size in Megabytes", "False"),
        ("start_timeout", "60", "START unit time out value", "True"),
        ("timeout_policy", "fail_path", "Timeout Policy", "True+"),
        ("unique_id", disk.udid, "Device Unique Identification", "False"),
        ("ww_name", f"0x5005076810{port[6:12]}", "FC World Wide Name", "False"),
    ]


def _device_options(
    inv: Invocation, spec: str, usage: str
) -> tuple[list[tuple[str, str]], str] | None:
    """lsattr and chdev: the options and the device `-l` names (the first -l), or None after
    the usage complaint."""
    parsed = parse(inv, spec, usage)
    if parsed is None:
        return None
    names = [value for flag, value in parsed[0] if flag == "-l"]
    if not names:
        inv.err.line(f"Usage: {usage}")
        return None
    return parsed[0], names[0]


def lsattr(inv: Invocation) -> int:
    found = _device_options(inv, "EDl:a:F:HO", "lsattr -E -l Name [-a Attribute]... [-F Format]")
    if found is None:
        return USAGE
    opts, name = found
    disk = inv.world.disks.find(inv.node, name)
    if disk is None:
        inv.err.line(f"lsattr: {not_in_odm(name)}")
        return 1
    rows = disk_attributes(disk, int(disk.name.removeprefix("hdisk")))
    wanted = [value for flag, value in opts if flag == "-a"]
    known = {row[0]: row for row in rows}
    for attribute in wanted:
        if attribute not in known:
            inv.err.line(f'lsattr: 0514-528 The "{attribute}" attribute does not exist in the')
            inv.err.line("\tpredefined device configuration database.")
            return 1
    chosen = [known[a] for a in wanted] if wanted else rows
    template = next((value for flag, value in opts if flag == "-F"), None)
    _print_attributes(inv, chosen, template)
    return 0


def _print_attributes(
    inv: Invocation, rows: list[tuple[str, str, str, str]], template: str | None
) -> None:
    if template is not None:
        keys = ("attribute", "value", "description", "user_settable")
        for row in rows:
            fields = dict(zip(keys, row, strict=True))
            inv.out.line(" ".join(fields.get(word, word) for word in template.split()))
        return
    widths = [max(len(row[i]) for row in rows) + 1 for i in range(3)]
    for row in rows:
        cells = "".join(f"{cell:<{width}}" for cell, width in zip(row, widths, strict=False))
        inv.out.line(f"{cells}{row[3]}")


# -- chdev ---------------------------------------------------------------------------------
def chdev(inv: Invocation) -> int:
    found = _device_options(inv, "l:a:Pf:", "chdev -l Name [-a Attribute=Value]... [-P]")
    if found is None:
        return USAGE
    opts, name = found
    disk = inv.world.disks.find(inv.node, name)
    if disk is None:
        inv.err.line(not_in_odm(name))
        return 1
    changes = [value.partition("=") for flag, value in opts if flag == "-a"]
    bad = [k for k, sep, v in changes if not sep or not _valid_change(k, v)]
    if bad:
        inv.err.line("Method error (/usr/lib/methods/chgdisk):")
        inv.err.line("\t0514-018 The values specified for the following attributes")
        inv.err.line("\t\t are not valid:")
        for key in bad:
            inv.err.line(f"\t{key}")
        return 1
    deferred = any(flag == "-P" for flag, _ in opts)
    busy = disk.state and any(k == "reserve_policy" for k, _, _ in changes)
    if (busy and not deferred) or (disk.volume_group and ("pv", "=", "clear") in changes):
        inv.err.line("Method error (/usr/lib/methods/chgdisk):")
        inv.err.line("\t0514-062 Cannot perform the requested function because the")
        inv.err.line("\t\t specified device is busy.")
        return 1
    for key, _, value in changes:
        _apply_change(inv, disk, key, value)
    inv.out.line(f"{disk.name} changed")
    return 0


def _valid_change(key: str, value: str) -> bool:
    if key == "pv":
        return value in ("yes", "clear")
    if key == "reserve_policy":
        return value in RESERVE_POLICIES
    return False  # only pv and reserve_policy change anything in the simulation


def _apply_change(inv: Invocation, disk: DiskView, key: str, value: str) -> None:
    table = inv.world.disks
    if key == "reserve_policy":
        table.set_reserve(inv.node, disk, value)
    elif value == "yes":
        table.write_pvid(inv.node, disk)
    else:
        table.clear_pvid(inv.node, disk)


# -- cfgmgr --------------------------------------------------------------------------------
def cfgmgr(inv: Invocation) -> int:
    inv.world.disks.cfgmgr(inv.node)
    return 0


COMMANDS: dict[str, Command] = {
    "lspv": lspv,
    "lsdev": lsdev,
    "bootinfo": bootinfo,
    "lsattr": lsattr,
    "chdev": chdev,
    "cfgmgr": cfgmgr,
}
