"""A small reader of PowerHA output (it moves to the HA product later): `clmgr query`
ATTR="VALUE" lines, the state in `lssrc -ls clstrmgrES` and `clRGinfo -s` rows."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ATTR = re.compile(r'^([A-Z][A-Z0-9_]*)="(.*)"$')
_STATE = re.compile(r"^Current state:\s*(\S+)")


@dataclass(frozen=True)
class GroupRow:
    group: str
    state: str
    node: str


def clmgr_attributes(text: str) -> dict[str, str]:
    """The ATTR="VALUE" lines of one object (other lines ignored)."""
    found = {}
    for line in text.splitlines():
        match = _ATTR.match(line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


def clstrmgr_state(text: str) -> str | None:
    for line in text.splitlines():
        match = _STATE.match(line.strip())
        if match:
            return match.group(1)
    return None


def rginfo_rows(text: str) -> list[GroupRow]:
    """`clRGinfo -s` lines: group:state:node:... (the state may carry a space)."""
    rows = []
    for line in text.splitlines():
        fields = line.strip().split(":")
        if len(fields) >= 3 and fields[0] and not line.startswith("#"):
            rows.append(GroupRow(fields[0], fields[1], fields[2]))
    return rows
