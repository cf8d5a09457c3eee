"""The command table: every simulated command by name, one module per family."""

from __future__ import annotations

from powerbridge.emulator.aix.commands import clmgr, cluster_status
from powerbridge.emulator.aix.commands.base import Command, merge_tables

COMMANDS: dict[str, Command] = merge_tables(clmgr.COMMANDS, cluster_status.COMMANDS)
