"""The command table: every simulated command by name, one module per family."""

from __future__ import annotations

from powerbridge.emulator.aix.commands import clmgr, cluster_status, disks, lvm
from powerbridge.emulator.aix.commands.base import Command, merge_tables

COMMANDS: dict[str, Command] = merge_tables(
    disks.COMMANDS,
    lvm.COMMANDS,
    clmgr.COMMANDS,
    cluster_status.COMMANDS,
)
