"""The command table: every simulated command by name, one module per family."""

from __future__ import annotations

from powerbridge.emulator.aix.commands import (
    awk,
    clmgr,
    cluster_status,
    conditions,
    disks,
    editing,
    expr,
    files,
    lvm,
    network,
    printing,
    processes,
    src,
    system,
    text,
)
from powerbridge.emulator.aix.commands.base import Command, merge_tables

COMMANDS: dict[str, Command] = merge_tables(
    files.COMMANDS,
    printing.COMMANDS,
    conditions.COMMANDS,
    text.COMMANDS,
    editing.COMMANDS,
    awk.COMMANDS,
    expr.COMMANDS,
    system.COMMANDS,
    network.COMMANDS,
    src.COMMANDS,
    processes.COMMANDS,
    disks.COMMANDS,
    lvm.COMMANDS,
    clmgr.COMMANDS,
    cluster_status.COMMANDS,
)
