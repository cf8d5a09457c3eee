"""Readers of what AIX, CAA and PowerHA print: the only place the product parses node output.

Each reader takes a command's whole output and returns what it could read; none raises. Odd
input (a banner, blank lines, a message instead of a table, nothing at all) gives an empty or
partial answer, so a caller decides what "unknown" means. Readers rely only on the parts of
the formats public samples show verbatim (see docs/emulator-aix.md, "Where formats were
reconstructed"): `ATTR="VALUE"` pairs, the `Current state:` line, colon rows, `Node name:` /
`State of node:` pairs, lspv's columns.

The node-side scripts (`ha.node_commands`) print `+ COMMAND` before each change they make
and `powerbridge: exit N on NODE: COMMAND` on stderr when a command fails; `changes` and
`script_failure` read those back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ClusterQuery",
    "GroupRow",
    "PhysicalVolume",
    "ScriptFailure",
    "changes",
    "clcmd_sections",
    "clmgr_attributes",
    "clmgr_cluster",
    "clstrmgr_state",
    "disk_by_wwn",
    "error_lines",
    "lscluster_nodes",
    "lspv_rows",
    "rginfo_rows",
    "script_failure",
    "sections",
]

_ATTR = re.compile(r'^([A-Za-z][A-Za-z0-9_]*)="(.*)"$')
_STATE = re.compile(r"^Current state:\s*(\S+)")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_PV_STATES = {"active", "concurrent", "passive", "missing", "removed"}
_CLCMD_NODE = re.compile(r"^NODE\s+(\S+)\s*$")
_FAILED = re.compile(r"^powerbridge: exit (\d+) on (\S+): (.*)$")
SECTION_MARK = "=== "  # the verify script's section header: "=== COMMAND"


@dataclass(frozen=True)
class GroupRow:
    """One `clRGinfo -s` row: a resource group's state on one node."""

    group: str
    state: str
    node: str


@dataclass(frozen=True)
class PhysicalVolume:
    """One `lspv -u` row. `pvid` and `volume_group` are None where lspv prints none/None."""

    name: str
    pvid: str | None
    volume_group: str | None
    state: str
    udid: str
    uuid: str


@dataclass(frozen=True)
class ClusterQuery:
    """What `clmgr query cluster` says (None: the attribute was not printed)."""

    name: str | None
    state: str | None
    nodes: tuple[str, ...]
    repositories: tuple[str, ...]
    unsynced_changes: bool | None
    version: str | None
    attributes: dict[str, str]


@dataclass(frozen=True)
class ScriptFailure:
    """Where a node-side script stopped: the failing command and PowerHA's ERROR line."""

    node: str | None
    command: str | None
    exit_status: int | None
    error: str | None


def clmgr_attributes(text: str) -> dict[str, str]:
    """The ATTR="VALUE" lines of one object (other lines ignored; the last value wins)."""
    found = {}
    for line in text.splitlines():
        match = _ATTR.match(line.strip())
        if match:
            found[match.group(1).upper()] = match.group(2)
    return found


def clmgr_cluster(text: str) -> ClusterQuery:
    attributes = clmgr_attributes(text)
    unsynced = attributes.get("UNSYNCED_CHANGES", "").lower()
    return ClusterQuery(
        name=attributes.get("CLUSTER_NAME") or None,
        state=attributes.get("STATE") or None,
        nodes=tuple(_words(attributes.get("NODES", ""))),
        repositories=tuple(_words(attributes.get("REPOSITORIES", ""))),
        unsynced_changes={"true": True, "false": False}.get(unsynced),
        version=attributes.get("VERSION") or None,
        attributes=attributes,
    )


def _words(value: str) -> list[str]:
    return [word for word in re.split(r"[\s,]+", value) if word]


def clstrmgr_state(text: str) -> str | None:
    """The cluster manager's state from `lssrc -ls clstrmgrES` (`Current state: ST_STABLE`)."""
    for line in text.splitlines():
        match = _STATE.match(line.strip())
        if match:
            return match.group(1)
    return None


def rginfo_rows(text: str) -> list[GroupRow]:
    """`clRGinfo -s` / `-c` lines: group:state:node:... (the state may carry a space, as in
    `TEMPORARY ERROR`); anything else (a message, a header) is skipped."""
    rows = []
    for line in text.splitlines():
        stripped = line.strip()
        fields = stripped.split(":")
        if len(fields) < 3 or stripped.startswith("#") or not fields[0] or " " in fields[0]:
            continue
        if fields[1] and fields[2]:
            rows.append(GroupRow(fields[0], fields[1].strip(), fields[2].strip()))
    return rows


def lspv_rows(text: str) -> list[PhysicalVolume]:
    """`lspv` or `lspv -u` rows. The state column may be blank and the UDID may hold a blank
    (vSCSI disks): the state is read only when it is one of lspv's words and the UUID only
    when the last column looks like one."""
    rows = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 3 or not fields[0].startswith(("hdisk", "vpath", "hdiskpower")):
            continue
        rest = fields[3:]
        state = rest.pop(0) if rest and rest[0] in _PV_STATES else ""
        uuid = rest.pop() if rest and _UUID.match(rest[-1]) else ""
        rows.append(
            PhysicalVolume(
                name=fields[0],
                pvid=None if fields[1].lower() == "none" else fields[1],
                volume_group=None if fields[2].lower() == "none" else fields[2],
                state=state,
                udid=" ".join(rest),
                uuid=uuid,
            )
        )
    return rows


def disk_by_wwn(rows: list[PhysicalVolume], wwn: str) -> PhysicalVolume | None:
    """The disk whose UDID holds the volume's WWN (case-insensitive), as on real storage."""
    wanted = wwn.strip().lower()
    if not wanted:
        return None
    return next((row for row in rows if wanted in row.udid.lower()), None)


def lscluster_nodes(text: str) -> dict[str, str]:
    """`lscluster -m`: node name -> its CAA state (UP, DOWN, ...), in the order listed."""
    states: dict[str, str] = {}
    node: str | None = None
    for line in text.splitlines():
        key, _, value = line.strip().partition(":")
        if key == "Node name" and value.strip():
            node = value.strip()
        elif key == "State of node" and node is not None and value.split():
            states[node] = value.split()[0]
            node = None
    return states


def clcmd_sections(text: str) -> dict[str, str]:
    """`clcmd CMD` output: node -> that node's output (under its dashed `NODE name` header)."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        match = _CLCMD_NODE.match(line.strip())
        if match:
            current = found.setdefault(match.group(1).split(".")[0], [])
        elif current is not None and not _is_rule(line):
            current.append(line)
    return {node: "\n".join(lines).strip("\n") + "\n" for node, lines in found.items()}


def _is_rule(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and set(stripped) == {"-"}


def sections(text: str) -> dict[str, str]:
    """The verify script's output cut at its `=== COMMAND` headers: command -> output."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith(SECTION_MARK):
            current = found.setdefault(line[len(SECTION_MARK) :].strip(), [])
        elif current is not None:
            current.append(line)
    return {name: "".join(f"{line}\n" for line in lines) for name, lines in found.items()}


def error_lines(text: str) -> list[str]:
    """PowerHA's and the scripts' `ERROR:` lines, in order (automation's `ERROR: (.*)`)."""
    return [line.strip() for line in text.splitlines() if line.strip().startswith("ERROR:")]


def changes(stdout: str) -> list[str]:
    """The changes a node-side script made (its `+ COMMAND` lines): empty when it found
    everything already in place."""
    return [line[2:] for line in stdout.splitlines() if line.startswith("+ ")]


def script_failure(stderr: str) -> ScriptFailure:
    """Where a script stopped: its `powerbridge: exit N on NODE: COMMAND` line (when a
    command failed) and the first ERROR line (PowerHA's, or the script's own check)."""
    errors = error_lines(stderr)
    for line in reversed(stderr.splitlines()):
        match = _FAILED.match(line.strip())
        if match:
            return ScriptFailure(
                node=match.group(2),
                command=match.group(3),
                exit_status=int(match.group(1)),
                error=errors[0] if errors else None,
            )
    return ScriptFailure(None, None, None, errors[0] if errors else None)
