"""What differs between PowerHA SystemMirror levels: the rules live in `powerbridge.powerha`,
shared with the HA planner so plan time refuses what clmgr would."""

from __future__ import annotations

from powerbridge.powerha import (
    AUTO_REPOSITORY_REPLACE_FROM,
    UNICAST_FROM,
    UNIVERSAL_SPLIT_MERGE_FROM,
    check_heartbeat,
    check_split_merge,
    default_heartbeat,
    parse,
    replaces_repository_automatically,
)

__all__ = [
    "AUTO_REPOSITORY_REPLACE_FROM",
    "UNICAST_FROM",
    "UNIVERSAL_SPLIT_MERGE_FROM",
    "check_heartbeat",
    "check_split_merge",
    "default_heartbeat",
    "parse",
    "replaces_repository_automatically",
]
