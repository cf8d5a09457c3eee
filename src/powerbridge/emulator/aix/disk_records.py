"""The records behind hdisks and LVM, and the identities AIX derives for a disk.

What is written on a disk is shared by every node that sees it (`DiskRecord`: the PVID, the
volume group descriptor's VG id, a CAA label); what a node's ODM holds is the node's own
(`NodeDisks`: hdisk numbers, the PVIDs its cfgmgr read, reserve policies, mounts). Volume
groups (`VolumeGroupRecord`) live on their disks and are known by the nodes that made or
imported them. Each kind is persisted in the store (`aix_disk`, `aix_node_disks`, `aix_vg`).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

DISK_KIND = "aix_disk"
NODE_DISKS_KIND = "aix_node_disks"
VG_KIND = "aix_vg"

SINGLE_PATH, NO_RESERVE = "single_path", "no_reserve"
RESERVE_POLICIES = (SINGLE_PATH, NO_RESERVE, "PR_exclusive", "PR_shared")
ACTIVE, CONCURRENT = "active", "concurrent"
ROOTVG, CAA_VG = "rootvg", "caavg_private"
# AIX's MPIO FC disk over an SVC / FlashSystem LUN (product id 2145)
DISK_DESCRIPTION = "MPIO IBM 2145 FC Disk"
DISK_PRODUCT = "2145"


@dataclass
class DiskRecord:
    """What is written on one LUN: every node reading the disk sees the same."""

    key: str  # the volume id, or `boot-<server id>` for an image-backed boot disk
    pvid: str | None = None
    vgid: str | None = None  # the LVM volume group whose descriptor area is on the disk
    label: str | None = None  # a VG name set through the contract (caavg_private: CAA)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> DiskRecord:
        return cls(**body)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class NodeDisks:
    """One node's device configuration (its ODM) for disks."""

    server_id: str
    numbers: dict[str, int] = field(default_factory=dict)  # disk key -> N of hdiskN
    configured: list[str] = field(default_factory=list)  # Available disks (cfgmgr saw them)
    pvids: dict[str, str] = field(default_factory=dict)  # PVIDs this node has read
    reserve: dict[str, str] = field(default_factory=dict)  # changed reserve policies
    mounted: list[str] = field(default_factory=list)  # LVM file systems mounted here
    label_modes: dict[str, str] = field(default_factory=dict)  # contract VGs varied on here

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> NodeDisks:
        return cls(**body)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def next_number(self) -> int:
        """The lowest hdisk number no disk of this node's ODM holds (Defined ones too)."""
        used = set(self.numbers.values())
        return next(n for n in range(len(used) + 1) if n not in used)


@dataclass
class LogicalVolume:
    name: str
    lv_type: str  # jfs2, jfs2log, raw...
    lps: int
    mount_point: str | None = None  # set by crfs
    auto_mount: bool = True


@dataclass
class VolumeGroupRecord:
    vgid: str
    name: str
    disks: list[str]  # disk keys, in the order mkvg was given them
    pp_size_mb: int
    concurrent_capable: bool = False  # mkvg -C: enhanced concurrent capable
    scalable: bool = False
    lvs: list[LogicalVolume] = field(default_factory=list)
    known_on: list[str] = field(default_factory=list)  # servers whose ODM holds the VG
    modes: dict[str, str] = field(default_factory=dict)  # server id -> active | concurrent

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> VolumeGroupRecord:
        lvs = [LogicalVolume(**lv) for lv in body.get("lvs", [])]
        return cls(**{**body, "lvs": lvs})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def lv(self, name: str) -> LogicalVolume | None:
        return next((lv for lv in self.lvs if lv.name == name), None)


def _hex(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def make_pvid(server_id: str, disk_key: str) -> str:
    """A PVID as AIX writes it: 16 hex digits, the writer's machine id first (00f9c1b7...)."""
    return "00" + _hex("machine", server_id)[:6] + _hex("pvid", server_id, disk_key)[:8]


def make_vgid(server_id: str, name: str, seq: int) -> str:
    """A VG identifier: the creating machine's id, then a time-like serial (32 hex digits)."""
    return "00" + _hex("machine", server_id)[:6] + "00004c00" + _hex("vg", name, str(seq))[:16]


def boot_disk_key(server_id: str) -> str:
    return f"boot-{server_id}"


def udid(wwn: str) -> str:
    """The unique_id AIX's MPIO FC path control module builds for a 2145 LUN: the length of
    the id (0x33), the serial's length (0x21) and serial (`3` + the WWN), the product id's
    length and id (2145), the vendor's (IBM), and the transport (fcp)."""
    serial = "3" + wwn.upper()
    body = f"{len(serial):02X}{serial}{len(DISK_PRODUCT):02X}{DISK_PRODUCT}03IBMfcp"
    return f"{len(body) + 2:02X}{body}"


def disk_uuid(wwn: str) -> str:
    """The UUID column of `lspv -u`: AIX generates one per disk; stable per LUN here."""
    return str(uuid.UUID(hex=_hex("uuid", wwn)[:32]))
