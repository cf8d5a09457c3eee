"""LVM commands: mkvg, importvg, varyonvg, varyoffvg, exportvg, lsvg, mklv, crfs, lsfs, mount,
umount (over `aix.lvm.Lvm`; rootvg is the boot disk's, with AIX's standard logical volumes)."""

from __future__ import annotations

import time
from collections.abc import Callable

from powerbridge.emulator.aix.commands.base import Command, Invocation
from powerbridge.emulator.aix.commands.disks import USAGE, parse
from powerbridge.emulator.aix.disk_records import (
    ACTIVE,
    ROOTVG,
    LogicalVolume,
    VolumeGroupRecord,
    make_vgid,
)
from powerbridge.emulator.aix.lvm import Lvm, Refused, not_found_vg
from powerbridge.emulator.aix.node import Node

ROOT_PP_MB = 32
LSFS_ROW = "{:<16}{:<11}{:<23}{:<6}{:<8}{:<11}{:<5}{}"
# (name, type, LPs, mount point): what an AIX 7.2 install lays out in rootvg
ROOT_LVS = (
    ("hd5", "boot", 1, None),
    ("hd6", "paging", 16, None),
    ("hd8", "jfs2log", 1, None),
    ("hd4", "jfs2", 8, "/"),
    ("hd2", "jfs2", 96, "/usr"),
    ("hd9var", "jfs2", 16, "/var"),
    ("hd3", "jfs2", 8, "/tmp"),
    ("hd1", "jfs2", 1, "/home"),
    ("hd10opt", "jfs2", 16, "/opt"),
    ("hd11admin", "jfs2", 4, "/admin"),
    ("livedump", "jfs2", 8, "/var/adm/ras/livedump"),
)


def refuse(inv: Invocation, refused: Refused) -> int:
    for line in refused.lines:
        inv.err.line(line)
    return 1


def _exit_status(inv: Invocation, refused: Refused | None) -> int:
    """0 when the change went through, else 1 with the refusal on stderr."""
    return refuse(inv, refused) if refused else 0


def root_group(inv: Invocation) -> VolumeGroupRecord:
    """rootvg as this node's boot disk holds it (not a stored record: nothing changes it)."""
    node = inv.node
    disks = inv.world.disks.disks(node)
    lvs = [LogicalVolume(name, kind, lps, mount) for name, kind, lps, mount in ROOT_LVS]
    return VolumeGroupRecord(
        vgid=make_vgid(node.server_id, ROOTVG, 0),
        name=ROOTVG,
        disks=[disks[0].key] if disks else [],
        pp_size_mb=ROOT_PP_MB,
        lvs=lvs,
        known_on=[node.server_id],
        modes={node.server_id: ACTIVE},
    )


def group_here(inv: Invocation, name: str) -> VolumeGroupRecord | None:
    if name == ROOTVG:
        return root_group(inv)
    return inv.world.disks.group_named(inv.node, name)


# -- volume groups -------------------------------------------------------------------------
def mkvg(inv: Invocation) -> int:
    usage = "mkvg [-C] [-S] [-f] [-y VGname] [-s PPsize] PhysicalVolume..."
    parsed = parse(inv, "CSfBGnIcy:s:t:V:L:X:", usage)
    if parsed is None:
        return USAGE
    opts, names = dict(parsed[0]), parsed[1]
    if not names:
        inv.err.line(f"Usage: {usage}")
        return USAGE
    pp_size = _pp_size(opts.get("-s"))
    if pp_size == 0:
        inv.err.line("0516-1232 mkvg: The physical partition size must be a power of 2")
        inv.err.line("\tbetween 1 and 131072 megabytes.")
        return 1
    repeated = next((name for name in names if names.count(name) > 1), None)
    if repeated is not None:
        inv.err.line(f"0516-1163 mkvg: {repeated} is specified more than once.")
        inv.err.line("0516-862 mkvg: Unable to create volume group.")
        return 1
    disks = []
    for name in names:
        disk = inv.world.disks.find(inv.node, name)
        if disk is None:
            inv.err.line(f"0516-306 mkvg: Unable to find physical volume {name} in the Device")
            inv.err.line("\tConfiguration Database.")
            inv.err.line("0516-862 mkvg: Unable to create volume group.")
            return 1
        disks.append(disk)
    made = Lvm(inv.world.disks).make_vg(
        inv.node,
        disks,
        name=opts.get("-y"),
        concurrent="-C" in opts or "-c" in opts,
        scalable="-S" in opts,
        pp_size_mb=pp_size,
    )
    if isinstance(made, Refused):
        return refuse(inv, made)
    inv.out.line(made.name)
    return 0


def _pp_size(text: str | None) -> int | None:
    """The -s value, None when not given, 0 when not a power of 2 in AIX's range."""
    if text is None:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 131072 or int(text) & (int(text) - 1):
        return 0
    return int(text)


def importvg(inv: Invocation) -> int:
    usage = "importvg [-y VGname] [-f] [-c] [-x] [-n] PhysicalVolume"
    parsed = parse(inv, "y:V:fcxnL:", usage)
    if parsed is None:
        return USAGE
    opts, names = dict(parsed[0]), parsed[1]
    if len(names) != 1:
        inv.err.line(f"Usage: {usage}")
        return USAGE
    disk = inv.world.disks.find(inv.node, names[0])
    if disk is None:
        inv.err.line(f"0516-306 importvg: Unable to find physical volume {names[0]} in the Device")
        inv.err.line("\tConfiguration Database.")
        return 1
    imported = Lvm(inv.world.disks).import_vg(inv.node, disk, opts.get("-y"))
    if isinstance(imported, Refused):
        return refuse(inv, imported)
    for note in imported.notes:
        inv.err.line(note)
    inv.out.line(imported.group.name)
    return 0


def _one_vg(inv: Invocation, spec: str, usage: str) -> tuple[dict[str, str], str] | None:
    parsed = parse(inv, spec, usage)
    if parsed is None:
        return None
    if len(parsed[1]) != 1:
        inv.err.line(f"Usage: {usage}")
        return None
    return dict(parsed[0]), parsed[1][0]


def varyonvg(inv: Invocation) -> int:
    found = _one_vg(inv, "cfnprsubtoOM:", "varyonvg [-c] [-f] [-n] [-p] [-s] VolumeGroup")
    if found is None:
        return USAGE
    opts, name = found
    if name == ROOTVG:
        return 0
    refused = Lvm(inv.world.disks).vary_on(inv.node, name, concurrent="-c" in opts)
    return _exit_status(inv, refused)


def _release_vg(
    inv: Invocation,
    spec: str,
    usage: str,
    rootvg_refusal: str,
    release: Callable[[Lvm, Node, str], Refused | None],
) -> int:
    """varyoffvg and exportvg: one named volume group, never rootvg, let go of by `release`."""
    found = _one_vg(inv, spec, usage)
    if found is None:
        return USAGE
    if found[1] == ROOTVG:
        inv.err.line(rootvg_refusal)
        return 1
    return _exit_status(inv, release(Lvm(inv.world.disks), inv.node, found[1]))


def varyoffvg(inv: Invocation) -> int:
    return _release_vg(
        inv,
        "s",
        "varyoffvg [-s] VolumeGroup",
        "0516-1165 varyoffvg: The rootvg volume group cannot be varied off.",
        Lvm.vary_off,
    )


def exportvg(inv: Invocation) -> int:
    return _release_vg(
        inv,
        "",
        "exportvg VolumeGroup",
        "0516-764 exportvg: The volume group must be varied off before exporting.",
        Lvm.export_vg,
    )


def lsvg(inv: Invocation) -> int:
    parsed = parse(inv, "olpLM", "lsvg [-o] | lsvg [-l | -p] VolumeGroup...")
    if parsed is None:
        return USAGE
    flags, names = {flag for flag, _ in parsed[0]}, parsed[1]
    lvm = Lvm(inv.world.disks)
    if not names:
        groups = [root_group(inv), *lvm.groups_here(inv.node)]
        for group in groups:
            if "-o" not in flags or inv.node.server_id in group.modes:
                inv.out.line(group.name)
        return 0
    status = 0
    for name in names:
        found = group_here(inv, name)
        if found is None:
            status = refuse(inv, not_found_vg("lsvg", name))
        elif inv.node.server_id not in found.modes:
            inv.err.line("0516-010 lsvg: Volume group must be varied on; use varyonvg command.")
            status = 1
        elif "-l" in flags:
            _print_lvs(inv, found)
        elif "-p" in flags:
            _print_pvs(inv, lvm, found)
        else:
            _print_group(inv, lvm, found)
    return status


def _print_group(inv: Invocation, lvm: Lvm, group: VolumeGroupRecord) -> None:
    total, used = lvm.total_pps(group), lvm.used_pps(group)
    pp = group.pp_size_mb
    mode = group.modes[inv.node.server_id]
    mounted = set(inv.world.disks.config(inv.node).mounted)
    is_root = group.name == ROOTVG
    open_lvs = sum(1 for lv in group.lvs if is_root or lv.mount_point in mounted)
    max_pps, max_pvs = ("32768", "1024") if group.scalable else ("32512", "32")
    rows = [
        ("VOLUME GROUP:", group.name, "VG IDENTIFIER:", group.vgid),
        ("VG STATE:", "active", "PP SIZE:", f"{pp} megabyte(s)"),
        ("VG PERMISSION:", "read/write", "TOTAL PPs:", f"{total} ({total * pp} megabytes)"),
        ("MAX LVs:", "256", "FREE PPs:", f"{total - used} ({(total - used) * pp} megabytes)"),
        ("LVs:", str(len(group.lvs)), "USED PPs:", f"{used} ({used * pp} megabytes)"),
        ("OPEN LVs:", str(open_lvs), "QUORUM:", f"{len(group.disks) + 1} (Enabled)"),
        ("TOTAL PVs:", str(len(group.disks)), "VG DESCRIPTORS:", str(max(2, len(group.disks)))),
        ("STALE PVs:", "0", "STALE PPs:", "0"),
        ("ACTIVE PVs:", str(len(group.disks)), "AUTO ON:", "yes" if is_root else "no"),
    ]
    if group.concurrent_capable:
        rows.append(("Concurrent:", "Enhanced-Capable", "Auto-Concurrent:", "Disabled"))
        rows.append(("VG Mode:", "Concurrent" if mode != ACTIVE else "Non-Concurrent", "", ""))
        rows.append(("Node ID:", "1", "Active Nodes:", str(len(group.modes))))
    rows += [
        ("MAX PPs per VG:", max_pps, "MAX PVs:", max_pvs),
        ("LTG size (Dynamic):", "512 kilobyte(s)", "AUTO SYNC:", "no"),
        ("HOT SPARE:", "no", "BB POLICY:", "relocatable"),
        ("PV RESTRICTION:", "none", "INFINITE RETRY:", "no"),
        ("DISK BLOCK SIZE:", "512", "CRITICAL VG:", "no"),
    ]
    for left, value, right, other in rows:
        inv.out.line(f"{left:<20}{value:<25}{right:<15} {other}".rstrip())


def _print_lvs(inv: Invocation, group: VolumeGroupRecord) -> None:
    mounted = set(inv.world.disks.config(inv.node).mounted)
    inv.out.line(f"{group.name}:")
    inv.out.line(
        f"{'LV NAME':<20}{'TYPE':<11}{'LPs':<8}{'PPs':<8}{'PVs':<5}{'LV STATE':<14}MOUNT POINT"
    )
    for lv in group.lvs:
        is_open = (group.name == ROOTVG and lv.lv_type != "boot") or lv.mount_point in mounted
        state = "open/syncd" if is_open else "closed/syncd"
        row = f"{lv.name:<20}{lv.lv_type:<11}{lv.lps:<8}{lv.lps:<8}{1:<5}{state:<14}"
        inv.out.line(row + (lv.mount_point or "N/A"))


def _print_pvs(inv: Invocation, lvm: Lvm, group: VolumeGroupRecord) -> None:
    names = {d.key: d for d in inv.world.disks.disks(inv.node)}
    used = lvm.used_pps(group)
    inv.out.line(f"{group.name}:")
    inv.out.line(
        f"{'PV_NAME':<18}{'PV STATE':<18}{'TOTAL PPs':<12}{'FREE PPs':<12}FREE DISTRIBUTION"
    )
    for key in group.disks:
        disk = names.get(key)
        if disk is None:
            continue
        total = lvm.total_pps(group) // len(group.disks)
        free = max(0, total - used // len(group.disks))
        share = [free // 5 + (1 if i < free % 5 else 0) for i in range(5)]
        spread = "..".join(str(n) for n in share)
        inv.out.line(f"{disk.name:<18}{'active':<18}{total:<12}{free:<12}{spread}")


# -- logical volumes and file systems ------------------------------------------------------
def mklv(inv: Invocation) -> int:
    usage = "mklv [-y LVname] [-t Type] VolumeGroup NumberOfLPs[M|G] [PhysicalVolume...]"
    parsed = parse(inv, "y:t:a:e:c:u:s:x:b:w:r:", usage)
    if parsed is None:
        return USAGE
    opts, rest = dict(parsed[0]), parsed[1]
    if len(rest) < 2:
        inv.err.line(f"Usage: {usage}")
        return USAGE
    made = Lvm(inv.world.disks).make_lv(
        inv.node, rest[0], opts.get("-y"), opts.get("-t", "jfs"), rest[1]
    )
    if isinstance(made, Refused):
        return refuse(inv, made)
    inv.out.line(made.name)
    return 0


def crfs(inv: Invocation) -> int:
    usage = "crfs -v jfs2 {-d LVname | -g VGname -a size=Size} -m MountPoint [-A yes|no]"
    parsed = parse(inv, "v:d:g:m:A:a:p:u:l:n:t:", usage)
    if parsed is None:
        return USAGE
    opts = dict(parsed[0])
    attributes = dict(v.partition("=")[::2] for f, v in parsed[0] if f == "-a")
    if opts.get("-v") != "jfs2" or "-m" not in opts or not ("-d" in opts or "-g" in opts):
        inv.err.line(f"Usage: {usage}")
        return USAGE
    lvm = Lvm(inv.world.disks)
    lv_name = opts.get("-d")
    if lv_name is None:
        made = lvm.make_lv(
            inv.node, opts["-g"], _fs_lv_name(lvm, inv.node), "jfs2", attributes.get("size", "")
        )
        if isinstance(made, Refused):
            return refuse(inv, made)
        lv_name = made.name
    created = lvm.make_fs(inv.node, lv_name, opts["-m"], opts.get("-A", "yes") == "yes")
    if isinstance(created, Refused):
        if "-d" not in opts:  # crfs -g made the logical volume for nothing: take it back
            lvm.remove_lv(inv.node, lv_name)
        return refuse(inv, created)
    group = lvm.find_lv(inv.node, created.name)
    blocks = created.lps * (group[0].pp_size_mb if group else 1) * 2048
    inv.out.line("File system created successfully.")
    inv.out.line(f"{blocks // 2 - blocks // 512} kilobytes total disk space.")
    inv.out.line(f"New File System size is {blocks}")
    return 0


def _fs_lv_name(lvm: Lvm, node: Node) -> str:
    taken = lvm.lv_names(node)
    return next(f"fslv{n:02d}" for n in range(len(taken) + 1) if f"fslv{n:02d}" not in taken)


def _filesystems(inv: Invocation) -> list[tuple[VolumeGroupRecord, LogicalVolume]]:
    groups = [root_group(inv), *Lvm(inv.world.disks).groups_here(inv.node)]
    return [(g, lv) for g in groups for lv in g.lvs if lv.mount_point is not None]


def lsfs(inv: Invocation) -> int:
    parsed = parse(inv, "cqlav:u:", "lsfs [-q] [-c | -l] [FileSystem...]")
    if parsed is None:
        return USAGE
    wanted = parsed[1]
    rows = _filesystems(inv)
    for target in wanted:
        if not any(target in (lv.mount_point, f"/dev/{lv.name}") for _, lv in rows):
            inv.err.line(f"lsfs: No record matching '{target}' was found in /etc/filesystems.")
            return 1
    inv.out.line(
        LSFS_ROW.format(
            "Name", "Nodename", "Mount Pt", "VFS", "Size", "Options", "Auto", "Accounting"
        )
    )
    for group, lv in rows:
        if wanted and not {lv.mount_point, f"/dev/{lv.name}"} & set(wanted):
            continue
        size = lv.lps * group.pp_size_mb * 2048
        auto = "yes" if lv.auto_mount else "no"
        row = LSFS_ROW.format(
            f"/dev/{lv.name}", "--", lv.mount_point, "jfs2", size, "rw", auto, "no"
        )
        inv.out.line(row)
    return 0


def mount(inv: Invocation) -> int:
    parsed = parse(inv, "v:o:", "mount [-v VFS] [-o Options] [Device] [Directory]")
    if parsed is None:
        return USAGE
    targets = parsed[1]
    if not targets:
        _print_mounts(inv)
        return 0
    target = targets[-1]
    root = {lv.mount_point: lv.name for g, lv in _filesystems(inv) if g.name == ROOTVG}
    if target in root or target.removeprefix("/dev/") in root.values():
        device = root.get(target, target.removeprefix("/dev/"))
        where = target if target in root else next(m for m, n in root.items() if n == device)
        busy = "The requested resource is busy."
        inv.err.line(f"mount: 0506-324 Cannot mount /dev/{device} on {where}: {busy}")
        return 1
    refused = Lvm(inv.world.disks).mount(inv.node, target)
    return _exit_status(inv, refused)


def _print_mounts(inv: Invocation) -> None:
    mounted = set(inv.world.disks.config(inv.node).mounted)
    when = time.strftime("%b %d %H:%M", time.gmtime(inv.world.now()))
    inv.out.line("  node       mounted        mounted over    vfs       date        options      ")
    inv.out.line("-------- ---------------  ---------------  ------ ------------ --------------- ")
    for group, lv in _filesystems(inv):
        if group.name == ROOTVG or lv.mount_point in mounted:
            device = f"/dev/{lv.name}"
            row = (
                f"         {device:<16} {lv.mount_point or '':<16} jfs2   {when:<12} rw,log=INLINE"
            )
            inv.out.line(row)


def umount(inv: Invocation) -> int:
    parsed = parse(inv, "f", "umount [-f] {Device | Directory}")
    if parsed is None:
        return USAGE
    if len(parsed[1]) != 1:
        inv.err.line("Usage: umount [-f] {Device | Directory}")
        return USAGE
    refused = Lvm(inv.world.disks).umount(inv.node, parsed[1][0])
    return _exit_status(inv, refused)


COMMANDS: dict[str, Command] = {
    "mkvg": mkvg,
    "importvg": importvg,
    "varyonvg": varyonvg,
    "varyoffvg": varyoffvg,
    "exportvg": exportvg,
    "lsvg": lsvg,
    "mklv": mklv,
    "crfs": crfs,
    "lsfs": lsfs,
    "mount": mount,
    "umount": umount,
}
